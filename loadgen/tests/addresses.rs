//! The SSRF rule at connect time, against real servers on loopback: a target held to public
//! addresses never reaches one on loopback, whether its URL names the address, a name
//! resolves to it, or a rebinding name server hands it out after a public answer; and a
//! redirect to the metadata service is scored as a status, never followed.

mod util;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use loadgen::{
    AddressPolicy, EngineConfig, Outcome, OutcomeKind, Pacing, RateSchedule, Resolve, Resolver,
    Resolving, Stop,
};
use util::{Behaviour, TestServer, answers, run, summary_of, target};

fn open(resolver: Resolver) -> EngineConfig {
    EngineConfig {
        pacing: Pacing::Open(RateSchedule::constant(20.0).unwrap()),
        stop: Stop::After(Duration::from_millis(500)),
        // Short ticks: each batch keeps an example of each failure, so several show.
        tick: Duration::from_millis(100),
        resolver,
        ..EngineConfig::default()
    }
}

/// A name server for `team.example`: the answers it gives, in turn, for ever the last.
struct Rebinding {
    answers: Vec<Vec<SocketAddr>>,
    asked: AtomicUsize,
}

impl Resolve for Rebinding {
    fn resolve<'a>(&'a self, authority: &'a str) -> Resolving<'a> {
        let n = self.asked.fetch_add(1, Ordering::SeqCst);
        let answer = self.answers[n.min(self.answers.len() - 1)].clone();
        let known = authority.starts_with("team.example:");
        Box::pin(async move {
            if known {
                Ok(answer)
            } else {
                Err(std::io::Error::other("no such name"))
            }
        })
    }
}

fn refused_details(batches: &[loadgen::OutcomeBatch]) -> Vec<String> {
    batches
        .iter()
        .flat_map(|b| &b.error_samples)
        .filter_map(|s| match &s.outcome {
            Outcome::ConnectRefused { detail } => Some(detail.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_only_target_never_connects_to_loopback() {
    let server = TestServer::start(Behaviour::Correct {
        delay: Duration::ZERO,
    })
    .await;
    let mut t = target("t", &server, Duration::from_secs(1));
    t.limits.addresses = AddressPolicy::PublicOnly;
    let mut allowed = target("allowed", &server, Duration::from_secs(1));
    allowed.name = "allowed".into();
    let batches = run(open(Resolver::default()), vec![t, allowed], answers(100)).await;
    let s = summary_of(&batches, "t");
    assert_eq!(
        s.counts.get(OutcomeKind::ConnectRefused),
        10,
        "{:?}",
        s.counts
    );
    // The same server under the default policy answers (the neighbour is unaffected).
    let ok = summary_of(&batches, "allowed");
    assert_eq!(ok.counts.get(OutcomeKind::Correct), 10);
    assert_eq!(
        server.requests(),
        10,
        "only the allowed target's requests arrive"
    );
    let details = refused_details(&batches);
    assert!(
        details
            .iter()
            .any(|d| d.contains("127.0.0.1, a loopback address")),
        "{details:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_that_rebinds_to_loopback_is_refused_at_every_connection() {
    let server = TestServer::start(Behaviour::Correct {
        delay: Duration::ZERO,
    })
    .await;
    let port = server.addr.port();
    // First a public address (TEST-NET-1: nothing answers there), then loopback alone,
    // then a mix of both: each connection asks again, and no answer reaches the server.
    let public: SocketAddr = format!("192.0.2.1:{port}").parse().unwrap();
    let resolver = Arc::new(Rebinding {
        answers: vec![vec![public], vec![server.addr], vec![public, server.addr]],
        asked: AtomicUsize::new(0),
    });
    let mut t = loadgen::Target::new("t", vec![format!("http://team.example:{port}")]);
    t.limits.addresses = AddressPolicy::PublicOnly;
    t.limits.connect_timeout = Duration::from_millis(100);
    t.limits.timeout = Duration::from_millis(300);
    let batches = run(
        open(Resolver::custom(resolver.clone())),
        vec![t],
        answers(100),
    )
    .await;
    assert_eq!(server.connections(), 0, "the loopback server was reached");
    assert!(resolver.asked.load(Ordering::SeqCst) >= 3);
    let s = summary_of(&batches, "t");
    assert_eq!(s.counts.get(OutcomeKind::Correct), 0);
    assert!(
        s.counts.get(OutcomeKind::ConnectRefused) >= 2,
        "{:?}",
        s.counts
    );
    let details = refused_details(&batches);
    assert!(
        details
            .iter()
            .any(|d| d.contains("team.example") && d.contains("a loopback address")),
        "{details:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_the_metadata_service_is_a_status_not_followed() {
    let server = TestServer::start(Behaviour::Redirect(
        "http://169.254.169.254/latest/meta-data/".to_owned(),
    ))
    .await;
    let batches = run(
        open(Resolver::default()),
        vec![target("t", &server, Duration::from_secs(1))],
        answers(100),
    )
    .await;
    let s = summary_of(&batches, "t");
    assert_eq!(s.counts.statuses().get(&302), Some(&10), "{:?}", s.counts);
    assert_eq!(s.counts.get(OutcomeKind::Correct), 0);
    assert_eq!(server.requests(), 10);
}

/// A name that does not resolve is a `dns_error` with the resolver's reason, not a refused
/// connection (the team's DNS record is missing, not its server down).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_that_does_not_resolve_is_a_dns_error() {
    let resolver = Arc::new(Rebinding {
        answers: vec![vec![]],
        asked: AtomicUsize::new(0),
    });
    let t = loadgen::Target::new("t", vec!["http://nowhere.example:8000".to_owned()]);
    let batches = run(open(Resolver::custom(resolver)), vec![t], answers(100)).await;
    let s = summary_of(&batches, "t");
    assert_eq!(s.counts.get(OutcomeKind::DnsError), 10, "{:?}", s.counts);
    assert_eq!(s.counts.get(OutcomeKind::ConnectRefused), 0);
    assert_eq!(s.counts.connect_errors(), 10);
    let details: Vec<String> = batches
        .iter()
        .flat_map(|b| &b.error_samples)
        .filter_map(|e| match &e.outcome {
            Outcome::DnsError { detail } => Some(detail.clone()),
            _ => None,
        })
        .collect();
    assert!(
        details
            .iter()
            .any(|d| d.contains("nowhere.example:8000: cannot resolve: no such name")),
        "{details:?}"
    );
}
