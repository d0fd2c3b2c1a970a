//! Checks the hardening of the Kubernetes manifests in `deploy/k8s/` (what checkov asks, in
//! gameday's terms): no service-account token, images pinned by digest, an example Secret of
//! placeholders only, and NetworkPolicies that give each component only what it needs.

mod util;

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use util::{Manifests, Workload, args, check, name_of, selects, shipped, web_port};

/// The ledger's port: PostgreSQL's.
const LEDGER_PORT: i32 = 5432;
/// Name lookups.
const DNS_PORT: i32 = 53;
/// Where the Kubernetes API, the nodes and the cloud's metadata service live: a rule that lets
/// a pod out on any port must leave these out.
const PRIVATE: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
];

/// No pod mounts a service-account token: nothing in gameday calls the Kubernetes API.
fn check_no_token(m: &Manifests) -> Result<(), String> {
    for w in m.workloads() {
        check(w.pod.automount_service_account_token == Some(false), || {
            format!(
                "{}: automountServiceAccountToken is {:?}, not false",
                w.name, w.pod.automount_service_account_token
            )
        })?;
    }
    Ok(())
}

/// Every container's image is pinned by a sha256 digest and pulled only when absent.
fn check_image_pinned(m: &Manifests) -> Result<(), String> {
    for w in m.workloads() {
        let image = w.container.image.as_deref().unwrap_or("");
        let digest = image.rsplit_once("@sha256:").map(|(_, d)| d);
        check(
            digest.is_some_and(|d| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit())),
            || {
                format!(
                    "{}: image {image:?} is not pinned by @sha256:<64 hex digits>",
                    w.name
                )
            },
        )?;
        let policy = w.container.image_pull_policy.as_deref();
        check(policy == Some("IfNotPresent"), || {
            format!("{}: imagePullPolicy {policy:?}, not IfNotPresent", w.name)
        })?;
    }
    Ok(())
}

/// The example Secret holds placeholders only: every value has a `<…>`, and a URL's password
/// is one.
fn check_placeholders(m: &Manifests) -> Result<(), String> {
    check(!m.secrets.is_empty(), || "no example Secret".to_owned())?;
    for secret in &m.secrets {
        let name = name_of(&secret.metadata);
        check(secret.data.is_none(), || {
            format!("Secret {name}: `data` holds encoded values; use stringData placeholders")
        })?;
        for (key, value) in secret.string_data.iter().flatten() {
            let placeholder = |s: &str| s.starts_with('<') && s.ends_with('>') && s.len() > 2;
            check(value.contains('<') && value.contains('>'), || {
                format!("Secret {name}: {key} = {value:?} is not a <placeholder>")
            })?;
            let userinfo = value
                .split_once("://")
                .and_then(|(_, rest)| rest.split_once('@'))
                .map(|(userinfo, _)| userinfo);
            if let Some((_, password)) = userinfo.and_then(|u| u.split_once(':')) {
                check(placeholder(password), || {
                    format!("Secret {name}: {key} has a password {password:?}, not a <placeholder>")
                })?;
            }
        }
    }
    Ok(())
}

/// The policies that select the workload's pods and restrict `kind` (Ingress or Egress).
fn restricting<'a>(m: &'a Manifests, w: &Workload<'_>, kind: &str) -> Vec<&'a NetworkPolicy> {
    let empty = BTreeMap::new();
    let labels = w.pod_labels.unwrap_or(&empty);
    m.network_policies
        .iter()
        .filter(|p| {
            let spec = p.spec.as_ref();
            let types = spec.and_then(|s| s.policy_types.as_deref()).unwrap_or(&[]);
            let selector = spec
                .and_then(|s| s.pod_selector.clone())
                .unwrap_or_default();
            types.iter().any(|t| t == kind) && selects(&selector, labels)
        })
        .collect()
}

/// The port numbers a rule allows; `None` for every port.
fn port_numbers(ports: Option<&Vec<NetworkPolicyPort>>) -> Option<Vec<(String, i32)>> {
    let ports = ports.filter(|p| !p.is_empty())?;
    let numbers = ports.iter().map(|p| {
        let protocol = p.protocol.clone().unwrap_or_else(|| "TCP".into());
        let number = match &p.port {
            Some(IntOrString::Int(n)) => *n,
            _ => -1,
        };
        (protocol, number)
    });
    Some(numbers.collect())
}

