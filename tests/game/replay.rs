//! `gameday replay` end to end: a CI scenario passes with exit 0 and writes its reports; an
//! expectation that cannot hold fails with exit 1; an invalid scenario exits with 2.

use std::path::Path;
use std::process::Command;

fn gameday() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gameday"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).env(
        "GAMEDAY_CACHE_DIR",
        std::env::temp_dir().join("gameday-test-cache"),
    );
    cmd
}

#[test]
fn the_billing_scenario_passes_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let junit = dir.path().join("junit.xml");
    let out = gameday()
        .args(["replay", "scenarios/ci/billing.toml", "--report-json"])
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("✓ steady: cost $32 (actual: $32)"),
        "{stdout}"
    );
    assert!(stdout.contains("all 5 expectations hold"), "{stdout}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["passed"], true);
    let teams = report["teams"].as_array().unwrap();
    let steady = teams.iter().find(|t| t["team"] == "steady").unwrap();
    assert_eq!(
        (steady["cost_cents"].as_i64(), steady["blocks"].as_u64()),
        (Some(3200), Some(4))
    );
    assert!(steady["correct"].as_u64().unwrap() >= 90, "{steady}");
    // 5 requests a second for 20 s: 100 to each team, the first at game time 0 (there were
    // 99, as the first was due a fifth of a second in, or skipped at a fresh game's start).
    for team in teams {
        let answered = team["correct"].as_u64().unwrap() + team["errors"].as_u64().unwrap();
        assert_eq!(answered, 100, "{team}");
    }
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(r#"<testsuite name="ci billing" tests="5" failures="0""#),
        "{xml}"
    );
}

#[test]
fn an_expectation_that_cannot_hold_fails_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fail.toml");
    std::fs::write(
        &file,
        r#"
[game]
name = "must fail"
duration = "3s"
allow_private_targets = true
[keyset]
count = 50
[hash]
iterations = 10
[load]
phases = [{ at = "0s", rate = 5 }]
[[team]]
name = "solo"
simulate = { flavor = "v2", min_latency = "10ms" }
[[expect]]
team = "solo"
score_min = 1000
"#,
    )
    .unwrap();
    let junit = dir.path().join("junit.xml");
    let out = gameday()
        .arg("replay")
        .arg(&file)
        .arg("--junit")
        .arg(&junit)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("✗ solo: score ≥ +1000 (actual: "),
        "{stdout}"
    );
    assert!(stdout.contains("1 of 1 expectations failed"), "{stdout}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<failure message=\"actual: "), "{xml}");
}

#[test]
fn an_invalid_scenario_exits_with_2_and_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "[game]\nname = \"x\"\nduration = \"soon\"\n").unwrap();
    for command in ["replay", "check", "play"] {
        let out = gameday().arg(command).arg(&file).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {stderr}");
        assert!(stderr.contains("bad.toml:3:"), "{command}: {stderr}");
        assert!(stderr.contains("game.duration"), "{command}: {stderr}");
    }
    assert!(!Path::new("gameday-x-").exists());
}

#[test]
fn every_shipped_scenario_checks() {
    let mut files = vec![
        "scenarios/demo.toml".to_owned(),
        "scenarios/real-game.toml".to_owned(),
    ];
    for entry in
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/ci")).unwrap()
    {
        files.push(entry.unwrap().path().display().to_string());
    }
    assert!(files.len() >= 5);
    for file in files {
        let out = gameday().args(["check", &file]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        // Valid, and billed from the AWS API: this gameday plays it only with that feature.
        if file.ends_with("real-game.toml") && !cfg!(feature = "aws") {
            assert_eq!(out.status.code(), Some(2), "{file}: {err}");
            assert!(err.contains("built without it"), "{file}: {err}");
            continue;
        }
        assert_eq!(out.status.code(), Some(0), "{file}: {err}");
    }
}

/// Waits until `path` holds `needle` (the child writes its log there), up to 30 s.
fn wait_for(path: &Path, needle: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(needle) || std::time::Instant::now() > deadline {
            return text;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn play_stops_on_sigint_and_resumes_on_the_same_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("resume.toml");
    std::fs::write(
        &file,
        r#"
[game]
name = "resume me"
duration = "12s"
allow_private_targets = true
[keyset]
count = 50
[hash]
iterations = 10
[load]
phases = [{ at = "0s", rate = 10 }]
[billing]
source = "fleet"
block = "3s"
points_per_dollar = 1
[[team]]
name = "solo"
simulate = { flavor = "v2", min_latency = "10ms" }
"#,
    )
    .unwrap();
    let db = dir.path().join("game.db");
    let log = dir.path().join("first.log");
    let mut first = gameday()
        .arg("play")
        .arg(&file)
        .arg("--db")
        .arg(&db)
        .args(["--board-every", "1s", "--no-web"])
        .stdout(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let text = wait_for(&log, "── 00:02");
    assert!(text.contains("started \"resume me\""), "{text}");
    let kill = Command::new("kill")
        .args(["-INT", &first.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = first.wait().unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(status.success(), "{text}");
    assert!(text.contains("Ctrl-C: stopping the game"), "{text}");
    assert!(text.contains("game stopped at 00:0"), "{text}");
    assert!(text.contains("to resume: gameday play"), "{text}");

    let out = gameday()
        .arg("play")
        .arg(&file)
        .arg("--no-web")
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("resuming \"resume me\""), "{text}");
    assert!(text.contains("(run 2)"), "{text}");
    assert!(text.contains("game over at 00:12"), "{text}");

    let events = gameday()
        .args(["events", "--json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(events.status.success());
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&events.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Four 3-second blocks of one instance, each charged once across both runs.
    let mut blocks: Vec<String> = events
        .iter()
        .filter(|e| e["source"] == "Billing")
        .map(|e| e["cause"].as_str().unwrap().to_owned())
        .collect();
    blocks.sort();
    let before = blocks.len();
    blocks.dedup();
    assert_eq!((before, blocks.len()), (4, 4), "{blocks:?}");
    // Batches from both runs are there.
    let batches: Vec<&str> = events
        .iter()
        .filter(|e| e["source"] == "LoadGen")
        .map(|e| e["cause"].as_str().unwrap())
        .collect();
    assert!(batches.iter().any(|c| c.contains(":r1-")), "{batches:?}");
    assert!(batches.iter().any(|c| c.contains(":r2-")), "{batches:?}");
}
