//! The endpoint probe against real servers on loopback: a right `unicorn`, nothing
//! listening, a `unicorn` with another salt, an https endpoint whose certificate names
//! another host, a private address under the public-only rule (refused without a
//! connection), and hostile servers that the target's limits hold.

mod util;

use std::time::{Duration, Instant};

use hashref::unicorn::{Flavor, UnicornConfig};
use hashref::{Answer, HashParams, Key, Keyset};
use loadgen::{
    AddressPolicy, Outcome, OutcomeKind, ProbeCheck, ProbeReport, Resolver, Target, probe,
};
use util::tls::{Leaf, Pki, TlsBehaviour, TlsServer};
use util::{Behaviour, TestServer, params};

/// A `unicorn` served in-process on a free loopback port; stops when dropped.
struct Unicorn {
    addr: std::net::SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Unicorn {
    async fn start(params: HashParams) -> Unicorn {
        let config = UnicornConfig {
            flavor: Flavor::V2,
            min_latency: Duration::ZERO,
            params,
            error_rate: 0.0,
            seed: Some(1),
            ..UnicornConfig::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            hashref::unicorn::serve(listener, config, shutdown)
                .await
                .unwrap();
        });
        Unicorn { addr, _stop: stop }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Three keys of the game, with the answers the game's parameters give.
fn keys() -> Vec<(Key, Answer)> {
    let keyset = Keyset::generate(1, 3).unwrap();
    let keys = keyset.keys().iter();
    keys.map(|&k| (k, params().answer(k.as_str()))).collect()
}

fn target(url: String) -> Target {
    let mut t = Target::new("team", vec![url]);
    t.limits.timeout = Duration::from_millis(500);
    t.limits.connect_timeout = Duration::from_millis(300);
    t
}

async fn run(target: &Target) -> ProbeReport {
    let report = probe(target, &keys(), &Resolver::default()).await.unwrap();
    eprintln!("{}: {}", target.urls[0], report.words());
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_right_unicorn_passes_every_step() {
    let unicorn = Unicorn::start(params()).await;
    let report = run(&target(unicorn.url())).await;
    assert!(report.passed(), "{report:?}");
    assert_eq!(report.failure_kind(), None);
    assert_eq!((report.right(), report.answers, report.skipped), (3, 3, 0));
    let words = report.words();
    assert!(
        words.starts_with("3 of 3 answers right in ") && words.ends_with(" (healthcheck 200)"),
        "{words}"
    );
    let paths: Vec<&str> = report.steps.iter().map(|s| s.path.as_str()).collect();
    let keys = keys();
    let key_path = |i: usize| format!("/calc?input={}", keys[i].0);
    assert_eq!(
        paths,
        ["/healthcheck", &key_path(0), &key_path(1), &key_path(2)]
    );
    assert_eq!(report.steps[0].check, ProbeCheck::Health);
    assert_eq!(
        report.steps[1].url,
        format!("{}{}", unicorn.url(), key_path(0))
    );
    assert!(report.steps.iter().all(|s| s.latency > Duration::ZERO));
    assert!(report.took >= report.steps.iter().map(|s| s.latency).sum::<Duration>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_listening_is_a_refused_connection_in_words() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let report = run(&target(format!("http://127.0.0.1:{port}"))).await;
    assert_eq!(report.failure_kind(), Some(OutcomeKind::ConnectRefused));
    assert_eq!(
        report.words(),
        format!("connection refused: nothing listens on 127.0.0.1:{port}")
    );
    // The keys were not asked: they would only be refused the same way.
    assert_eq!((report.steps.len(), report.skipped), (1, 3));
    assert!(!report.passed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unicorn_with_another_salt_gives_wrong_answers_with_an_example() {
    let other = HashParams::new("another.salt", params().iterations).unwrap();
    let unicorn = Unicorn::start(other.clone()).await;
    let report = run(&target(unicorn.url())).await;
    assert_eq!(report.failure_kind(), Some(OutcomeKind::WrongAnswer));
    assert!(report.steps[0].passed(), "the health check answered 200");
    assert_eq!((report.right(), report.steps.len()), (0, 4));
    let (key, right) = keys()[0];
    let got = other.answer(key.as_str());
    let words = report.words();
    let example = format!(
        "; key {key}: got \"{}…\", expected \"{}…\"",
        &got.as_str()[..8],
        &right.as_str()[..8]
    );
    assert!(
        words.starts_with("0 of 3 answers right in ") && words.ends_with(&example),
        "{words}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_for_another_host_is_a_tls_failure_in_words() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let server = TlsServer::start(TlsBehaviour::Serve {
        identity: pki.identity(Leaf::WrongHost),
        close: false,
    })
    .await;
    let mut t = target(server.url("localhost"));
    t.ca_cert = Some(pki.write_ca(dir.path()));
    let report = run(&t).await;
    assert_eq!(report.failure_kind(), Some(OutcomeKind::TlsWrongHost));
    let words = report.words();
    assert!(
        words.starts_with("the certificate is not for localhost"),
        "{words}"
    );
    assert_eq!(report.skipped, 3);
    // The same server with a good certificate passes: the CA file was used.
    let good = TlsServer::start(TlsBehaviour::Serve {
        identity: pki.identity(Leaf::Good),
        close: false,
    })
    .await;
    t.urls = vec![good.url("localhost")];
    assert!(run(&t).await.passed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_address_under_the_public_rule_is_refused_without_connecting() {
    let server = TestServer::start(Behaviour::Correct {
        delay: Duration::ZERO,
    })
    .await;
    let mut t = target(server.url());
    t.limits.addresses = AddressPolicy::PublicOnly;
    let report = run(&t).await;
    assert_eq!(report.failure_kind(), Some(OutcomeKind::ConnectRefused));
    let words = report.words();
    assert!(
        words.contains("resolves to 127.0.0.1, a loopback address: not connected"),
        "{words}"
    );
    assert_eq!(server.connections(), 0, "the probe connected");
    // Allowed, the same server is reached.
    t.limits.addresses = AddressPolicy::Any;
    assert!(run(&t).await.passed());
    assert_eq!(server.connections(), 1, "one kept-alive connection");
}

/// Hostile servers: the target's limits hold, the probe ends, and its words say why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_servers_are_held_to_the_limits() {
    let cases = [
        (
            Behaviour::Slowloris,
            OutcomeKind::Timeout,
            "no full answer within 500 ms",
        ),
        (
            Behaviour::HangAfterHeaders,
            OutcomeKind::Timeout,
            "within 500 ms",
        ),
        (
            Behaviour::GiantBody,
            OutcomeKind::TooLarge,
            "past the cap (4096 bytes",
        ),
        (
            Behaviour::EndlessChunked,
            OutcomeKind::TooLarge,
            "past the cap",
        ),
        (
            Behaviour::ManyHeaders(10_000),
            OutcomeKind::TooLarge,
            "100 headers",
        ),
        (
            Behaviour::Garbage,
            OutcomeKind::Malformed,
            "/healthcheck: not an HTTP answer",
        ),
        (
            Behaviour::AcceptAndClose,
            OutcomeKind::Reset,
            "the connection was cut",
        ),
        (
            Behaviour::Status(404),
            OutcomeKind::HttpStatus,
            "/healthcheck answered 404 Not Found, not 200",
        ),
        (
            Behaviour::Redirect("http://169.254.169.254/".into()),
            OutcomeKind::HttpStatus,
            "answered 302 Found",
        ),
    ];
    for (behaviour, kind, words) in cases {
        let server = TestServer::start(behaviour.clone()).await;
        let began = Instant::now();
        let report = run(&target(server.url())).await;
        let took = began.elapsed();
        assert_eq!(
            report.failure_kind(),
            Some(kind),
            "{behaviour:?}: {report:?}"
        );
        assert!(
            report.words().contains(words),
            "{behaviour:?}: {}",
            report.words()
        );
        // At most a timeout a step, and a step past a timeout ends the probe.
        assert!(
            took < Duration::from_millis(2500),
            "{behaviour:?} took {took:?}"
        );
        if kind == OutcomeKind::Timeout {
            assert_eq!(report.skipped, 3, "{behaviour:?}");
        }
    }
}

/// A wrong answer that is not text is shown as text, cut, and never a panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_is_not_text_is_a_wrong_answer() {
    let server = TestServer::start(Behaviour::NonUtf8Body).await;
    let report = run(&target(server.url())).await;
    assert_eq!(report.failure_kind(), Some(OutcomeKind::WrongAnswer));
    let step = report.failure().unwrap();
    assert!(matches!(step.outcome, Outcome::WrongAnswer { .. }));
    assert!(step.words.contains("got \"\u{fffd}"), "{}", step.words);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_without_a_url_or_keys_cannot_be_probed() {
    let resolver = Resolver::default();
    let waiting = Target::new("team", vec![]);
    let e = probe(&waiting, &keys(), &resolver).await.unwrap_err();
    assert!(e.to_string().contains("no URL to probe"), "{e}");
    let t = target("http://127.0.0.1:9".into());
    let e = probe(&t, &[], &resolver).await.unwrap_err();
    assert!(e.to_string().contains("a key"), "{e}");
    let bad = target("ftp://x".into());
    assert!(probe(&bad, &keys(), &resolver).await.is_err());
}