/// Whether a rule open on every port keeps away from the cluster, the nodes and the metadata
/// service: its peers are IP blocks that leave out every private and link-local range.
fn public_only(peers: Option<&Vec<NetworkPolicyPeer>>) -> bool {
    let peers = peers.map_or(&[][..], |p| p.as_slice());
    !peers.is_empty()
        && peers.iter().all(|peer| {
            let Some(block) = &peer.ip_block else {
                return false;
            };
            let except = block.except.as_deref().unwrap_or(&[]);
            PRIVATE.iter().all(|p| except.iter().any(|e| e == p))
        })
}

/// What a workload may reach: the (protocol, port) pairs of its egress rules, and whether one
/// rule goes to the internet (any public address, any port).
fn egress_of(m: &Manifests, w: &Workload<'_>) -> Result<(Vec<(String, i32)>, bool), String> {
    let mut ports = Vec::new();
    let mut internet = false;
    for policy in restricting(m, w, "Egress") {
        let rules = policy.spec.as_ref().and_then(|s| s.egress.as_deref());
        for rule in rules.unwrap_or(&[]) {
            let policy = name_of(&policy.metadata);
            match port_numbers(rule.ports.as_ref()) {
                Some(numbers) => ports.extend(numbers),
                None => {
                    check(public_only(rule.to.as_ref()), || {
                        format!(
                            "{}: NetworkPolicy {policy} lets it out on every port to more than public addresses (the Kubernetes API, the nodes or the metadata service)",
                            w.name
                        )
                    })?;
                    internet = true;
                }
            }
        }
    }
    Ok((ports, internet))
}

/// Every pod is under a default deny both ways; each reaches DNS and the ledger; the web
/// replicas reach nothing else; the workers and the coordinator also reach the internet; only
/// the `--web` port lets anything in, and nothing gets into a worker.
fn check_network(m: &Manifests) -> Result<(), String> {
    for w in m.workloads() {
        for kind in ["Ingress", "Egress"] {
            check(!restricting(m, &w, kind).is_empty(), || {
                format!("{}: no NetworkPolicy restricts its {kind}", w.name)
            })?;
        }
        let (ports, internet) = egress_of(m, &w)?;
        for (protocol, port) in [("UDP", DNS_PORT), ("TCP", LEDGER_PORT)] {
            check(
                ports.iter().any(|(p, n)| p == protocol && *n == port),
                || format!("{}: cannot reach {protocol} port {port}", w.name),
            )?;
        }
        let command = args(w.container).first().map_or("", String::as_str);
        if command == "serve" {
            let other = ports
                .iter()
                .find(|(_, n)| *n != DNS_PORT && *n != LEDGER_PORT);
            check(other.is_none() && !internet, || {
                format!(
                    "{}: a web replica needs only DNS and the ledger, yet may reach {other:?}{}",
                    w.name,
                    if internet { " and the internet" } else { "" }
                )
            })?;
        } else {
            check(internet, || {
                format!("{}: cannot reach the teams (the internet)", w.name)
            })?;
        }
        for policy in restricting(m, &w, "Ingress") {
            let rules = policy.spec.as_ref().and_then(|s| s.ingress.as_deref());
            for rule in rules.unwrap_or(&[]) {
                let policy = name_of(&policy.metadata);
                let ports = port_numbers(rule.ports.as_ref()).unwrap_or_default();
                let web = web_port(w.container);
                check(
                    web.is_some()
                        && !ports.is_empty()
                        && ports.iter().all(|(_, n)| Some(*n) == web),
                    || {
                        format!(
                            "{}: NetworkPolicy {policy} lets in {ports:?}, not only its --web port {web:?}",
                            w.name
                        )
                    },
                )?;
            }
        }
    }
    Ok(())
}

/// A check of the manifests: `Err` says what is wrong.
type Check = fn(&Manifests) -> Result<(), String>;

const CHECKS: &[(&str, Check)] = &[
    ("no token", check_no_token),
    ("image pinned", check_image_pinned),
    ("placeholders", check_placeholders),
    ("network", check_network),
];

