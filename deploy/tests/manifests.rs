//! Checks the Kubernetes manifests in `deploy/k8s/`: every document parses as the type of its
//! kind with no field that type lacks, and the workers, the coordinator, the web replicas, the
//! Services, the Secret and the scenario ConfigMap fit together.

mod util;

use std::collections::BTreeMap;
use std::path::Path;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Container, EnvVar};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use util::{
    Manifests, arg_after, args, check, container_port, env, name_of, resolve, shipped, web_port,
};

/// Where the scenario ConfigMap must be mounted: the commands read `/etc/gameday/scenario.toml`.
const SCENARIO_DIR: &str = "/etc/gameday";

/// The workers are one Indexed Job whose `--segment $(JOB_COMPLETION_INDEX)/N` has N equal to
/// completions and parallelism, and whose failed pods are retried.
fn check_worker_job(m: &Manifests) -> Result<(), String> {
    check(m.jobs.len() == 1, || {
        format!("{} Jobs, expected one", m.jobs.len())
    })?;
    let job = &m.jobs[0];
    let spec = job.spec.as_ref().ok_or("the Job has no spec")?;
    check(spec.completion_mode.as_deref() == Some("Indexed"), || {
        format!("completionMode is {:?}, not Indexed", spec.completion_mode)
    })?;
    let completions = spec.completions.ok_or("the Job sets no completions")?;
    check(spec.parallelism == Some(completions), || {
        format!(
            "parallelism {:?} != completions {completions}",
            spec.parallelism
        )
    })?;
    let retries = spec.backoff_limit_per_index.or(spec.backoff_limit);
    check(retries.is_some_and(|r| r > 0), || {
        format!("a failed worker is not retried (backoffLimitPerIndex / backoffLimit {retries:?})")
    })?;
    let pod = spec
        .template
        .spec
        .as_ref()
        .ok_or("the Job has no pod spec")?;
    if spec.backoff_limit_per_index.is_some() || spec.pod_failure_policy.is_some() {
        check(pod.restart_policy.as_deref() == Some("Never"), || {
            format!(
                "backoffLimitPerIndex and podFailurePolicy need restartPolicy Never, not {:?}",
                pod.restart_policy
            )
        })?;
    }
    let workers = m.running("worker");
    check(!workers.is_empty(), || {
        "no container runs `gameday worker`".to_owned()
    })?;
    for w in workers {
        check(w.name.starts_with("Job/"), || {
            format!("{}: a worker outside the Job", w.name)
        })?;
        let segment = arg_after(w.container, "--segment")
            .ok_or_else(|| format!("{}: no `--segment` value", w.name))?;
        let count = segment
            .strip_prefix("$(JOB_COMPLETION_INDEX)/")
            .ok_or_else(|| {
                format!(
                    "{}: --segment {segment:?} is not $(JOB_COMPLETION_INDEX)/N",
                    w.name
                )
            })?;
        check(count.parse::<i32>() == Ok(completions), || {
            format!(
                "{}: --segment {segment} but completions = {completions}",
                w.name
            )
        })?;
    }
    Ok(())
}

/// Every container reads GAMEDAY_LEDGER from the Secret, the coordinator also its admin token,
/// and every Secret reference names a key secret.example.yaml holds.
fn check_secrets(m: &Manifests) -> Result<(), String> {
    let workloads = m.workloads();
    check(!workloads.is_empty(), || "no workload".to_owned())?;
    for w in &workloads {
        let mut required = vec!["GAMEDAY_LEDGER"];
        if args(w.container).first().is_some_and(|a| a == "play") {
            required.push("GAMEDAY_ADMIN_TOKEN");
        }
        for var in required {
            let from_secret = env(w.container, var)
                .and_then(|e| e.value_from.as_ref())
                .and_then(|v| v.secret_key_ref.as_ref());
            check(from_secret.is_some(), || {
                format!("{}: {var} is not from a Secret", w.name)
            })?;
        }
        let vars = w.container.env.iter().flatten();
        let refs =
            vars.filter_map(|e| Some((&e.name, e.value_from.as_ref()?.secret_key_ref.as_ref()?)));
        for (var, r) in refs {
            check(m.secret_has(&r.name, &r.key), || {
                format!(
                    "{}: {var} reads Secret {}/{}, which secret.example.yaml lacks",
                    w.name, r.name, r.key
                )
            })?;
        }
    }
    Ok(())
}

