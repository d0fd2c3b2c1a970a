//! A game split over load workers, end to end with real processes: a coordinator
//! (`gameday play --workers external`) and two `gameday worker` segments on one ledger offer
//! every team exactly the requests a single process offers; killing a worker voids its share
//! with Engine events (no points lost) and a restarted worker joins again without doubles;
//! two read-only web replicas serve the finished game's board from the ledger.
//! Run against a SQLite file and against PostgreSQL.

use crate::{postgres, util};

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use scoreboard_domain::Source;
use scoreboard_ledger::{EventFilter, LedgerAt, Recorded};

const SCENARIO: &str = "tests/fixtures/split.toml";

fn gameday() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gameday"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env(
            "GAMEDAY_CACHE_DIR",
            std::env::temp_dir().join("gameday-test-cache"),
        )
        .env_remove("GAMEDAY_LEDGER");
    cmd
}

/// Where a test's ledger is, as command-line options and as a place to read.
struct Place {
    args: Vec<String>,
    at: LedgerAt,
}

fn sqlite(dir: &std::path::Path, name: &str) -> Place {
    let db = dir.join(format!("{name}.db"));
    Place {
        args: vec!["--db".into(), db.display().to_string()],
        at: LedgerAt::File(db),
    }
}

fn pg(game: &str) -> Place {
    let url = postgres::url().to_owned();
    Place {
        args: vec!["--ledger".into(), url.clone(), "--game".into(), game.into()],
        at: LedgerAt::parse(&url, Some(game)).unwrap(),
    }
}

fn spawn(cmd: &mut Command) -> Child {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for `child` (at most a minute: a split game that cannot start must fail the test,
/// not hang it) and returns what it printed; it must have succeeded.
fn finish(child: Child, what: &str) -> String {
    finish_all(vec![(child, what.to_owned())]).remove(0)
}

/// Waits for every process (at most a minute in all), then returns what each printed; if
/// any failed, the test fails with what all of them printed (a worker's error explains a
/// coordinator that waited in vain).
fn finish_all(children: Vec<(Child, String)>) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut results = Vec::new();
    for (mut child, what) in children {
        while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
        }
        let out = child.wait_with_output().unwrap();
        let text = format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        results.push((what, out.status, text));
    }
    if results.iter().any(|(_, status, _)| !status.success()) {
        let all: Vec<String> = results
            .iter()
            .map(|(what, status, text)| format!("--- {what} ({status}):\n{text}"))
            .collect();
        panic!("a process failed:\n{}", all.join("\n"));
    }
    results.into_iter().map(|(_, _, text)| text).collect()
}

fn coordinator(place: &Place) -> Child {
    spawn(
        gameday()
            .args(["play", SCENARIO, "--workers", "external", "--grace", "2s"])
            .args(["--no-tui", "--no-web", "--board-every", "0s"])
            .args(&place.args),
    )
}

fn worker(place: &Place, segment: &str) -> Child {
    spawn(
        gameday()
            .args(["worker", SCENARIO, "--segment", segment])
            .args(&place.args),
    )
}

/// Per team: requests offered (sends of the scored batches) and points.
fn totals(place: &Place) -> BTreeMap<String, (u64, i64)> {
    let ledger = place.at.open_existing().unwrap();
    let mut out: BTreeMap<String, (u64, i64)> = BTreeMap::new();
    ledger
        .for_each_cause(&mut |cause| {
            if let Recorded::Batch(b) = cause {
                out.entry(b.batch.target.to_string()).or_default().0 += b.batch.sends;
            }
        })
        .unwrap();
    for e in ledger.events(&EventFilter::default()).unwrap() {
        out.entry(e.team.clone()).or_default().1 += e.points.0;
    }
    out
}

fn single_process(dir: &std::path::Path) -> BTreeMap<String, (u64, i64)> {
    let place = sqlite(dir, "single");
    finish(
        spawn(
            gameday()
                .args([
                    "play",
                    SCENARIO,
                    "--no-tui",
                    "--no-web",
                    "--board-every",
                    "0s",
                ])
                .args(&place.args),
        ),
        "single-process game",
    );
    totals(&place)
}

fn split_matches_single(place: Place) {
    let dir = tempfile::tempdir().unwrap();
    let single = single_process(dir.path());
    let coord = coordinator(&place);
    let workers = [worker(&place, "0/2"), worker(&place, "1/2")];
    let [w0, w1] = workers;
    let logs = finish_all(vec![
        (coord, "coordinator".into()),
        (w0, "worker 0/2".into()),
        (w1, "worker 1/2".into()),
    ]);
    let log = &logs[0];
    assert!(log.contains("all 2 load workers joined"), "{log}");
    let split = totals(&place);
    assert_eq!(
        split.keys().collect::<Vec<_>>(),
        single.keys().collect::<Vec<_>>()
    );
    for (team, (sends, points)) in &single {
        let (split_sends, split_points) = split[team];
        if team == "waiting" {
            // No endpoint all game: nothing sent, no points, in both.
            assert_eq!((*sends, *points), (0, 0), "{team}");
            assert_eq!((split_sends, split_points), (0, 0), "{team}");
            continue;
        }
        assert!(
            *sends > 300,
            "{team}: only {sends} requests in the single run"
        );
        assert_eq!(
            split_sends, *sends,
            "{team}: requests offered differ\n{log}"
        );
        // Scores follow timing (latencies, the SLA): close, not equal.
        let tolerance = (points.abs() / 10).max(3_000);
        assert!(
            (split_points - points).abs() <= tolerance,
            "{team}: split {split_points} vs single {points} milli-points"
        );
    }
    let ledger = place.at.open_existing().unwrap();
    let voids: Vec<_> = ledger
        .events(&EventFilter {
            source: Some(Source::Engine),
            ..EventFilter::default()
        })
        .unwrap()
        .into_iter()
        .filter(|e| e.reason.contains("load worker"))
        .collect();
    assert!(voids.is_empty(), "no worker was lost, yet: {voids:?}");
    replicas_serve_the_board(&place, &split);
}

