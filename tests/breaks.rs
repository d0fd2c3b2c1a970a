//! The instructor's breaks in a played game (scenarios/ci/breaks.toml, headless): the
//! ledger holds each break and each restore as a note with what was there before, who
//! asked and whether the team is told; the team told of its break reads it (and its
//! restore) in its words, the others read nothing; the organizer's report marks every one.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use scoreboard::follower::Follower;
use scoreboard_domain::breaks::{AskedBy, BreakAction, BreakNote, BreakOutcome};
use scoreboard_ledger::{LedgerAt, NoteKind};

mod util;

const SCENARIO: &str = "scenarios/ci/breaks.toml";

fn gameday(args: &[&str], cache_dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args(args)
        .env("GAMEDAY_CACHE_DIR", cache_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("gameday runs")
}

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

    let follower = Follower::read(&*ledger).unwrap().expect("a game");
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

    let html = dir.path().join("report.html");
    let html_arg = html.to_str().unwrap();
    let out = gameday(&["report", "--db", db_arg, "--out", html_arg], dir.path());
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
        dir.path(),
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
