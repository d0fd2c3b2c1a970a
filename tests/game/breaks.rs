//! The instructor's breaks in a played game (scenarios/ci/breaks.toml, headless): the
//! ledger holds each break and each restore as a note with what was there before, who
//! asked and whether the team is told; the team told of its break reads it (and its
//! restore) in its words, the others read nothing; the organizer's report marks every one.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use loadgen::OutcomeKind;
use scoreboard::follower::Follower;
use scoreboard_domain::EventKind;
use scoreboard_domain::breaks::{AskedBy, BreakAction, BreakNote, BreakOutcome};
use scoreboard_ledger::{EventFilter, LedgerAt, NoteKind};

use crate::util;
use crate::util::gameday;

const SCENARIO: &str = "scenarios/ci/breaks.toml";

#[test]
fn every_break_and_restore_is_in_the_ledger_and_only_a_told_team_reads_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("game.db");
    let db_arg = db.to_str().unwrap();
    let out = gameday(&["replay", SCENARIO, "--db", db_arg], dir.path());
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        log.contains("cut: mend drop_route: mended by the team itself"),
        "{log}"
    );
    assert!(
        !log.contains("cut: restore"),
        "no restore after the mend: {log}"
    );

    let ledger = LedgerAt::parse(db_arg, None)
        .unwrap()
        .open_existing()
        .unwrap();
    let notes: Vec<_> = ledger
        .notes_after(0, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|(_, n)| n)
        .filter(|n| matches!(n.kind, NoteKind::Break | NoteKind::Restore))
        .collect();
    let breaks: Vec<BreakNote> = notes.iter().map(|n| BreakNote::of(n).unwrap()).collect();
    let seen: Vec<(&str, BreakAction, bool)> = breaks
        .iter()
        .map(|b| (b.team.as_str(), b.record.action, b.restore))
        .collect();
    for expected in [
        ("shut", BreakAction::ClosePort, false),
        ("shut", BreakAction::ClosePort, true),
        ("cut", BreakAction::DropRoute, false),
        ("cut", BreakAction::DropRoute, true),
        ("halt", BreakAction::StopInstance, false),
        ("halt", BreakAction::StopInstance, true),
    ] {
        assert_eq!(
            seen.iter().filter(|s| **s == expected).count(),
            1,
            "{expected:?} in {seen:?}"
        );
    }
    assert_eq!(breaks.len(), 6, "{seen:?}");
    for b in breaks.iter().filter(|b| !b.restore) {
        assert_eq!(b.record.asked_by, AskedBy::Timeline);
        assert_eq!(b.at.0, 5_000, "{b:?}");
        let BreakOutcome::Done { record, .. } = &b.record.outcome else {
            panic!("{b:?}")
        };
        let servers = record["servers"].as_array().expect("the servers before");
        assert!(
            servers[0]
                .as_str()
                .unwrap()
                .starts_with("http://127.0.0.1:"),
            "{record}"
        );
    }
    let halted = breaks
        .iter()
        .find(|b| b.team == "halt" && !b.restore)
        .unwrap();
    let BreakOutcome::Done { record, .. } = &halted.record.outcome else {
        panic!("{halted:?}")
    };
    assert_eq!(record["instance"], "i-sim-halt-01");
    let mended = breaks
        .iter()
        .find(|b| b.team == "cut" && b.restore)
        .unwrap();
    assert!(
        matches!(mended.record.outcome, BreakOutcome::Mended { .. }),
        "cut mended it itself, noted at its mend, not at the restore due at 17 s: {mended:?}"
    );
    assert_eq!(mended.at.0, 10_000);
    organizer_sees_the_mend(db_arg, dir.path());

    only_shut_is_told(&*ledger);
    only_the_organizers_report_marks_them(db_arg, dir.path());
}

/// Only shut, whose break says `tell`, reads it (and its restore) on its page.
fn only_shut_is_told(ledger: &dyn scoreboard_ledger::Ledger) {
    let follower = Follower::read(ledger).unwrap().expect("a game");
    let snapshot = follower.snapshot();
    let told = |team: &str| {
        let row = snapshot.teams.iter().find(|t| t.team == team).unwrap();
        row.endpoint.told.clone()
    };
    let shut = told("shut");
    assert_eq!(shut.len(), 2, "the break and its restore: {shut:?}");
    assert!(shut[0].text.contains("security groups"), "{shut:?}");
    assert!(shut[1].text.contains("put back"), "{shut:?}");
    for team in ["cut", "halt", "calm"] {
        assert!(
            told(team).is_empty(),
            "{team} is not told: {:?}",
            told(team)
        );
    }
}

