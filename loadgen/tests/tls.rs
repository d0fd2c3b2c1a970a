//! Team endpoints over HTTPS: answers verified through a private CA, sessions resumed on
//! reconnects, HTTP/1.1 by ALPN; and hostile TLS servers (an untrusted, an expired, a
//! wrong-host certificate, a stalled handshake, garbage after the hello, a huge chain,
//! plain HTTP on either side, a client certificate demanded) each scored as the kind that
//! says what broke, with its reason, in bounded memory.

mod util;

use std::time::Duration;

use loadgen::{EngineConfig, Outcome, OutcomeKind, Pacing, RateSchedule, Stop, Target};

use util::hostile::{peak_rss_mib, reset_peak_rss};
use util::tls::{Leaf, Pki, TlsBehaviour, TlsServer};
use util::{Behaviour, TestServer, answers, run, summary_of};

fn target(name: &str, url: String, ca: Option<&std::path::Path>) -> Target {
    let mut t = Target::new(name, vec![url]);
    t.limits.timeout = Duration::from_secs(2);
    t.limits.connect_timeout = Duration::from_millis(500);
    t.limits.max_in_flight = 50;
    t.ca_cert = ca.map(Into::into);
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_answers_are_verified_through_a_private_ca_and_reconnects_resume() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let ca = pki.write_ca(dir.path());
    let closing = TlsServer::start(TlsBehaviour::Serve {
        identity: pki.identity(Leaf::Good),
        close: true,
    })
    .await;
    let kept = TlsServer::start(TlsBehaviour::Serve {
        identity: pki.identity(Leaf::Good),
        close: false,
    })
    .await;
    let targets = vec![
        // By name: SNI and the certificate check use `localhost`.
        target("closing", closing.url("localhost"), Some(&ca)),
        // By address: the certificate holds 127.0.0.1 too.
        target("kept", kept.url("127.0.0.1"), Some(&ca)),
        target("no-ca", kept.url("localhost"), None),
    ];
    let config = EngineConfig {
        pacing: Pacing::Closed { clients: 2 },
        stop: Stop::Count(40),
        ..EngineConfig::default()
    };
    let batches = run(config, targets, answers(100)).await;
    for name in ["closing", "kept"] {
        let s = summary_of(&batches, name);
        assert_eq!(
            s.counts.get(OutcomeKind::Correct),
            40,
            "{name}: {:?}",
            s.counts
        );
    }
    // Every answer closed its connection: 40 handshakes, all but the first few resumed.
    let (full, resumed) = (closing.full.load(SEQ), closing.resumed.load(SEQ));
    eprintln!("closing: {full} full handshakes, {resumed} resumed");
    assert_eq!(full + resumed, 40);
    assert!(resumed >= 30, "{full} full, {resumed} resumed");
    assert_eq!(
        closing.alpn.lock().unwrap().as_deref(),
        Some(&b"http/1.1"[..])
    );
    // Kept alive: two clients, two connections (and the no-ca target's failed attempts
    // never finished a handshake).
    assert_eq!(kept.full.load(SEQ) + kept.resumed.load(SEQ), 2);
    let untrusted = summary_of(&batches, "no-ca");
    assert_eq!(
        untrusted.counts.get(OutcomeKind::TlsUntrusted),
        40,
        "{:?}",
        untrusted.counts
    );
}

/// A server that demands a client certificate: in TLS 1.3 it says so with a fatal alert
/// after the handshake, on the first read of the answer; in TLS 1.2 during the handshake.
/// Either way the team reads a TLS outcome that names the alert, never a reset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_demanding_a_client_certificate_is_a_tls_outcome_not_a_reset() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let ca = pki.write_ca(dir.path());
    let tls13 = TlsServer::start(pki.demanding_client_certs(&rustls::version::TLS13)).await;
    let tls12 = TlsServer::start(pki.demanding_client_certs(&rustls::version::TLS12)).await;
    let targets = vec![
        target("tls13", tls13.url("localhost"), Some(&ca)),
        target("tls12", tls12.url("localhost"), Some(&ca)),
    ];
    let config = EngineConfig {
        pacing: Pacing::Closed { clients: 2 },
        stop: Stop::Count(20),
        ..EngineConfig::default()
    };
    let batches = run(config, targets, answers(100)).await;
    for (name, words) in [
        (
            "tls13",
            "the server ended the TLS session with a fatal alert: CertificateRequired (it \
             demands a client certificate, which the load generator does not have)",
        ),
        (
            "tls12",
            "the server refused the TLS handshake with the alert",
        ),
    ] {
        let s = summary_of(&batches, name);
        assert_eq!(
            s.counts.get(OutcomeKind::TlsRefused),
            20,
            "{name}: {:?}",
            s.counts
        );
        let detail = s
            .error_samples
            .iter()
            .find_map(|e| match &e.outcome {
                Outcome::Tls { detail, .. } => Some(detail.clone()),
                _ => None,
            })
            .unwrap_or_default();
        assert!(detail.starts_with(words), "{name}: {detail}");
    }
    // Neither server took a session: the load generator has no certificate to show.
    assert_eq!(tls12.full.load(SEQ) + tls13.full.load(SEQ), 0);
}