/// Every container requests cpu and memory and is limited in both.
fn check_resources(m: &Manifests) -> Result<(), String> {
    for w in m.workloads() {
        let resources = w.container.resources.as_ref();
        for (what, list) in [
            ("requests", resources.and_then(|r| r.requests.as_ref())),
            ("limits", resources.and_then(|r| r.limits.as_ref())),
        ] {
            let empty = BTreeMap::<String, Quantity>::new();
            let list = list.unwrap_or(&empty);
            for resource in ["cpu", "memory"] {
                check(list.get(resource).is_some_and(|q| !q.0.is_empty()), || {
                    format!("{}: no {resource} in resources.{what}", w.name)
                })?;
            }
        }
    }
    Ok(())
}

/// Each Service selects the pods of exactly one Deployment, and its targetPort is a port of
/// that Deployment's container, the one its `--web 0.0.0.0:PORT` listens on.
fn check_services(m: &Manifests) -> Result<(), String> {
    check(!m.services.is_empty(), || "no Service".to_owned())?;
    for service in &m.services {
        let name = name_of(&service.metadata);
        let spec = service
            .spec
            .as_ref()
            .ok_or_else(|| format!("Service {name}: no spec"))?;
        let selector = spec.selector.as_ref().filter(|s| !s.is_empty());
        let selector = selector.ok_or_else(|| format!("Service {name}: no selector"))?;
        let selected: Vec<&Deployment> = m
            .deployments
            .iter()
            .filter(|d| {
                let labels = d
                    .spec
                    .as_ref()
                    .and_then(|s| s.template.metadata.as_ref()?.labels.as_ref());
                labels.is_some_and(|l| selector.iter().all(|(k, v)| l.get(k) == Some(v)))
            })
            .collect();
        check(selected.len() == 1, || {
            format!(
                "Service {name} selects the pods of {} Deployments, not one",
                selected.len()
            )
        })?;
        let pod = selected[0]
            .spec
            .as_ref()
            .and_then(|s| s.template.spec.as_ref());
        let pod = pod.ok_or_else(|| format!("Service {name}: its Deployment has no pod spec"))?;
        let ports = spec.ports.as_deref().unwrap_or(&[]);
        check(!ports.is_empty(), || format!("Service {name}: no port"))?;
        for port in ports {
            let target = port
                .target_port
                .clone()
                .unwrap_or(IntOrString::Int(port.port));
            let serving = pod
                .containers
                .iter()
                .find_map(|c| Some((c, container_port(c, &target)?)));
            let (container, number) = serving.ok_or_else(|| {
                format!("Service {name}: targetPort {target:?} is no containerPort")
            })?;
            check(web_port(container) == Some(number), || {
                format!(
                    "Service {name}: containerPort {number}, but `--web` is {:?}",
                    arg_after(container, "--web")
                )
            })?;
        }
    }
    Ok(())
}

/// Every workload's selector matches its own pod labels, which say what it is.
fn check_labels(m: &Manifests) -> Result<(), String> {
    for deployment in &m.deployments {
        let name = name_of(&deployment.metadata);
        let spec = deployment
            .spec
            .as_ref()
            .ok_or_else(|| format!("Deployment {name}: no spec"))?;
        let labels = spec
            .template
            .metadata
            .as_ref()
            .and_then(|m| m.labels.clone())
            .unwrap_or_default();
        let selector = spec.selector.match_labels.clone().unwrap_or_default();
        check(
            !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v)),
            || {
                format!(
                    "Deployment {name}: selector {selector:?} does not match its pod labels {labels:?}"
                )
            },
        )?;
    }
    for w in m.workloads() {
        for label in ["app.kubernetes.io/name", "app.kubernetes.io/component"] {
            check(w.pod_labels.is_some_and(|l| l.contains_key(label)), || {
                format!("{}: no pod label {label}", w.name)
            })?;
        }
    }
    Ok(())
}