/// The organizer's report marks every break and restore (cut's mend with what it was); the
/// public report none.
fn only_the_organizers_report_marks_them(db_arg: &str, dir: &Path) {
    let html = dir.join("report.html");
    let html_arg = html.to_str().unwrap();
    let out = gameday(&["report", "--db", db_arg, "--out", html_arg], dir);
    assert!(out.status.success(), "{out:?}");
    let report = std::fs::read_to_string(&html).unwrap();
    for marked in [
        "break close_port",
        "restore close_port",
        "break drop_route",
        "restore stop_instance",
        "restore drop_route: mended by the team itself",
    ] {
        assert!(
            report.contains(marked),
            "{marked} not in the organizer's report"
        );
    }
    let out = gameday(
        &["report", "--db", db_arg, "--public", "--out", html_arg],
        dir,
    );
    assert!(out.status.success(), "{out:?}");
    let public = std::fs::read_to_string(&html).unwrap();
    assert!(
        !public.contains("close_port"),
        "a break in the public report"
    );
}

/// The organizer's `GET /api/admin/status` (a replica of the finished game) lists cut's
/// mend as its break's restore, at 0:10, with what the team did.
fn organizer_sees_the_mend(db: &str, cache_dir: &Path) {
    let made = gameday(&["teams", "--db", db, "--admin"], cache_dir);
    assert!(made.status.success(), "{made:?}");
    let made = String::from_utf8_lossy(&made.stdout);
    let admin = made
        .lines()
        .find_map(|l| l.strip_prefix("admin"))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no admin token: {made}"));
    let mut serve = util::Killed(
        Command::new(env!("CARGO_BIN_EXE_gameday"))
            .args(["serve", "--web", "127.0.0.1:0", "--db", db])
            .env("GAMEDAY_CACHE_DIR", cache_dir)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let addr = util::serve_address(&mut serve.0);
    let (status, body) = util::http(&addr, "GET", "/api/admin/status", Some(admin));
    assert_eq!(status, 200, "{body}");
    let status: serde_json::Value = serde_json::from_str(&body).unwrap();
    let cut: Vec<&serde_json::Value> = status["breaks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["team"] == "cut")
        .collect();
    assert_eq!(cut.len(), 2, "its break and its mend: {cut:?}");
    let mend = cut[1];
    assert_eq!(
        (&mend["kind"], &mend["at_ms"], &mend["outcome"]["outcome"]),
        (&"restore".into(), &10_000.into(), &"mended".into()),
        "{mend}"
    );
    let text = mend["text"].as_str().unwrap();
    assert!(text.starts_with("mended by the team itself: "), "{text}");
}

/// A game killed (SIGKILL) while a simulated team's port is closed, then resumed from its
/// ledger: the team's new servers start refused, as the break left them, until its restore
/// at 10 s puts the port back (`Done`, not "already mended"); then it answers again.
#[test]
fn a_resumed_game_starts_a_simulated_teams_servers_as_its_break_left_them() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("resumed.toml");
    std::fs::write(&scenario, RESUMED).unwrap();
    let db = dir.path().join("game.db");
    let db_arg = db.to_str().unwrap();
    let play = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gameday"));
        cmd.env("GAMEDAY_CACHE_DIR", dir.path())
            .arg("play")
            .arg(&scenario)
            .args([
                "--no-tui",
                "--no-web",
                "--board-every",
                "0s",
                "--db",
                db_arg,
            ]);
        cmd
    };
    kill_once_broken(play(), db_arg);
    let out = play().output().unwrap();
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("shut: still broken since 00:02 (close_port)"),
        "{log}"
    );
    let resumed_ms = resumed_at(&log);
    assert!(
        resumed_ms < 8_000,
        "resumed at {resumed_ms} ms: too late to tell"
    );

    let notes = break_notes(db_arg);
    let restore = notes.iter().find(|b| b.restore).expect("a restore");
    assert_eq!(restore.at.0, 10_000, "{restore:?}");
    assert!(
        matches!(restore.record.outcome, BreakOutcome::Done { .. }),
        "the resumed servers were broken, and put back: {restore:?}"
    );
    let ledger = LedgerAt::parse(db_arg, None)
        .unwrap()
        .open_existing()
        .unwrap();
    let events = ledger
        .events(&EventFilter {
            team: Some("shut".into()),
            ..EventFilter::default()
        })
        .unwrap();
    let count = |kind: EventKind, from: u64, to: u64| -> u64 {
        events
            .iter()
            .filter(|e| e.kind == kind && (from..=to).contains(&e.at.0))
            .map(|e| e.count)
            .sum()
    };
    let refused = EventKind::Failure(OutcomeKind::ConnectRefused);
    // A tick after the resume's first, up to the restore: the new servers refused.
    let after = resumed_ms + 2_000;
    assert!(
        count(refused, after, 10_000) >= 10,
        "refused after the resume: {:?}",
        events
            .iter()
            .filter(|e| e.at.0 >= after)
            .collect::<Vec<_>>()
    );
    assert!(
        count(EventKind::Correct, 12_000, 14_000) >= 10,
        "answers after the restore"
    );
}

