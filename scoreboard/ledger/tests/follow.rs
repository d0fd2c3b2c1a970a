//! A projection follows a ledger with one cursor (`sqlite::*` and `postgres::*`): the causes,
//! the events and the notes (announcements, URLs, and the teams' names) reach it after its
//! cursor, a rename as any other fact; a rescore keeps the notes; an older ledger's names
//! become notes when it opens.

#[path = "support/stores.rs"]
#[allow(dead_code)]
mod stores;
#[cfg(feature = "postgres")]
mod support;

use loadgen_outcome::{BatchId, Outcome, OutcomeBatch};
use scoreboard_domain::names::TeamName;
use scoreboard_domain::{
    GameMeta, GameProjection, GameTime, Note, NoteKind, Recorded, RecordedBatch, Rules, Scorer,
};
use scoreboard_ledger::rescore;
#[cfg(feature = "postgres")]
use stores::PostgresStore;
use stores::{SqliteStore, Store};

const TEAMS: [&str; 2] = ["red", "blue"];

fn meta() -> GameMeta {
    GameMeta {
        name: "follow".into(),
        seed: 3,
        rules: Rules::default(),
        teams: TEAMS.map(String::from).to_vec(),
        registering: Vec::new(),
        duration_ms: 0,
    }
}

fn name(team: &str, name: &str) -> TeamName {
    TeamName {
        team: team.into(),
        name: name.into(),
        by_team: true,
    }
}

/// A tick of `team`'s right answers, with its events.
fn tick(
    scorer: &Scorer,
    team: u32,
    tick: u64,
) -> Vec<(Recorded, Vec<scoreboard_domain::ScoreEvent>)> {
    let id = BatchId {
        run: 1,
        worker: 0,
        target: team,
        tick,
    };
    let mut b = OutcomeBatch::new(id, TEAMS[team as usize].into());
    let key = hashref::Key::from_groups([1, tick as u16, 1]);
    let lat = std::time::Duration::from_millis(20);
    b.record(
        Outcome::Correct,
        key,
        hashref::unicorn_hash(key.as_str(), "s", 1),
        Some((lat, lat / 2)),
    );
    b.sends += 1;
    let r = Recorded::Batch(Box::new(RecordedBatch {
        at: GameTime((tick + 1) * 1000),
        batch: b,
    }));
    let events = scorer.events(&r);
    vec![(r, events)]
}

/// Each team's public name on the follower's board.
fn board_names(p: &GameProjection) -> Vec<(String, String)> {
    let mut rows: Vec<_> = p.rows().into_iter().map(|r| (r.team, r.name)).collect();
    rows.sort();
    rows
}

fn projection() -> GameProjection {
    let teams = TEAMS.map(String::from);
    GameProjection::new(&teams, Rules::default().billing.price, None)
}

/// Names, notes and events reach a follower after its one cursor; a rename moves only the
/// notes' part of it, and a rescore starts the events again but keeps the names.
fn names_notes_and_events_follow_one_cursor(store: &dyn Store) {
    let mut ledger = store.open();
    ledger.start_or_resume(&meta(), 0).unwrap();
    let scorer = Scorer::new(Rules::default()).unwrap();
    ledger.record(&tick(&scorer, 0, 0)).unwrap();
    ledger.store_team_name(&name("red", "Red Pandas")).unwrap();
    let lunch = Note {
        id: "lunch".into(),
        at: GameTime(1000),
        kind: NoteKind::Announcement,
        team: None,
        text: "lunch at noon".into(),
    };
    ledger.record_notes(std::slice::from_ref(&lunch)).unwrap();
    let mut follower = projection();
    let mut noted = Vec::new();
    let new = follower
        .catch_up_noting(ledger.as_ref(), &mut |_| {}, &mut |n| noted.push(n.kind))
        .unwrap();
    assert_eq!(new, 1, "the one event");
    assert_eq!(noted, [NoteKind::TeamName, NoteKind::Announcement]);
    assert_eq!(
        board_names(&follower),
        [
            ("blue".into(), String::new()),
            ("red".into(), "Red Pandas".into())
        ]
    );
    assert_eq!(
        follower.announcements,
        [(GameTime(1000), lunch.text.clone())]
    );

    // A rename, and nothing else: only the notes' cursor moves, and the board shows it.
    let before = follower.cursor();
    ledger.store_team_name(&name("red", "Crimson")).unwrap();
    ledger
        .store_team_name(&name("blue", "Blue Whales"))
        .unwrap();
    assert_eq!(follower.catch_up(ledger.as_ref(), &mut |_| {}).unwrap(), 0);
    let after = follower.cursor();
    assert!(after.notes > before.notes, "{before:?} {after:?}");
    assert_eq!(
        (after.batches, after.events),
        (before.batches, before.events)
    );
    assert_eq!(
        board_names(&follower),
        [
            ("blue".into(), "Blue Whales".into()),
            ("red".into(), "Crimson".into())
        ]
    );
    // A team may take back an old name: a note of its own.
    ledger.store_team_name(&name("red", "Red Pandas")).unwrap();
    follower.catch_up(ledger.as_ref(), &mut |_| {}).unwrap();
    assert_eq!(follower.name("red"), Some("Red Pandas"));

    // A rescore replaces the events: they count once more, the names and the announcement
    // stay as they were (once).
    ledger.record(&tick(&scorer, 1, 1)).unwrap();
    let events = rescore(ledger.as_ref(), &scorer).unwrap();
    ledger.replace_events(&Rules::default(), &events).unwrap();
    let again = follower.catch_up(ledger.as_ref(), &mut |_| {}).unwrap();
    assert_eq!(again, events.len() as u64);
    assert_eq!(follower.announcements.len(), 1);
    assert_eq!(follower.name("blue"), Some("Blue Whales"));
    assert_eq!(follower.name("red"), Some("Red Pandas"));
    assert!(follower.team("blue").unwrap().score.0 > 0);
    assert!(follower.team("red").unwrap().score.0 > 0);
}

/// A ledger written before a name was a note (schema 8) opens, and its names become notes
/// that a follower reads like any other.
fn an_older_ledgers_names_become_notes(store: &dyn Store) {
    let mut ledger = store.open();
    ledger.start_or_resume(&meta(), 0).unwrap();
    ledger
        .store_team_name(&name("blue", "Blue Whales"))
        .unwrap();
    drop(ledger);
    store.write_schema_8();
    let ledger = store.open();
    let notes: Vec<Note> = ledger
        .notes_after(0, 10)
        .unwrap()
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    assert_eq!(
        notes,
        [name("blue", "Blue Whales").note("name:blue".into())]
    );
    assert_eq!(store.schema_version(), 9);
    let mut follower = projection();
    follower.catch_up(ledger.as_ref(), &mut |_| {}).unwrap();
    assert_eq!(follower.name("blue"), Some("Blue Whales"));
    assert_eq!(follower.name("red"), None);
}

macro_rules! follow_suite {
    ($backend:ident, $store:ty; $($name:ident,)*) => {
        mod $backend {
            use super::*;
            $(
                #[test]
                fn $name() {
                    super::$name(&<$store>::new(concat!("follow_", stringify!($name))));
                }
            )*
        }
    };
}

follow_suite!(sqlite, SqliteStore;
    names_notes_and_events_follow_one_cursor,
    an_older_ledgers_names_become_notes,
);
#[cfg(feature = "postgres")]
follow_suite!(postgres, PostgresStore;
    names_notes_and_events_follow_one_cursor,
    an_older_ledgers_names_become_notes,
);
