//! The plan's schedule (the game's ids and seeds) and which breaks are still in place.

use std::path::Path;

use scoreboard_domain::GameTime;
use scoreboard_domain::breaks::{AskedBy, BreakAction, BreakOutcome, BreakRecord};
use scoreboard_ledger::{Note, NoteKind};

use super::plan::scheduled;
use super::restore::in_place;
use crate::game::break_seed;

const SCENARIO: &str = r#"[game]
name = "schedule"
duration = "1m"
seed = 7
allow_private_targets = true
[load]
phases = [{ at = "0s", rate = 1 }]
[[team]]
name = "blue"
simulate = { flavor = "v2", servers = 2 }
[[team]]
name = "red"
url = "http://203.0.113.9"
[[chaos.aws]]
team = "red"
region = "eu-west-1"
profile = "red"
[[timeline]]
at = "20s"
break = { team = "*", action = "deny_nacl", for = "5s" }
[[timeline]]
at = "5s"
break = { team = "red", action = "stop_instance", for = "5s" }
[[timeline]]
at = "5s"
announce = "between two breaks"
[[timeline]]
at = "5s"
break = { team = "blue", action = "close_port" }
"#;

#[test]
fn breaks_are_scheduled_in_time_order_with_the_games_ids_and_seeds() {
    let s = crate::scenario::parse(SCENARIO, Path::new("schedule.toml")).unwrap();
    let plans: Vec<(String, Vec<(String, u64)>)> = scheduled(&s)
        .into_iter()
        .map(|(t, list)| {
            let list = list.into_iter().map(|b| (b.id, b.seed)).collect();
            (t.name.clone(), list)
        })
        .collect();
    let seed = |team, at, place| break_seed(7, team, at, place);
    assert_eq!(
        plans,
        [
            (
                "blue".to_owned(),
                vec![
                    ("break-5000-1-blue".to_owned(), seed("blue", 5_000, 1)),
                    ("break-20000-0-blue".to_owned(), seed("blue", 20_000, 0)),
                ]
            ),
            (
                "red".to_owned(),
                vec![
                    ("break-5000-0-red".to_owned(), seed("red", 5_000, 0)),
                    ("break-20000-0-red".to_owned(), seed("red", 20_000, 0)),
                ]
            ),
        ]
    );
}

fn note(id: &str, team: &str, restore: bool, outcome: BreakOutcome) -> Note {
    let record = BreakRecord {
        id: id.to_owned(),
        action: BreakAction::ClosePort,
        asked_by: AskedBy::Timeline,
        tell: false,
        restore_at: None,
        outcome,
    };
    Note {
        id: if restore {
            format!("{id}-restore")
        } else {
            id.to_owned()
        },
        at: GameTime(1_000),
        kind: if restore {
            NoteKind::Restore
        } else {
            NoteKind::Break
        },
        team: Some(team.to_owned()),
        text: record.to_text(),
    }
}

fn done(record: serde_json::Value) -> BreakOutcome {
    BreakOutcome::Done {
        what: "closed".to_owned(),
        record,
    }
}

#[test]
fn a_break_is_in_place_until_a_restore_puts_it_back_or_finds_it_mended() {
    let real = serde_json::json!({"team": "red", "action": "close_port", "changes": []});
    let sim = serde_json::json!({"servers": ["http://127.0.0.1:1"]});
    let failed = BreakOutcome::Failed {
        reason: "throttled".to_owned(),
    };
    let notes = vec![
        note("b-put", "red", false, done(real.clone())),
        note("b-put", "red", true, done(serde_json::json!({}))),
        note("b-mended", "red", false, done(real.clone())),
        note(
            "b-mended",
            "red",
            true,
            BreakOutcome::AlreadyMended { what: "ok".into() },
        ),
        note("b-failed", "red", false, failed.clone()),
        note("b-retry", "red", false, done(real.clone())),
        note("b-retry", "red", true, failed),
        note("b-sim", "blue", false, done(sim)),
        Note {
            id: "a".into(),
            at: GameTime(0),
            kind: NoteKind::Announcement,
            team: None,
            text: "hello".into(),
        },
    ];
    let left = in_place(&notes, None);
    let seen: Vec<(&str, bool, usize)> = left
        .iter()
        .map(|b| (b.note.record.id.as_str(), b.real, b.failures))
        .collect();
    assert_eq!(seen, [("b-retry", true, 1), ("b-sim", false, 0)]);
    assert!(
        left[0].line().contains("the last: throttled"),
        "{}",
        left[0].line()
    );
    assert!(
        left[1].line().contains("a simulated team's"),
        "{}",
        left[1].line()
    );
}
