//! The `loadgen` binary end to end: summary, JSON, --fail-if exit codes, bad flags.

mod util;

use std::process::Output;
use std::time::Duration;

use util::{Behaviour, TestServer};

async fn loadgen(args: Vec<String>) -> Output {
    let cache = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_loadgen"));
    cmd.args(args).env("GAMEDAY_CACHE_DIR", cache.path());
    cmd.output().await.unwrap()
}

fn args(url: &str, extra: &[&str]) -> Vec<String> {
    let mut a = vec![
        url.to_owned(),
        "--iterations".into(),
        "2".into(),
        "--keys".into(),
        "100".into(),
    ];
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_report_counts_every_request() {
    let server = TestServer::start(Behaviour::WrongForEven).await;
    let out = loadgen(args(
        &server.url(),
        &["--requests", "200", "--clients", "4", "--json"],
    ))
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["requests"], 200);
    let correct = report["correct"].as_u64().unwrap();
    let wrong = report["wrong_answer"].as_u64().unwrap();
    assert_eq!(correct + wrong, 200);
    assert!(wrong > 0 && correct > 0);
    assert_eq!(server.seen.lock().unwrap().len(), 200);
    for field in ["p50", "p90", "p99", "p999", "max"] {
        assert!(report["latency_ms"][field].as_f64().unwrap() > 0.0);
        assert!(report["uncorrected_latency_ms"][field].is_number());
    }
    assert!(report["rps"].as_f64().unwrap() > 0.0);
    assert_eq!(
        report["wrong_examples"][0]["expected"]
            .as_str()
            .unwrap()
            .len(),
        44
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn human_summary_and_fail_if() {
    let server = TestServer::start(Behaviour::Status(503)).await;
    let out = loadgen(args(
        &server.url(),
        &[
            "--rate",
            "50",
            "--duration",
            "1s",
            "--fail-if",
            "error_rate>0.01,p99>5s",
        ],
    ))
    .await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("HTTP errors   503: 49"), "{text}");
    assert!(text.contains("from due") && text.contains("p999"), "{text}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("failing: error_rate>0.01") && !err.contains("p99>5s"),
        "{err}"
    );

    let good = TestServer::start(Behaviour::Correct {
        delay: Duration::ZERO,
    })
    .await;
    let out = loadgen(args(
        &good.url(),
        &[
            "--rate",
            "50",
            "--duration",
            "1s",
            "--fail-if",
            "error_rate>0.01,wrong>0",
        ],
    ))
    .await;
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("Correct       49 (100.00 %)")
    );
}

#[tokio::test]
async fn bad_flags_exit_2_with_a_message() {
    for (extra, why) in [
        (
            vec!["--rate", "10", "--clients", "3"],
            "cannot be used with",
        ),
        (vec!["--fail-if", "p99>5"], "not a duration"),
        (vec!["--duration", "soon"], "examples"),
        (vec!["--rate=-5"], "not between 0"),
    ] {
        let out = loadgen(args("http://127.0.0.1:9", &extra)).await;
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{extra:?}: {err}");
    }
    let out = loadgen(vec!["ftp://x".into()]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected a URL like http://"));
}

#[tokio::test]
async fn help_names_every_flag_and_the_exit_codes() {
    let out = loadgen(vec!["--help".into()]).await;
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--rate",
        "--clients",
        "--duration",
        "--keys",
        "--seed",
        "--zipf",
        "--iterations",
        "--salt",
        "--timeout",
        "--max-in-flight",
        "--json",
        "--fail-if",
    ] {
        assert!(
            help.contains(flag),
            "--help does not mention {flag}:\n{help}"
        );
    }
    assert!(
        help.contains("Exit codes: 0"),
        "--help does not give the exit codes:\n{help}"
    );
}

/// More closed clients than the default cap raise it; an explicit lower cap is refused at
/// once, naming both flags. (Both used to spin a core for ever.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_above_the_cap_raise_the_default_or_are_refused() {
    let server = TestServer::start(Behaviour::Correct {
        delay: Duration::ZERO,
    })
    .await;
    let out = loadgen(args(
        &server.url(),
        &["--clients", "1500", "--duration", "500ms", "--json"],
    ))
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["correct"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(report["dropped"], 0);
    let out = loadgen(args(
        &server.url(),
        &["--clients", "50", "--max-in-flight", "10"],
    ))
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--clients 50") && stderr.contains("--max-in-flight 10"),
        "{stderr}"
    );
}

/// SIGTERM ends a run within the cancel grace, whatever the request timeout, and the
/// summary still prints.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_a_run_against_a_hanging_server_in_time() {
    let server = TestServer::start(Behaviour::Hang).await;
    let cache = tempfile::tempdir().unwrap();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(args(
            &server.url(),
            &[
                "--clients",
                "5",
                "--duration",
                "60s",
                "--timeout",
                "60s",
                "--json",
            ],
        ))
        .env("GAMEDAY_CACHE_DIR", cache.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Until the server holds its requests: the run is going.
    while server.requests() < 5 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = child.id().unwrap() as i32;
    let sent = std::time::Instant::now();
    // SAFETY: kill sends a signal to our own child; no memory is touched.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let out = tokio::time::timeout(Duration::from_secs(5), child.wait_with_output())
        .await
        .expect("loadgen ended within 5 s of SIGTERM")
        .unwrap();
    assert!(sent.elapsed() < Duration::from_secs(5));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["correct"], 0);
}
