//! Reads the Kubernetes manifests into k8s-openapi types, refusing any field a type lacks, and
//! the small look-ups the checks in `manifests.rs` and `hardening.rs` share.

// Each test binary uses a part of these.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{
    ConfigMap, Container, EnvVar, Namespace, PodSpec, Secret, Service,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Deserialize;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Every object of the manifests, by kind.
#[derive(Debug, Clone, Default)]
pub struct Manifests {
    pub namespaces: Vec<Namespace>,
    pub config_maps: Vec<ConfigMap>,
    pub secrets: Vec<Secret>,
    pub jobs: Vec<Job>,
    pub deployments: Vec<Deployment>,
    pub services: Vec<Service>,
    pub network_policies: Vec<NetworkPolicy>,
}

/// A container of a Job or Deployment, with the pod it runs in.
pub struct Workload<'a> {
    /// `Job/NAME/CONTAINER` or `Deployment/NAME/CONTAINER`.
    pub name: String,
    /// The Deployment it belongs to; `None` for the Job.
    pub deployment: Option<&'a Deployment>,
    pub pod_labels: Option<&'a BTreeMap<String, String>>,
    pub pod: &'a PodSpec,
    pub container: &'a Container,
}

impl Manifests {
    /// Reads every `*.yaml` file of `dir`, in name order.
    pub fn load(dir: &Path) -> Result<Manifests, String> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        // kubectl reads `.yml` too; this test would skip it, so refuse it.
        if let Some(yml) = files
            .iter()
            .find(|p| p.extension().is_some_and(|e| e == "yml"))
        {
            return Err(format!("{}: name it .yaml", yml.display()));
        }
        files.retain(|path| path.extension().is_some_and(|ext| ext == "yaml"));
        files.sort();
        if files.is_empty() {
            return Err(format!("{}: no .yaml file", dir.display()));
        }
        let mut manifests = Manifests::default();
        for path in files {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let file = path.file_name().unwrap_or_default().to_string_lossy();
            manifests.add_yaml(&file, &text)?;
        }
        Ok(manifests)
    }

    /// Adds each document of a (multi-document) YAML file; empty documents are skipped, as
    /// kubectl does.
    pub fn add_yaml(&mut self, file: &str, text: &str) -> Result<(), String> {
        for (i, document) in yaml_serde::Deserializer::from_str(text).enumerate() {
            let source = format!("{file}, document {}", i + 1);
            let value = Value::deserialize(document).map_err(|e| format!("{source}: {e}"))?;
            if !value.is_null() {
                self.add(&source, &value)?;
            }
        }
        Ok(())
    }

    /// Adds one document as the type its `kind` names.
    pub fn add(&mut self, source: &str, document: &Value) -> Result<(), String> {
        let kind = document.get("kind").and_then(Value::as_str);
        match kind {
            Some("Namespace") => self.namespaces.push(typed(source, document)?),
            Some("ConfigMap") => self.config_maps.push(typed(source, document)?),
            Some("Secret") => self.secrets.push(typed(source, document)?),
            Some("Job") => self.jobs.push(typed(source, document)?),
            Some("Deployment") => self.deployments.push(typed(source, document)?),
            Some("Service") => self.services.push(typed(source, document)?),
            Some("NetworkPolicy") => self.network_policies.push(typed(source, document)?),
            Some(other) => {
                return Err(format!(
                    "{source}: kind {other:?} is not one this test knows"
                ));
            }
            None => return Err(format!("{source}: no `kind`")),
        }
        Ok(())
    }

    /// Every container of every Job and Deployment: all of them run gameday.
    pub fn workloads(&self) -> Vec<Workload<'_>> {
        let jobs = self.jobs.iter().filter_map(|job| {
            let template = &job.spec.as_ref()?.template;
            Some((format!("Job/{}", name_of(&job.metadata)), None, template))
        });
        let deployments = self.deployments.iter().filter_map(|deployment| {
            let template = &deployment.spec.as_ref()?.template;
            let name = format!("Deployment/{}", name_of(&deployment.metadata));
            Some((name, Some(deployment), template))
        });
        let mut workloads = Vec::new();
        for (name, deployment, template) in jobs.chain(deployments) {
            let Some(pod) = template.spec.as_ref() else {
                continue;
            };
            let pod_labels = template.metadata.as_ref().and_then(|m| m.labels.as_ref());
            workloads.extend(pod.containers.iter().map(|container| Workload {
                name: format!("{name}/{}", container.name),
                deployment,
                pod_labels,
                pod,
                container,
            }));
        }
        workloads
    }

    /// The containers whose gameday subcommand (first argument) is `command`.
    pub fn running(&self, command: &str) -> Vec<Workload<'_>> {
        let mut workloads = self.workloads();
        workloads.retain(|w| args(w.container).first().map(String::as_str) == Some(command));
        workloads
    }

    /// Whether the Secret `name` holds `key`.
    pub fn secret_has(&self, name: &str, key: &str) -> bool {
        self.secrets.iter().any(|secret| {
            name_of(&secret.metadata) == name
                && (secret
                    .string_data
                    .as_ref()
                    .is_some_and(|d| d.contains_key(key))
                    || secret.data.as_ref().is_some_and(|d| d.contains_key(key)))
        })
    }

    /// The value of the ConfigMap `name`'s `key`.
    pub fn config_value(&self, name: &str, key: &str) -> Option<&str> {
        let map = self
            .config_maps
            .iter()
            .find(|m| name_of(&m.metadata) == name)?;
        map.data.as_ref()?.get(key).map(String::as_str)
    }
}

