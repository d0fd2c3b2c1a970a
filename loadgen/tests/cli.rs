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
    assert!(text.contains("HTTP errors   503: 50"), "{text}");
    assert!(text.contains("from due") && text.contains("p999"), "{text}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("failing: not one answer was correct, error_rate>0.01")
            && !err.contains("p99>5s"),
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
            .contains("Correct       50 (100.00 %)")
    );
}

/// An open run of rate r for d sends r × d requests (the first at 0, the last before d)
/// and lasts d; it used to send one fewer (none at all for 1 a second for 1 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_run_sends_rate_times_duration() {
    let server = TestServer::start(Behaviour::Correct {
        delay: Duration::ZERO,
    })
    .await;
    for (rate, duration, want) in [("1", "1s", 1), ("5", "2s", 10), ("4", "1500ms", 6)] {
        let out = loadgen(args(
            &server.url(),
            &["--rate", rate, "--duration", duration, "--json"],
        ))
        .await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            report["requests"], want,
            "--rate {rate} --duration {duration}"
        );
        assert_eq!(
            report["correct"], want,
            "--rate {rate} --duration {duration}"
        );
        let secs = humantime::parse_duration(duration).unwrap().as_secs_f64();
        let took = report["duration_s"].as_f64().unwrap();
        assert!(took >= secs, "--duration {duration} took {took} s");
    }
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
        (vec!["--rate=-5"], "'--rate <R>': must be above 0"),
        // Zero, negative or out of range: refused at once, naming the flag.
        (vec!["--rate", "0"], "'--rate <R>': must be above 0"),
        (vec!["--rate", "-3"], "'--rate <R>': must be above 0"),
        (
            vec!["--duration", "0s"],
            "'--duration <D>': must be above zero",
        ),
        (
            vec!["--duration", "-1"],
            "'--duration <D>': must be above zero",
        ),
        (
            vec!["--requests", "0"],
            "'--requests <N>': must be a whole number, at least 1",
        ),
        (
            vec!["--runtimes", "0"],
            "'--runtimes <N>': must be a number from 1",
        ),
        (
            vec!["--clients", "0"],
            "'--clients <C>': must be a number from 1",
        ),
        (
            vec!["--zipf", "-1"],
            "'--zipf <X>': must be a number from 0 to 5",
        ),
        (
            vec!["--zipf", "99"],
            "'--zipf <X>': must be a number from 0 to 5",
        ),
        (
            vec!["--max-in-flight", "0"],
            "'--max-in-flight <N>': must be a number from 1 to 1000000",
        ),
        (
            vec!["--timeout", "0s"],
            "'--timeout <D>': must be above zero",
        ),
        (
            vec!["--connect-timeout", "0s"],
            "'--connect-timeout <D>': must be above zero",
        ),
    ] {
        let out = loadgen(args("http://127.0.0.1:9", &extra)).await;
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{extra:?}: {err}");
        assert!(!err.contains("unexpected argument"), "{extra:?}: {err}");
    }
    let out = loadgen(vec!["ftp://x".into()]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim(),
        "loadgen: bad URL \"ftp://x\": expected a URL like http://host:port or https://host"
    );
}

/// A run where nothing was right says so: no latency of 0µs, a warning, the failures' reasons
/// in prose (not Rust structs), and exit 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_with_no_correct_answer_warns_and_exits_1() {
    // A port nothing listens on: every connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = loadgen(args(&url, &["--rate", "5", "--duration", "1s"])).await;
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}{err}");
    assert!(err.contains("failing: not one answer was correct"), "{err}");
    assert!(text.contains("Latency       n/a (no answers)"), "{text}");
    assert!(!text.contains("0µs"), "{text}");
    assert!(
        text.contains("Warning: not one of the 5 requests was answered correctly"),
        "{text}"
    );
    let refused = format!("connect_refused 5 (100.00 %)  e.g. nothing listens on 127.0.0.1:{port}");
    assert!(text.contains(&refused), "{text}");
    assert!(!text.contains('{'), "a Rust struct in the summary: {text}");
}

/// Ctrl-C cuts a run: the summary says where, --json has it, and the exit code is 130.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_says_the_run_was_cut_and_exits_130() {
    let server = TestServer::start(Behaviour::Correct {
        delay: Duration::ZERO,
    })
    .await;
    for json in [false, true] {
        let mut extra = vec!["--rate", "10", "--duration", "30s"];
        if json {
            extra.push("--json");
        }
        let cache = tempfile::tempdir().unwrap();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_loadgen"))
            .args(args(&server.url(), &extra))
            .env("GAMEDAY_CACHE_DIR", cache.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let before = server.requests();
        while server.requests() < before + 5 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // SAFETY: kill sends a signal to our own child; no memory is touched.
        assert_eq!(
            unsafe { libc::kill(child.id().unwrap() as i32, libc::SIGINT) },
            0
        );
        let out = tokio::time::timeout(Duration::from_secs(5), child.wait_with_output())
            .await
            .expect("loadgen ended within 5 s of SIGINT")
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(130), "{text}");
        if json {
            let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let cut = &report["interrupted"];
            assert_eq!(cut["signal"], "SIGINT", "{report}");
            assert_eq!(cut["planned_s"], 30.0, "{report}");
            let at = cut["at_s"].as_f64().unwrap();
            assert!((0.3..5.0).contains(&at), "{report}");
        } else {
            let first = text.lines().next().unwrap_or_default();
            assert!(
                first.starts_with("Interrupted   at ") && first.contains(" s of 30 s (SIGINT)"),
                "{text}"
            );
        }
    }
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
    // What runs with neither --rate nor --clients, and the codes of a failed or cut run.
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for words in [
        "With neither --rate nor --clients: 10 closed clients",
        "1 not one answer was correct",
        "130 cut short by Ctrl-C",
    ] {
        assert!(
            help.contains(words),
            "--help does not say {words:?}:\n{help}"
        );
    }
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
/// summary still prints (exit 143, as for a command SIGTERM ended).
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
    assert_eq!(
        out.status.code(),
        Some(143),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["correct"], 0);
    assert_eq!(report["interrupted"]["signal"], "SIGTERM");
}