#[test]
fn the_shipped_manifests_are_hardened() {
    let m = shipped();
    assert!(!m.network_policies.is_empty());
    let failures: Vec<String> = CHECKS
        .iter()
        .filter_map(|(name, check)| check(&m).err().map(|e| format!("{name}: {e}")))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Each check fails on a manifest weakened the way it guards against.
mod each_check_can_fail {
    use k8s_openapi::api::core::v1::PodSpec;
    use k8s_openapi::api::networking::v1::{NetworkPolicyEgressRule, NetworkPolicySpec};

    use super::*;

    fn fails(check: Check, m: &Manifests, expected: &str) {
        match check(m) {
            Ok(()) => panic!("the check passed; expected an error with {expected:?}"),
            Err(e) => assert!(e.contains(expected), "{e:?} does not say {expected:?}"),
        }
    }

    fn web_pod(m: &mut Manifests) -> &mut PodSpec {
        let web = m
            .deployments
            .iter_mut()
            .find(|d| name_of(&d.metadata) == "gameday-web")
            .unwrap();
        web.spec.as_mut().unwrap().template.spec.as_mut().unwrap()
    }

    fn policy<'a>(m: &'a mut Manifests, name: &str) -> &'a mut NetworkPolicySpec {
        let found = m
            .network_policies
            .iter_mut()
            .find(|p| name_of(&p.metadata) == name);
        found.unwrap().spec.as_mut().unwrap()
    }

    #[test]
    fn no_token() {
        let mut m = shipped();
        web_pod(&mut m).automount_service_account_token = None;
        fails(check_no_token, &m, "automountServiceAccountToken is None");
    }

    #[test]
    fn image_pinned() {
        let mut m = shipped();
        web_pod(&mut m).containers[0].image = Some("registry.example.com/gameday:0.1.0".into());
        fails(check_image_pinned, &m, "is not pinned by @sha256");

        let mut m = shipped();
        web_pod(&mut m).containers[0].image_pull_policy = Some("Always".into());
        fails(check_image_pinned, &m, "imagePullPolicy Some(\"Always\")");
    }

    #[test]
    fn placeholders() {
        let mut m = shipped();
        let data = m.secrets[0].string_data.as_mut().unwrap();
        data.insert("admin-token".into(), "3f9a0c1e7b".into());
        fails(
            check_placeholders,
            &m,
            "admin-token = \"3f9a0c1e7b\" is not a <placeholder>",
        );

        let mut m = shipped();
        let data = m.secrets[0].string_data.as_mut().unwrap();
        let url = "postgres://gameday:hunter2@<host>:5432/gameday";
        data.insert("ledger-url".into(), url.into());
        fails(check_placeholders, &m, "has a password \"hunter2\"");
    }

    #[test]
    fn network() {
        let mut m = shipped();
        m.network_policies
            .retain(|p| name_of(&p.metadata) != "gameday-default-deny");
        fails(
            check_network,
            &m,
            "Job/gameday-workers/gameday: no NetworkPolicy restricts its Ingress",
        );

        let mut m = shipped();
        policy(&mut m, "gameday-teams").pod_selector = None;
        fails(
            check_network,
            &m,
            "a web replica needs only DNS and the ledger",
        );

        let mut m = shipped();
        let rule = &mut policy(&mut m, "gameday-teams").egress.as_mut().unwrap()[0];
        let block = rule.to.as_mut().unwrap()[0].ip_block.as_mut().unwrap();
        block
            .except
            .as_mut()
            .unwrap()
            .retain(|e| e != "169.254.0.0/16");
        fails(
            check_network,
            &m,
            "lets it out on every port to more than public addresses",
        );

        let mut m = shipped();
        let egress = policy(&mut m, "gameday-ledger").egress.as_mut().unwrap();
        egress.push(NetworkPolicyEgressRule::default());
        fails(
            check_network,
            &m,
            "lets it out on every port to more than public addresses",
        );

        let mut m = shipped();
        policy(&mut m, "gameday-ledger").egress.as_mut().unwrap()[0]
            .ports
            .as_mut()
            .unwrap()[0]
            .port = Some(IntOrString::Int(5433));
        fails(check_network, &m, "cannot reach TCP port 5432");

        let mut m = shipped();
        m.network_policies
            .retain(|p| name_of(&p.metadata) != "gameday-teams");
        fails(
            check_network,
            &m,
            "Job/gameday-workers/gameday: cannot reach the teams",
        );

        let mut m = shipped();
        policy(&mut m, "gameday-web-in").pod_selector = None;
        fails(
            check_network,
            &m,
            "Job/gameday-workers/gameday: NetworkPolicy gameday-web-in lets in",
        );
    }
}
