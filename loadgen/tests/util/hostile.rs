//! The hostile team servers of the hardening suite, and the measures it takes: shared by
//! `tests/hostile.rs` and `benches/hostile.rs`.

use std::time::Duration;

use loadgen::{EngineConfig, Outcome, OutcomeBatch, OutcomeKind, Pacing, RateSchedule, Stop};

use super::{Behaviour, TestServer, answers, run, summary_of, target};

/// One hostile behaviour, the outcome it must be scored as, and words its reason holds.
pub struct Case {
    pub name: &'static str,
    pub behaviour: Behaviour,
    pub kind: OutcomeKind,
    pub reason: Option<&'static str>,
}

pub fn cases(redirect_to: String) -> Vec<Case> {
    let case = |name, behaviour, kind, reason| Case {
        name,
        behaviour,
        kind,
        reason,
    };
    use Behaviour as B;
    use OutcomeKind as K;
    vec![
        case("slowloris", B::Slowloris, K::Timeout, None),
        case("endless-chunked", B::EndlessChunked, K::TooLarge, None),
        case("giant-body", B::GiantBody, K::TooLarge, None),
        case("bad-status", B::BadStatusLine, K::Malformed, Some("status")),
        case("reset-mid-body", B::ResetMidBody, K::Reset, Some("body")),
        case("redirect", B::Redirect(redirect_to), K::HttpStatus, None),
        case(
            "tls-only",
            B::TlsOnly,
            K::PlainHttpOnTlsPort,
            Some("serves HTTPS"),
        ),
        case("many-headers", B::ManyHeaders(10_000), K::TooLarge, None),
        case("non-utf8", B::NonUtf8Body, K::WrongAnswer, None),
        case("lying-length", B::LyingLength, K::WrongAnswer, None),
        case("hang-after-headers", B::HangAfterHeaders, K::Timeout, None),
        case("accept-and-close", B::AcceptAndClose, K::Reset, Some("")),
    ]
}

/// The process's peak resident memory since the last [`reset_peak_rss`], in MiB.
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024.0
}

pub fn reset_peak_rss() {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
}

/// The reason a failure's first example gives, if its kind carries one.
pub fn first_detail(batches: &[OutcomeBatch], name: &str) -> Option<String> {
    batches
        .iter()
        .filter(|b| &*b.target == name)
        .flat_map(|b| &b.error_samples)
        .find_map(|s| match &s.outcome {
            Outcome::Reset { detail }
            | Outcome::Malformed { detail }
            | Outcome::ConnectRefused { detail }
            | Outcome::Tls { detail, .. } => Some(detail.clone()),
            _ => None,
        })
}

/// What runs beside the healthy team in a round.
#[derive(Clone, Copy, Debug)]
pub enum Beside {
    Nothing,
    /// The case of this name.
    One(&'static str),
    All,
}

/// Requests per second each team is sent, for three seconds: 60 requests (rate × duration:
/// the first at 0, the last before the end).
const RATE: f64 = 20.0;
const DUE: u64 = 60;

/// One run of the healthy team (which answers in 50 ms), beside `beside`; checks that every
/// hostile team was scored as its case says with its reason, that no redirect was followed
/// and that the healthy team got every answer right, and returns the healthy team's p99.
pub async fn round(beside: Beside) -> Duration {
    let (healthy, _h) = TestServer::start_on_own_thread(Behaviour::Correct {
        delay: Duration::from_millis(50),
    });
    let (canary, _c) = TestServer::start_on_own_thread(Behaviour::Correct {
        delay: Duration::ZERO,
    });
    let cases: Vec<Case> = cases(format!("{}/calc?input=0000-0000-0000", canary.url()))
        .into_iter()
        .filter(|c| match beside {
            Beside::Nothing => false,
            Beside::One(name) => c.name == name,
            Beside::All => true,
        })
        .collect();
    let servers: Vec<_> = cases
        .iter()
        .map(|c| TestServer::start_on_own_thread(c.behaviour.clone()))
        .collect();
    let mut targets = vec![target("healthy", &healthy, Duration::from_secs(2))];
    for (case, (server, _)) in cases.iter().zip(&servers) {
        let mut t = target(case.name, server, Duration::from_secs(1));
        t.limits.max_in_flight = 50;
        targets.push(t);
    }
    let config = EngineConfig {
        pacing: Pacing::Open(RateSchedule::constant(RATE).unwrap()),
        stop: Stop::After(Duration::from_secs(3)),
        ..EngineConfig::default()
    };
    let batches = run(config, targets, answers(100)).await;
    let s = summary_of(&batches, "healthy");
    assert_eq!(s.counts.get(OutcomeKind::Correct), DUE, "{:?}", s.counts);
    for (case, (server, _)) in cases.iter().zip(&servers) {
        check(case, &batches);
        assert!(server.connections() > 0, "{}", case.name);
    }
    assert_eq!(canary.connections(), 0, "a redirect was followed");
    s.latency.quantile(0.99)
}

/// Every request due to `case`'s team is scored as its kind, with its reason.
fn check(case: &Case, batches: &[OutcomeBatch]) {
    let got = summary_of(batches, case.name);
    let detail = first_detail(batches, case.name);
    eprintln!("{:>18}: {:?} {detail:?}", case.name, got.counts);
    let total: u64 = OutcomeKind::ALL.iter().map(|&k| got.counts.get(k)).sum();
    assert_eq!(total, DUE, "{}: every due request is scored", case.name);
    assert_eq!(
        got.counts.get(case.kind),
        total,
        "{}: expected {} for all, got {:?}",
        case.name,
        case.kind.name(),
        got.counts
    );
    if case.kind == OutcomeKind::HttpStatus {
        assert_eq!(got.counts.statuses().get(&302), Some(&DUE));
    }
    if let Some(words) = case.reason {
        let detail = detail.unwrap_or_default();
        assert!(
            !detail.is_empty() && detail.contains(words),
            "{}: reason {detail:?} should say {words:?}",
            case.name
        );
    }
}