/// All gameday containers run the same image.
fn check_one_image(m: &Manifests) -> Result<(), String> {
    let workloads = m.workloads();
    let first = workloads.first().and_then(|w| w.container.image.as_deref());
    let first = first
        .filter(|i| !i.is_empty())
        .ok_or("the first container has no image")?;
    for w in &workloads {
        check(w.container.image.as_deref() == Some(first), || {
            format!("{} runs image {:?}, not {first}", w.name, w.container.image)
        })?;
    }
    Ok(())
}

/// The containers that read the scenario (`worker`, `play`) find it in the scenario
/// ConfigMap, mounted at /etc/gameday.
fn check_scenario_mount(m: &Manifests) -> Result<(), String> {
    let readers: Vec<_> = m
        .running("worker")
        .into_iter()
        .chain(m.running("play"))
        .collect();
    check(!readers.is_empty(), || {
        "no container runs `worker` or `play`".to_owned()
    })?;
    for w in readers {
        let file = args(w.container)
            .get(1)
            .and_then(|a| a.strip_prefix(SCENARIO_DIR)?.strip_prefix('/'));
        let file = file
            .ok_or_else(|| format!("{}: the scenario is not a file in {SCENARIO_DIR}", w.name))?;
        let mount = w
            .container
            .volume_mounts
            .iter()
            .flatten()
            .find(|v| v.mount_path == SCENARIO_DIR);
        let mount =
            mount.ok_or_else(|| format!("{}: nothing mounted at {SCENARIO_DIR}", w.name))?;
        let volume = w
            .pod
            .volumes
            .iter()
            .flatten()
            .find(|v| v.name == mount.name);
        let source = volume.and_then(|v| v.config_map.as_ref());
        let source = source
            .ok_or_else(|| format!("{}: {SCENARIO_DIR} is not a ConfigMap volume", w.name))?;
        // With `items`, only the listed keys appear, under their paths.
        let key = match &source.items {
            Some(items) => items
                .iter()
                .find(|i| i.path == file)
                .map(|i| i.key.as_str()),
            None => Some(file),
        };
        let found = key.and_then(|key| m.config_value(&source.name, key));
        check(found.is_some(), || {
            format!(
                "{}: ConfigMap {} does not give {SCENARIO_DIR}/{file}",
                w.name, source.name
            )
        })?;
    }
    Ok(())
}

/// Every process names the same game, and one coordinator runs it with external workers.
fn check_game(m: &Manifests) -> Result<(), String> {
    let mut games = BTreeMap::new();
    for w in m.workloads() {
        let arg =
            arg_after(w.container, "--game").ok_or_else(|| format!("{}: no --game", w.name))?;
        games.insert(resolve(m, w.container, arg)?, w.name);
    }
    check(games.len() == 1, || {
        format!("the containers name different games: {games:?}")
    })?;
    let coordinators = m.running("play");
    check(coordinators.len() == 1, || {
        format!("{} coordinators, not one", coordinators.len())
    })?;
    let coordinator = &coordinators[0];
    check(
        arg_after(coordinator.container, "--workers") == Some("external"),
        || "the coordinator does not leave the load to external workers".to_owned(),
    )?;
    let spec = coordinator.deployment.and_then(|d| d.spec.as_ref());
    let spec = spec.ok_or("the coordinator is not a Deployment")?;
    let strategy = spec.strategy.as_ref().and_then(|s| s.type_.as_deref());
    check(
        spec.replicas == Some(1) && strategy == Some("Recreate"),
        || {
            format!(
                "the coordinator runs {:?} replicas with strategy {strategy:?}: two could score at once",
                spec.replicas
            )
        },
    )?;
    Ok(())
}

