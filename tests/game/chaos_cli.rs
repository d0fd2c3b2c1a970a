//! `gameday chaos plan` and `gameday chaos restore` end to end on simulated teams: the plan
//! of scenarios/ci/breaks.toml in words, changing nothing; a short replayed game that leaves
//! a break in place (no `for`), its ledger listed, a restore that says a simulated team's
//! break cannot be put back after its game and records nothing, and a restore refused while
//! a game holds the ledger.

use crate::util::{gameday, stdout};
use gameday::game::PlayLock;
use scoreboard_ledger::{LedgerAt, NoteKind};

/// A 4-second game: "left"'s port is closed at 1 s and never restored (no `for`), "back"'s
/// only server is stopped at 1 s for 2 s (restored in the game), "calm" is left alone.
const SHORT: &str = r#"[game]
name = "chaos cli"
duration = "4s"
seed = 5
tick = "1s"
allow_private_targets = true
[keyset]
count = 50
[hash]
iterations = 100
[load]
phases = [{ at = "0s", rate = 5 }]
timeout = "1s"
connect_timeout = "500ms"
[[team]]
name = "left"
simulate = { flavor = "v2", servers = 1, min_latency = "10ms", error_rate = 0.0 }
[[team]]
name = "back"
simulate = { flavor = "v2", servers = 2, min_latency = "10ms", error_rate = 0.0, mend_after = "30s" }
[[team]]
name = "calm"
simulate = { flavor = "v2", servers = 1, min_latency = "10ms", error_rate = 0.0 }
[[timeline]]
at = "1s"
break = { team = "left", action = "close_port" }
[[timeline]]
at = "1s"
break = { team = "back", action = "stop_instance", for = "2s" }
"#;

#[test]
fn plan_says_each_simulated_break_in_time_order_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = gameday(&["chaos", "plan", "scenarios/ci/breaks.toml"], dir.path());
    let text = stdout(&out);
    assert!(out.status.success(), "{out:?}");
    let expected = [
        "shut (simulated, 1 server(s) at the start):",
        "  at 5s (break-5000-0-shut): close_port for 8s, told: refuses new connections to its servers and cuts off the open ones",
        "cut (simulated, 1 server(s) at the start):",
        "  at 5s (break-5000-1-cut): drop_route for 12s: drops the traffic to its servers: connections hang, requests time out; the team mends it after 5s",
        "halt (simulated, 1 server(s) at the start):",
        "  at 5s (break-5000-2-halt): stop_instance for 6s: stops its only server (restore starts it again)",
        "nothing was changed",
    ];
    assert_eq!(text.lines().collect::<Vec<_>>(), expected, "{text}");

    let scenario = dir.path().join("short.toml");
    std::fs::write(&scenario, SHORT).unwrap();
    let out = gameday(&["chaos", "plan", scenario.to_str().unwrap()], dir.path());
    let text = stdout(&out);
    assert!(out.status.success(), "{out:?}");
    assert!(
        text.contains("at 1s (break-1000-0-left): close_port (until restored): refuses")
            && text.contains(
                "at 1s (break-1000-1-back): stop_instance for 2s: stops one of its 2 servers"
            )
            && text.contains("the team mends it after 30s")
            && !text.contains("calm"),
        "{text}"
    );

    let out = gameday(
        &["chaos", "plan", scenario.to_str().unwrap(), "--json"],
        dir.path(),
    );
    assert!(out.status.success(), "{out:?}");
    let plans: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plans[0]["team"], "left", "{plans}");
    assert_eq!(plans[1]["team"], "back", "{plans}");
    assert!(
        plans[1]["lines"][0]
            .as_str()
            .unwrap()
            .contains("break-1000-1-back")
    );
    assert!(plans[0]["failed"].is_null(), "{plans}");

    let out = gameday(&["chaos", "plan", "no-such.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

/// The Break and Restore notes of the ledger at `db`: (note id, team, kind) each.
fn break_notes(db: &str) -> Vec<(String, String, NoteKind)> {
    let ledger = LedgerAt::parse(db, None).unwrap().open_existing().unwrap();
    ledger
        .notes_after(0, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|(_, n)| n)
        .filter(|n| matches!(n.kind, NoteKind::Break | NoteKind::Restore))
        .map(|n| (n.id, n.team.unwrap_or_default(), n.kind))
        .collect()
}

#[test]
fn restore_lists_what_a_game_left_in_place_and_cannot_restore_a_simulated_team_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("short.toml");
    std::fs::write(&scenario, SHORT).unwrap();
    let db = dir.path().join("game.db");
    let db = db.to_str().unwrap();
    let out = gameday(
        &["replay", scenario.to_str().unwrap(), "--db", db],
        dir.path(),
    );
    assert!(out.status.success(), "{out:?}");
    let noted = break_notes(db);
    // The ids `chaos plan` said (plan_says_each_simulated_break_in_time_order…).
    let ids: Vec<&str> = noted.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "break-1000-0-left",
            "break-1000-1-back",
            "break-1000-1-back-restore"
        ],
        "left's break, back's break and restore: {noted:?}"
    );

    // Neither --team nor --all: the list, nothing changed.
    let out = gameday(&["chaos", "restore", "--db", db], dir.path());
    let text = stdout(&out);
    assert!(out.status.success(), "{out:?}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "1 break(s) still in place:", "{text}");
    assert!(
        lines[1].starts_with("  left: close_port at ")
            && lines[1].contains("(break-1000-0-left): closed the port of its only server")
            && lines[1].ends_with("[a simulated team's: its servers ended with the game]"),
        "{text}"
    );
    assert!(lines[2].contains("--team TEAM or --all"), "{text}");
    assert!(
        !text.contains("back:"),
        "back's break was restored in the game: {text}"
    );
    assert_eq!(break_notes(db), noted);

    for which in [&["--team", "left"][..], &["--all"][..]] {
        let mut args = vec!["chaos", "restore", "--db", db];
        args.extend_from_slice(which);
        let out = gameday(&args, dir.path());
        let text = stdout(&out);
        assert!(out.status.success(), "{out:?}");
        assert!(
            text.contains("left: close_port (break-1000-0-left): a simulated team's break cannot be restored after its game")
                && text.contains("nothing recorded"),
            "{text}"
        );
        assert_eq!(break_notes(db), noted, "nothing recorded");
    }
    let out = gameday(
        &["chaos", "restore", "--db", db, "--team", "calm"],
        dir.path(),
    );
    assert_eq!(
        stdout(&out),
        "no break of calm is still in place\n",
        "{out:?}"
    );

    // A game being played on the ledger: refused, pointing to its admin page.
    let held = PlayLock::take(&LedgerAt::File(db.into())).unwrap();
    let out = gameday(&["chaos", "restore", "--db", db, "--all"], dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        err.contains("is being played by another gameday") && err.contains("admin page"),
        "{err}"
    );
    drop(held);
}