/// Two read-only web replicas (`gameday serve`) on the game's ledger both show its board,
/// with the scores the ledger holds, and refuse controls; a team's name written to the
/// ledger meanwhile (as the live game's web writes it) reaches both boards through their
/// projections.
fn replicas_serve_the_board(place: &Place, totals: &BTreeMap<String, (u64, i64)>) {
    let mut replicas: Vec<(Child, String)> = (0..2)
        .map(|_| {
            let mut child = gameday()
                .args(["serve", "--web", "127.0.0.1:0"])
                .args(&place.args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let addr = util::serve_address(&mut child);
            (child, addr)
        })
        .collect();
    for (_, addr) in &replicas {
        let (status, board) = util::http(addr, "GET", "/api/board", None);
        assert_eq!(status, 200, "{board}");
        assert!(board.contains("\"over\":true"), "{board}");
        for team in totals.keys() {
            assert!(
                board.contains(&format!("\"{team}\"")),
                "{team} missing: {board}"
            );
        }
        // The debrief reads the ledger through the web's pool of handles (on PostgreSQL,
        // the ledger's statements run from the web's blocking tasks).
        let (status, report) = util::http(addr, "GET", "/report", None);
        assert_eq!(status, 200, "{report}");
        for team in totals.keys() {
            assert!(
                report.contains(team.as_str()),
                "{team} missing from /report"
            );
        }
        let (status, _) = util::http(addr, "POST", "/api/admin/pause", None);
        assert!(status >= 400, "a replica refuses controls, got {status}");
    }
    let team = totals.keys().next().expect("a team").clone();
    assert!(!replicas.iter().any(|(_, addr)| {
        util::http(addr, "GET", "/api/board", None)
            .1
            .contains("Night Owls")
    }));
    {
        let mut ledger = place.at.open_existing().unwrap();
        let name = scoreboard_domain::names::TeamName {
            team: team.clone(),
            name: "Night Owls".into(),
            by_team: true,
        };
        ledger.store_team_name(&name).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    for (_, addr) in &replicas {
        loop {
            let (_, board) = util::http(addr, "GET", "/api/board", None);
            let board: serde_json::Value = serde_json::from_str(&board).unwrap();
            let named = board["teams"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["team"] == team.as_str() && t["name"] == "Night Owls");
            if named {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the rename never reached the replica: {board}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    for (child, _) in &mut replicas {
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

fn a_lost_worker_is_voided_and_a_restarted_one_joins_again(place: Place) {
    let coord = coordinator(&place);
    let steady = worker(&place, "0/2");
    let mut lost = worker(&place, "1/2");
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs(4));
    lost.kill().unwrap();
    let _ = lost.wait();
    std::thread::sleep(Duration::from_secs(3));
    let again = worker(&place, "1/2");
    let mut logs = finish_all(vec![
        (coord, "coordinator".into()),
        (steady, "worker 0/2".into()),
        (again, "restarted worker 1/2".into()),
    ]);
    let restarted = logs.remove(2);
    let log = logs.remove(0);
    assert!(start.elapsed() > Duration::from_secs(12));
    assert!(log.contains("game over"), "{log}");
    assert!(restarted.contains("run 1 from"), "{restarted}");
    let ledger = place.at.open_existing().unwrap();
    let engine = ledger
        .events(&EventFilter {
            source: Some(Source::Engine),
            ..EventFilter::default()
        })
        .unwrap();
    let lost_ticks: Vec<u64> = engine
        .iter()
        .filter(|e| e.team == "fleet" && e.reason.contains("load worker 1/2 lost"))
        .map(|e| e.at.0)
        .collect();
    assert!(
        lost_ticks.len() >= 2,
        "the lost worker's ticks are voided: {engine:?}\n{log}\n{restarted}"
    );
    assert!(engine.iter().all(|e| e.points.0 == 0), "{engine:?}");
    // After the restart the segments are whole again: the last ticks have no void.
    assert!(
        lost_ticks.iter().all(|at| *at <= 10_000),
        "voids after the restart: {lost_ticks:?}"
    );
    // No batch doubled: one scored batch per team and tick, and each worker batch once.
    let mut seen = std::collections::HashSet::new();
    ledger
        .for_each_cause(&mut |cause| {
            if let Recorded::Batch(b) = cause {
                let id = &b.batch.id;
                assert!(seen.insert((id.run, id.target, id.tick)), "doubled {id}");
            }
        })
        .unwrap();
    for team in 0..3 {
        for tick in 0..12 {
            assert!(
                seen.contains(&(1, team, tick)),
                "team {team} tick {tick} not scored"
            );
        }
    }
}

#[test]
fn sqlite_split_game_offers_exactly_what_one_process_does() {
    let dir = tempfile::tempdir().unwrap();
    split_matches_single(sqlite(dir.path(), "split"));
}

#[test]
fn sqlite_lost_worker_is_voided_and_rejoins() {
    let dir = tempfile::tempdir().unwrap();
    a_lost_worker_is_voided_and_a_restarted_one_joins_again(sqlite(dir.path(), "kill"));
}

#[test]
fn postgres_split_game_offers_exactly_what_one_process_does() {
    split_matches_single(pg("split-same"));
}

#[test]
fn postgres_lost_worker_is_voided_and_rejoins() {
    a_lost_worker_is_voided_and_a_restarted_one_joins_again(pg("split-kill"));
}