/// The manifests as shipped, in `deploy/k8s/`.
pub fn shipped() -> Manifests {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("k8s");
    Manifests::load(&dir).unwrap_or_else(|e| panic!("{e}"))
}

/// Whether `selector` selects a pod with `labels` (matchLabels and matchExpressions ANDed; an
/// empty selector selects every pod).
pub fn selects(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    let by_label = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let by_expression = selector.match_expressions.iter().flatten().all(|e| {
        let values = e.values.as_deref().unwrap_or(&[]);
        let value = labels.get(&e.key);
        match e.operator.as_str() {
            "In" => value.is_some_and(|v| values.contains(v)),
            "NotIn" => value.is_none_or(|v| !values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => false,
        }
    });
    by_label && by_expression
}

/// Parses `document` as `T`, then refuses it unless serializing `T` gives the document back:
/// k8s-openapi's types skip fields they do not know, so a misspelt field would otherwise pass.
fn typed<T: DeserializeOwned + Serialize>(source: &str, document: &Value) -> Result<T, String> {
    let object: T =
        serde_json::from_value(document.clone()).map_err(|e| format!("{source}: {e}"))?;
    let back = serde_json::to_value(&object).map_err(|e| format!("{source}: {e}"))?;
    match difference(document, &back, "") {
        None => Ok(object),
        Some(diff) => Err(format!("{source}: {diff}")),
    }
}

/// The first place where `written` and `typed` (its round trip through the type) differ.
fn difference(written: &Value, typed: &Value, path: &str) -> Option<String> {
    match (written, typed) {
        (Value::Object(w), Value::Object(t)) => {
            for (key, value) in w {
                let at = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match t.get(key) {
                    None => return Some(format!("`{at}`: no such field (misspelt or misplaced?)")),
                    Some(back) => {
                        if let Some(diff) = difference(value, back, &at) {
                            return Some(diff);
                        }
                    }
                }
            }
            let missing = t.keys().find(|key| !w.contains_key(*key))?;
            Some(format!("`{path}`: `{missing}` is missing"))
        }
        (Value::Array(w), Value::Array(t)) if w.len() == t.len() => w
            .iter()
            .zip(t)
            .enumerate()
            .find_map(|(i, (w, t))| difference(w, t, &format!("{path}[{i}]"))),
        _ if written == typed => None,
        _ => Some(format!("`{path}`: written {written}, read as {typed}")),
    }
}

pub fn name_of(metadata: &ObjectMeta) -> &str {
    metadata.name.as_deref().unwrap_or("")
}

pub fn args(container: &Container) -> &[String] {
    container.args.as_deref().unwrap_or(&[])
}

/// The value that follows `flag` in the container's arguments.
pub fn arg_after<'a>(container: &'a Container, flag: &str) -> Option<&'a str> {
    let args = args(container);
    let at = args.iter().position(|a| a == flag)?;
    args.get(at + 1).map(String::as_str)
}

/// The port of the container's `--web 0.0.0.0:PORT`.
pub fn web_port(container: &Container) -> Option<i32> {
    arg_after(container, "--web")?
        .rsplit_once(':')?
        .1
        .parse()
        .ok()
}

/// The number of the container's port that `port` names (by name or by number).
pub fn container_port(container: &Container, port: &IntOrString) -> Option<i32> {
    let ports = container.ports.iter().flatten();
    let found = ports.into_iter().find(|p| match port {
        IntOrString::Int(n) => p.container_port == *n,
        IntOrString::String(name) => p.name.as_deref() == Some(name),
    });
    found.map(|p| p.container_port)
}

/// The container's named environment variable.
pub fn env<'a>(container: &'a Container, name: &str) -> Option<&'a EnvVar> {
    container.env.as_ref()?.iter().find(|e| e.name == name)
}

/// The value an argument takes: itself, or for `$(VAR)`, VAR's literal value or its ConfigMap
/// entry.
pub fn resolve(m: &Manifests, container: &Container, arg: &str) -> Result<String, String> {
    let Some(var) = arg.strip_prefix("$(").and_then(|a| a.strip_suffix(')')) else {
        return Ok(arg.to_owned());
    };
    let var_def = env(container, var).ok_or_else(|| format!("{arg}: {var} is not set"))?;
    if let Some(value) = &var_def.value {
        return Ok(value.clone());
    }
    let from = var_def
        .value_from
        .as_ref()
        .and_then(|v| v.config_map_key_ref.as_ref());
    let from = from.ok_or_else(|| format!("{arg}: {var} has no value nor ConfigMap entry"))?;
    m.config_value(&from.name, &from.key)
        .map(str::to_owned)
        .ok_or_else(|| format!("{arg}: ConfigMap {}/{} does not exist", from.name, from.key))
}

pub fn check(ok: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(message()) }
}
