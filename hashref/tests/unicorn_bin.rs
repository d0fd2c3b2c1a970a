//! The real `unicorn` binary: flags, start-up line, serving, graceful shutdown on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use hashref::HashParams;

#[tokio::test]
async fn serves_and_stops_cleanly_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_unicorn"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--flavor",
            "v2",
            "--min-latency",
            "0",
        ])
        .args(["--iterations", "10", "--salt", "pepper"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let start = lines.next().unwrap().unwrap();
    assert!(start.contains("flavor=v2 workers=5 queue=10"), "{start}");
    let addr = start
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {start:?}"))
        .to_owned();

    let http = reqwest::Client::new();
    let body = http
        .get(format!("http://{addr}/calc?input=0042-0042-0042"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let params = HashParams::new("pepper", 10).unwrap();
    assert_eq!(body, params.answer("0042-0042-0042").as_str());

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let mut status = None;
    for _ in 0..100 {
        if let Some(s) = child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = status.expect("unicorn exits after SIGTERM");
    assert!(status.success(), "{status:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(
        rest.iter().any(|l| l.contains("unicorn stopped")),
        "{rest:?}"
    );
}

#[test]
fn help_names_every_flag_and_bad_flags_exit_2() {
    let help = Command::new(env!("CARGO_BIN_EXE_unicorn"))
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8(help.stdout).unwrap();
    for flag in [
        "--listen",
        "--flavor",
        "--workers",
        "--queue",
        "--min-latency",
        "--iterations",
        "--salt",
        "--error-rate",
        "--seed",
        "--memcache-server",
    ] {
        assert!(text.contains(flag), "--help lacks {flag}");
    }
    for bad in [
        &["--flavor", "v4"][..],
        &["--min-latency", "soon"],
        &["--error-rate", "2", "--listen", "127.0.0.1:0"],
        &["--workers", "0", "--listen", "127.0.0.1:0"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_unicorn"))
            .args(bad)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{bad:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.is_empty(), "{bad:?} should say why");
    }
}