const SEQ: std::sync::atomic::Ordering = std::sync::atomic::Ordering::SeqCst;

/// A hostile TLS endpoint, the kind it must be scored as, and words of its reason.
struct Case {
    name: &'static str,
    kind: OutcomeKind,
    reason: &'static str,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tls_servers_are_scored_by_what_broke_in_bounded_memory() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let ca = pki.write_ca(dir.path());
    let serve = |leaf| TlsBehaviour::Serve {
        identity: pki.identity(leaf),
        close: false,
    };
    let self_signed = TlsServer::start(serve(Leaf::SelfSigned)).await;
    let expired = TlsServer::start(serve(Leaf::Expired)).await;
    let wrong_host = TlsServer::start(serve(Leaf::WrongHost)).await;
    // About 300 KiB of chain: past what a TLS handshake message may hold.
    let huge_chain = TlsServer::start(serve(Leaf::HugeChain(600))).await;
    let stall = TlsServer::start(TlsBehaviour::Stall).await;
    let garbage = TlsServer::start(TlsBehaviour::Garbage).await;
    let plain = TlsServer::start(TlsBehaviour::PlainHttp).await;
    let good = TlsServer::start(serve(Leaf::Good)).await;
    let plain_ok = TestServer::start(Behaviour::Correct {
        delay: Duration::ZERO,
    })
    .await;
    let url = |s: &TlsServer| s.url("localhost");
    let with_ca = |name, url| target(name, url, Some(&ca));
    let targets = vec![
        with_ca("self-signed", url(&self_signed)),
        with_ca("expired", url(&expired)),
        with_ca("wrong-host", url(&wrong_host)),
        with_ca("huge-chain", url(&huge_chain)),
        with_ca("stall", url(&stall)),
        with_ca("garbage", url(&garbage)),
        with_ca("https-to-plain", url(&plain)),
        with_ca(
            "http-to-tls",
            format!("http://localhost:{}", good.addr.port()),
        ),
        with_ca("good", url(&good)),
        with_ca("plain-good", plain_ok.url()),
    ];
    let cases = [
        Case {
            name: "self-signed",
            kind: OutcomeKind::TlsUntrusted,
            reason: "not trusted",
        },
        Case {
            name: "expired",
            kind: OutcomeKind::TlsExpired,
            reason: "renew",
        },
        Case {
            name: "wrong-host",
            kind: OutcomeKind::TlsWrongHost,
            reason: "not for localhost",
        },
        Case {
            name: "huge-chain",
            kind: OutcomeKind::TlsRefused,
            reason: "chain",
        },
        Case {
            name: "stall",
            kind: OutcomeKind::TlsHandshakeTimeout,
            reason: "within 500ms",
        },
        Case {
            name: "garbage",
            kind: OutcomeKind::TlsRefused,
            reason: "not TLS",
        },
        Case {
            name: "https-to-plain",
            kind: OutcomeKind::TlsOnPlainPort,
            reason: "http://",
        },
        Case {
            name: "http-to-tls",
            kind: OutcomeKind::PlainHttpOnTlsPort,
            reason: "https://",
        },
        Case {
            name: "good",
            kind: OutcomeKind::Correct,
            reason: "",
        },
        Case {
            name: "plain-good",
            kind: OutcomeKind::Correct,
            reason: "",
        },
    ];
    reset_peak_rss();
    let before = peak_rss_mib();
    let config = EngineConfig {
        pacing: Pacing::Open(RateSchedule::constant(20.0).unwrap()),
        stop: Stop::After(Duration::from_secs(2)),
        ..EngineConfig::default()
    };
    let batches = run(config, targets, answers(100)).await;
    let peak = peak_rss_mib();
    eprintln!("peak RSS {peak:.1} MiB (at the start {before:.1} MiB)");
    for case in &cases {
        let got = summary_of(&batches, case.name);
        let detail = batches
            .iter()
            .filter(|b| &*b.target == case.name)
            .flat_map(|b| &b.error_samples)
            .find_map(|s| match &s.outcome {
                Outcome::Tls { detail, .. } => Some(detail.clone()),
                _ => None,
            })
            .unwrap_or_default();
        eprintln!("{:>15}: {:?} {detail:?}", case.name, got.counts);
        let total = got.counts.total();
        assert!(total >= 30, "{}: {total} requests", case.name);
        assert_eq!(
            got.counts.get(case.kind),
            total,
            "{}: {:?}",
            case.name,
            got.counts
        );
        assert!(detail.contains(case.reason), "{}: {detail}", case.name);
    }
    // Garbage streamed without end and 300 KiB chains, 20 times a second: reading any of
    // them whole, or keeping them, would show here.
    assert!(
        peak < before + 64.0,
        "peak RSS {peak:.1} MiB, {before:.1} at the start"
    );
}