/// Every web server is probed on a page it serves, through its declared port.
fn check_probes(m: &Manifests) -> Result<(), String> {
    for w in m
        .workloads()
        .into_iter()
        .filter(|w| web_port(w.container).is_some())
    {
        for (what, probe) in [
            ("readiness", &w.container.readiness_probe),
            ("liveness", &w.container.liveness_probe),
        ] {
            let get = probe.as_ref().and_then(|p| p.http_get.as_ref());
            let get = get.ok_or_else(|| format!("{}: no HTTP {what} probe", w.name))?;
            check(
                matches!(get.path.as_deref(), Some("/" | "/metrics")),
                || {
                    format!(
                        "{}: {what} probe on {:?}, not / or /metrics",
                        w.name, get.path
                    )
                },
            )?;
            let port = container_port(w.container, &get.port);
            check(port.is_some() && port == web_port(w.container), || {
                format!(
                    "{}: {what} probe port {:?} is not the --web port",
                    w.name, get.port
                )
            })?;
        }
    }
    Ok(())
}

/// Every object lives in the one Namespace the manifests create.
fn check_namespace(m: &Manifests) -> Result<(), String> {
    check(m.namespaces.len() == 1, || {
        format!("{} Namespaces, not one", m.namespaces.len())
    })?;
    let namespace = name_of(&m.namespaces[0].metadata);
    let objects = m.config_maps.iter().map(|o| ("ConfigMap", &o.metadata));
    let objects = objects
        .chain(m.secrets.iter().map(|o| ("Secret", &o.metadata)))
        .chain(m.jobs.iter().map(|o| ("Job", &o.metadata)))
        .chain(m.deployments.iter().map(|o| ("Deployment", &o.metadata)))
        .chain(m.services.iter().map(|o| ("Service", &o.metadata)))
        .chain(
            m.network_policies
                .iter()
                .map(|o| ("NetworkPolicy", &o.metadata)),
        );
    for (kind, metadata) in objects {
        check(metadata.namespace.as_deref() == Some(namespace), || {
            format!(
                "{kind} {} is in namespace {:?}, not {namespace}",
                name_of(metadata),
                metadata.namespace
            )
        })?;
    }
    Ok(())
}

/// A check of the manifests: `Err` says what is wrong.
type Check = fn(&Manifests) -> Result<(), String>;

const CHECKS: &[(&str, Check)] = &[
    ("worker job", check_worker_job),
    ("secrets", check_secrets),
    ("resources", check_resources),
    ("services", check_services),
    ("labels", check_labels),
    ("one image", check_one_image),
    ("scenario mount", check_scenario_mount),
    ("game", check_game),
    ("probes", check_probes),
    ("namespace", check_namespace),
];

