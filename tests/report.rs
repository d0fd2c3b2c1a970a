//! `gameday report` end to end: a real game played headless (simulated teams, a fault, an
//! announcement), then its report: one file that fetches nothing, with every team's charts,
//! the scenario's markers, and the public variant without the organizer's parts.

use std::path::Path;
use std::process::{Command, Output};

fn gameday(args: &[&str], cache_dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args(args)
        .env("GAMEDAY_CACHE_DIR", cache_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("gameday runs")
}

#[test]
fn a_played_game_gives_a_self_contained_report_with_every_teams_charts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("game.db");
    let db = db.to_str().unwrap();
    let scenario = "scenarios/ci/fault-recovery.toml";
    let out = gameday(&["replay", scenario, "--db", db], dir.path());
    assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");

    let html_path = dir.path().join("report.html");
    let html_arg = html_path.to_str().unwrap();
    let out = gameday(
        &[
            "report",
            "--db",
            db,
            "--scenario",
            scenario,
            "--out",
            html_arg,
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("MiB"));
    let html = std::fs::read_to_string(&html_path).unwrap();
    for external in ["src=", "href=", "url(", "@import", "<script"] {
        assert!(!html.contains(external), "{external} in the report");
    }
    // The race, then four charts for each of the three teams.
    assert_eq!(html.matches("<svg").count(), 1 + 3 * 4);
    for team in ["phoenix", "sluggish", "calm"] {
        assert!(html.contains(&format!("id=\"team-{team}\"")), "{team}");
    }
    for section in [
        "Final table",
        "Score race",
        "Fairness",
        "Where points were lost",
        "Timeline",
    ] {
        assert!(html.contains(section), "{section}");
    }
    // The scenario's fault is marked, in the log's words, with a hover title.
    assert!(html.contains("class=\"marker fault\""), "no fault marker");

    let out = gameday(
        &["report", "--db", db, "--public", "--out", html_arg],
        dir.path(),
    );
    assert!(out.status.success(), "{out:?}");
    let public = std::fs::read_to_string(&html_path).unwrap();
    assert_eq!(public.matches("<svg").count(), 1);
    assert!(!public.contains("Fairness"));

    let out = gameday(&["report", "--db", "/nonexistent/game.db"], dir.path());
    assert_eq!(out.status.code(), Some(2));
}
