//! `gameday report` end to end: a real game played headless (simulated teams, a fault, an
//! announcement), then its report: one file that fetches nothing, with every team's charts,
//! the scenario's markers, and the public variant without the organizer's parts. And a game
//! played with its web scoreboard, where the organizer announces and moves a team live: the
//! report built afterwards from the ledger alone marks both, once each.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::gameday;
use crate::util::{http, http_json, web_address};

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

const ADMIN: &str = "tok-4c1e-admin-notes";
const LIVE_NEWS: &str = "Live: lunch is served at the back";
const SCHEDULED: &str = "Welcome: the load starts now";
const MOVED: &str = "now answers at http://127.0.0.1:10/";

/// How often `report` marks `what` (a marker's text, as the timeline and the charts' hover
/// titles give it): rows of the timeline, and charts.
fn marked(report: &str, kind: &str, what: &str) -> (usize, usize) {
    (
        report.matches(&format!("<td>{what}</td></tr>")).count(),
        report.matches(&format!("{kind}: {what}</title>")).count(),
    )
}

#[test]
fn live_announcements_and_url_changes_reach_the_report_from_the_ledger_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("game.db");
    let scenario = "tests/fixtures/live-notes.toml";
    let mut game = Command::new(env!("CARGO_BIN_EXE_gameday"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("GAMEDAY_CACHE_DIR", dir.path())
        .env("GAMEDAY_ADMIN_TOKEN", ADMIN)
        .args(["play", scenario, "--no-tui", "--web", "127.0.0.1:0"])
        .args(["--board-every", "0s", "--db"])
        .arg(&db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (addr, log) = web_address(game.stderr.take().unwrap());
    let body = format!(r#"{{"text":"{LIVE_NEWS}"}}"#);
    let (status, answer) = http_json(&addr, "POST", "/api/admin/announce", Some(ADMIN), &body);
    assert_eq!(status, 200, "{answer}");
    let body = r#"{"team":"outside","url":"http://127.0.0.1:10/"}"#;
    let (status, answer) = http_json(&addr, "POST", "/api/team/url", Some(ADMIN), body);
    assert_eq!(status, 200, "{answer}");
    // The live /report reads them from the ledger too, once the game's writer stored them.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, live) = http(&addr, "GET", "/report", Some(ADMIN));
        if marked(&live, "announcement", LIVE_NEWS).0 == 1 && marked(&live, "url", MOVED).0 == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the live report never marked them:\n{live}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let mut stdout = String::new();
    let mut out = game.stdout.take().unwrap();
    out.read_to_string(&mut stdout).unwrap();
    let log = log.lock().unwrap().clone();
    assert!(game.wait().unwrap().success(), "{stdout}\n{log}");
    assert!(
        stdout.contains(&format!("ANNOUNCEMENT: {LIVE_NEWS}")),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("outside {MOVED}")), "{stdout}");

    // From the ledger alone (no scenario, no running game), then with the scenario too: each
    // marker once in the timeline, and once on each chart it concerns (announcements on the
    // race and both teams' four charts, the URL on the moved team's four).
    let html = dir.path().join("report.html");
    for with_scenario in [false, true] {
        let mut args = vec!["report", "--db", db.to_str().unwrap()];
        if with_scenario {
            args.extend(["--scenario", scenario]);
        }
        args.extend(["--out", html.to_str().unwrap()]);
        let out = gameday(&args, dir.path());
        assert!(out.status.success(), "{out:?}");
        let report = std::fs::read_to_string(&html).unwrap();
        let at = if with_scenario { "with" } else { "without" };
        for news in [LIVE_NEWS, SCHEDULED] {
            assert_eq!(
                marked(&report, "announcement", news),
                (1, 9),
                "{news}, {at} the scenario"
            );
        }
        assert_eq!(marked(&report, "url", MOVED), (1, 4), "{at} the scenario");
        let outside = &report[report.find("id=\"team-outside\"").unwrap()..];
        let outside = &outside[..outside.find("</section>").unwrap()];
        assert_eq!(outside.matches(&format!("url: {MOVED}</title>")).count(), 4);
    }
}