/// Plays `play` until its ledger at `db` notes a break, then a second more, and kills it
/// (SIGKILL).
fn kill_once_broken(mut play: Command, db: &str) {
    let mut game = play
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while break_notes(db).is_empty() {
        assert!(Instant::now() < deadline, "no break noted in 30 s");
        assert!(game.try_wait().unwrap().is_none(), "ended before its kill");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(1_000));
    game.kill().unwrap();
    game.wait().unwrap();
}

/// The game time a resumed game's log says it resumed at (`resuming … at 00:03 (run 2)`),
/// in ms.
fn resumed_at(log: &str) -> u64 {
    log.lines()
        .find_map(|l| l.strip_prefix("resuming ")?.split(" at ").nth(1))
        .and_then(|rest| {
            let (m, s) = rest.split_once(' ')?.0.split_once(':')?;
            Some((m.parse::<u64>().ok()? * 60 + s.parse::<u64>().ok()?) * 1_000)
        })
        .unwrap_or_else(|| panic!("no resume in {log}"))
}

/// The break and restore notes of the ledger at `db` (none while it cannot be read yet).
fn break_notes(db: &str) -> Vec<BreakNote> {
    let Ok(ledger) = LedgerAt::parse(db, None).unwrap().open_existing() else {
        return Vec::new();
    };
    let notes = ledger.notes_after(0, usize::MAX).unwrap_or_default();
    notes.iter().filter_map(|(_, n)| BreakNote::of(n)).collect()
}

/// A 14 s game whose one simulated team's port is closed from 2 s to 10 s.
const RESUMED: &str = r#"
[game]
name = "resumed breaks"
duration = "14s"
seed = 5
tick = "1s"
allow_private_targets = true
[keyset]
count = 100
[hash]
iterations = 100
[load]
phases = [{ at = "0s", rate = 10 }]
timeout = "2s"
connect_timeout = "1s"
[scoring]
sla = "1s"
[[team]]
name = "shut"
simulate = { flavor = "v2", servers = 1, min_latency = "20ms", error_rate = 0.0 }
[[timeline]]
at = "2s"
break = { team = "shut", action = "close_port", for = "8s" }
"#;

/// `check` and `play` refuse a scenario that breaks real teams' accounts in a gameday built
/// without the AWS SDK, before the game (not at the first break), and say how to build it.
#[test]
fn chaos_accounts_need_the_aws_feature_and_are_refused_before_the_game_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("chaos.toml");
    std::fs::write(
        &scenario,
        "[game]\nname = \"chaos\"\nduration = \"5s\"\n[load]\nclients = 1\n[[team]]\n\
         name = \"a\"\nurl = \"http://203.0.113.10\"\n[[chaos.aws]]\nteam = \"a\"\n\
         region = \"us-east-1\"\nprofile = \"a-chaos\"\n[[timeline]]\nat = \"2s\"\n\
         break = { team = \"a\", action = \"deny_nacl\" }\n",
    )
    .unwrap();
    let path = scenario.to_str().unwrap();
    let db = dir.path().join("chaos.db");
    let check = gameday(&["check", path], dir.path());
    if cfg!(feature = "aws") {
        assert!(check.status.success(), "{check:?}");
        return;
    }
    let play = gameday(
        &[
            "play",
            path,
            "--no-tui",
            "--no-web",
            "--db",
            db.to_str().unwrap(),
        ],
        dir.path(),
    );
    for out in [check, play] {
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("[[chaos.aws]]") && err.contains("--features aws"),
            "{err}"
        );
    }
}