#[test]
fn the_shipped_manifests_hold_together() {
    let m = shipped();
    assert_eq!(m.jobs.len(), 1);
    assert_eq!(m.deployments.len(), 2);
    assert_eq!(m.services.len(), 2);
    let failures: Vec<String> = CHECKS
        .iter()
        .filter_map(|(name, check)| check(&m).err().map(|e| format!("{name}: {e}")))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Each check fails on a manifest broken the way it guards against.
mod each_check_can_fail {
    use super::*;

    fn job(m: &mut Manifests) -> &mut k8s_openapi::api::batch::v1::JobSpec {
        m.jobs[0].spec.as_mut().unwrap()
    }

    fn container<'a>(m: &'a mut Manifests, command: &str) -> &'a mut Container {
        let pods = m
            .jobs
            .iter_mut()
            .map(|j| j.spec.as_mut().unwrap().template.spec.as_mut().unwrap());
        let pods = pods.chain(
            m.deployments
                .iter_mut()
                .map(|d| d.spec.as_mut().unwrap().template.spec.as_mut().unwrap()),
        );
        let mut containers = pods.flat_map(|p| p.containers.iter_mut());
        containers
            .find(|c| args(c).first().map(String::as_str) == Some(command))
            .unwrap()
    }

    fn fails(check: Check, m: &Manifests, expected: &str) {
        match check(m) {
            Ok(()) => panic!("the check passed; expected an error with {expected:?}"),
            Err(e) => assert!(e.contains(expected), "{e:?} does not say {expected:?}"),
        }
    }

    fn set_arg(c: &mut Container, flag: &str, value: &str) {
        let args = c.args.as_mut().unwrap();
        let at = args.iter().position(|a| a == flag).unwrap();
        args[at + 1] = value.to_owned();
    }

    #[test]
    fn a_misspelt_field_is_refused() {
        let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespce: gameday\n";
        let e = Manifests::default()
            .add_yaml("typo.yaml", yaml)
            .unwrap_err();
        assert!(e.contains("`metadata.namespce`: no such field"), "{e}");
        let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\nkind: Service\n";
        let e = Manifests::default().add_yaml("two.yaml", yaml).unwrap_err();
        assert!(e.contains("two.yaml, document 2"), "{e}");
        assert!(e.contains("`apiVersion` is missing"), "{e}");

        // Deep in a shipped manifest, in a type nested six levels down.
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("k8s/workers-job.yaml");
        let text = std::fs::read_to_string(path).unwrap();
        let typo = text.replace("readOnlyRootFilesystem", "readOnlyRootFileSystem");
        let e = Manifests::default()
            .add_yaml("workers-job.yaml", &typo)
            .unwrap_err();
        let field = "spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem";
        assert!(e.contains(&format!("`{field}`: no such field")), "{e}");
    }

    #[test]
    fn a_value_of_the_wrong_type_is_refused() {
        let yaml = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: x\nspec:\n  completions: four\n  template: {}\n";
        let e = Manifests::default().add_yaml("job.yaml", yaml).unwrap_err();
        assert!(e.contains("job.yaml, document 1"), "{e}");
    }

    #[test]
    fn an_unknown_kind_is_refused() {
        let yaml = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: x\n";
        let e = Manifests::default().add_yaml("sts.yaml", yaml).unwrap_err();
        assert!(
            e.contains("\"StatefulSet\" is not one this test knows"),
            "{e}"
        );
    }

    #[test]
    fn worker_job() {
        let mut m = shipped();
        job(&mut m).completion_mode = Some("NonIndexed".into());
        fails(check_worker_job, &m, "not Indexed");

        let mut m = shipped();
        job(&mut m).parallelism = Some(3);
        fails(check_worker_job, &m, "parallelism Some(3) != completions 4");

        let mut m = shipped();
        set_arg(
            container(&mut m, "worker"),
            "--segment",
            "$(JOB_COMPLETION_INDEX)/3",
        );
        fails(check_worker_job, &m, "but completions = 4");

        let mut m = shipped();
        set_arg(container(&mut m, "worker"), "--segment", "0/4");
        fails(check_worker_job, &m, "is not $(JOB_COMPLETION_INDEX)/N");

        let mut m = shipped();
        job(&mut m).template.spec.as_mut().unwrap().restart_policy = Some("OnFailure".into());
        fails(check_worker_job, &m, "need restartPolicy Never");

        let mut m = shipped();
        job(&mut m).backoff_limit_per_index = None;
        job(&mut m).backoff_limit = Some(0);
        fails(check_worker_job, &m, "is not retried");
    }

    fn env_mut<'a>(c: &'a mut Container, name: &str) -> &'a mut EnvVar {
        c.env
            .as_mut()
            .unwrap()
            .iter_mut()
            .find(|e| e.name == name)
            .unwrap()
    }

    #[test]
    fn secrets() {
        let mut m = shipped();
        let var = env_mut(container(&mut m, "worker"), "GAMEDAY_LEDGER");
        var.value_from
            .as_mut()
            .unwrap()
            .secret_key_ref
            .as_mut()
            .unwrap()
            .key = "ledger".into();
        fails(check_secrets, &m, "reads Secret gameday/ledger");

        let mut m = shipped();
        let var = env_mut(container(&mut m, "serve"), "GAMEDAY_LEDGER");
        var.value = Some("postgres://inline".into());
        var.value_from = None;
        fails(check_secrets, &m, "GAMEDAY_LEDGER is not from a Secret");

        let mut m = shipped();
        container(&mut m, "play")
            .env
            .as_mut()
            .unwrap()
            .retain(|e| e.name != "GAMEDAY_ADMIN_TOKEN");
        fails(
            check_secrets,
            &m,
            "GAMEDAY_ADMIN_TOKEN is not from a Secret",
        );
    }

    #[test]
    fn resources() {
        let mut m = shipped();
        let c = container(&mut m, "serve");
        c.resources
            .as_mut()
            .unwrap()
            .requests
            .as_mut()
            .unwrap()
            .remove("cpu");
        fails(check_resources, &m, "no cpu in resources.requests");

        let mut m = shipped();
        let c = container(&mut m, "worker");
        c.resources
            .as_mut()
            .unwrap()
            .limits
            .as_mut()
            .unwrap()
            .remove("memory");
        fails(check_resources, &m, "no memory in resources.limits");
    }

    #[test]
    fn services() {
        let mut m = shipped();
        let selector = m.services[0]
            .spec
            .as_mut()
            .unwrap()
            .selector
            .as_mut()
            .unwrap();
        selector.remove("app.kubernetes.io/component");
        fails(check_services, &m, "selects the pods of 2 Deployments");

        let mut m = shipped();
        let port = &mut m.services[1].spec.as_mut().unwrap().ports.as_mut().unwrap()[0];
        port.target_port = Some(IntOrString::Int(9090));
        fails(
            check_services,
            &m,
            "targetPort Int(9090) is no containerPort",
        );

        let mut m = shipped();
        set_arg(container(&mut m, "serve"), "--web", "0.0.0.0:9090");
        fails(check_services, &m, "but `--web` is Some(\"0.0.0.0:9090\")");
    }

    #[test]
    fn labels() {
        let mut m = shipped();
        let spec = m.deployments[0].spec.as_mut().unwrap();
        let labels = spec
            .template
            .metadata
            .as_mut()
            .unwrap()
            .labels
            .as_mut()
            .unwrap();
        labels.insert("app.kubernetes.io/component".into(), "other".into());
        fails(check_labels, &m, "does not match its pod labels");
    }

    #[test]
    fn one_image() {
        let mut m = shipped();
        container(&mut m, "serve").image = Some("registry.example.com/gameday:0.0.9".into());
        fails(check_one_image, &m, "runs image");
    }

    #[test]
    fn scenario_mount() {
        let mut m = shipped();
        let c = container(&mut m, "worker");
        let mount = c
            .volume_mounts
            .as_mut()
            .unwrap()
            .iter_mut()
            .find(|v| v.name == "scenario")
            .unwrap();
        mount.mount_path = "/etc/scenario".into();
        fails(check_scenario_mount, &m, "nothing mounted at /etc/gameday");

        let mut m = shipped();
        m.config_maps[0]
            .data
            .as_mut()
            .unwrap()
            .remove("scenario.toml");
        fails(
            check_scenario_mount,
            &m,
            "does not give /etc/gameday/scenario.toml",
        );

        let mut m = shipped();
        container(&mut m, "play").args.as_mut().unwrap()[1] = "scenario.toml".into();
        fails(
            check_scenario_mount,
            &m,
            "the scenario is not a file in /etc/gameday",
        );
    }

    #[test]
    fn game() {
        let mut m = shipped();
        set_arg(container(&mut m, "serve"), "--game", "another-game");
        fails(check_game, &m, "the containers name different games");

        let mut m = shipped();
        set_arg(container(&mut m, "play"), "--workers", "4");
        fails(
            check_game,
            &m,
            "does not leave the load to external workers",
        );

        let mut m = shipped();
        let coordinator = m
            .deployments
            .iter_mut()
            .find(|d| name_of(&d.metadata) == "gameday-coordinator");
        coordinator.unwrap().spec.as_mut().unwrap().replicas = Some(2);
        fails(check_game, &m, "two could score at once");
    }

    #[test]
    fn probes() {
        let mut m = shipped();
        let probe = container(&mut m, "serve").readiness_probe.as_mut().unwrap();
        probe.http_get.as_mut().unwrap().path = Some("/healthz".into());
        fails(check_probes, &m, "not / or /metrics");
    }

    #[test]
    fn namespace() {
        let mut m = shipped();
        m.services[0].metadata.namespace = None;
        fails(check_namespace, &m, "is in namespace None");
    }
}
