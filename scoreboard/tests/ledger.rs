//! The SQLite ledger: idempotent records, exact round trips, resume, rescore.

use std::time::Duration;

use hashref::{Key, unicorn_hash};
use loadgen::{BatchId, Outcome, OutcomeBatch};
use proptest::prelude::*;
use scoreboard::{
    Adjustment, BillingBlock, EventFilter, GameMeta, GameTime, Ledger, Points, Recorded,
    RecordedBatch, Rules, Scorer, Source, SqliteLedger, rescore, sort_events,
};

fn meta() -> GameMeta {
    GameMeta {
        name: "test game".into(),
        seed: 7,
        rules: Rules::default(),
        teams: Vec::new(),
        duration_ms: 0,
    }
}

fn batch(run: u64, team: u32, tick: u64, outcomes: &[(Outcome, u64)]) -> Recorded {
    let id = BatchId {
        run,
        worker: 0,
        target: team,
        tick,
    };
    let mut b = OutcomeBatch::new(id, format!("team-{team}").into());
    for (i, (o, n)) in outcomes.iter().enumerate() {
        for j in 0..*n {
            let key = Key::from_groups([i as u16, j as u16, 1]);
            let lat = Duration::from_millis(1 + 37 * j);
            b.record(
                o.clone(),
                key,
                unicorn_hash(key.as_str(), "s", 1),
                Some((lat, lat / 2)),
            );
            b.sends += 1;
        }
    }
    Recorded::Batch(Box::new(RecordedBatch {
        at: GameTime((tick + 1) * 1000),
        batch: b,
    }))
}

fn with_events(
    scorer: &Scorer,
    items: Vec<Recorded>,
) -> Vec<(Recorded, Vec<scoreboard::ScoreEvent>)> {
    items
        .into_iter()
        .map(|r| {
            let e = scorer.events(&r);
            (r, e)
        })
        .collect()
}

fn open() -> (tempfile::TempDir, SqliteLedger) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = SqliteLedger::open(&dir.path().join("game.db")).unwrap();
    (dir, ledger)
}

#[test]
fn recording_twice_changes_nothing() {
    let (_dir, mut ledger) = open();
    ledger.start_or_resume(&meta(), 1_000).unwrap();
    let scorer = Scorer::new(Rules::default()).unwrap();
    let items = with_events(
        &scorer,
        vec![
            batch(
                1,
                0,
                0,
                &[(Outcome::Correct, 5), (Outcome::HttpStatus(503), 2)],
            ),
            Recorded::Block(BillingBlock {
                team: "team-0".into(),
                instance: "i-1".into(),
                instance_type: "t2.micro".into(),
                block: 1,
                anchor: GameTime(0),
                at: GameTime(0),
            }),
            Recorded::Adjustment(Adjustment {
                id: "adj-1".into(),
                at: GameTime(500),
                team: "team-0".into(),
                points: Points::whole(-3),
                reason: "rude team name".into(),
                by: "admin".into(),
            }),
        ],
    );
    assert_eq!(ledger.record(&items).unwrap(), 3);
    let events = ledger.events(&EventFilter::default()).unwrap();
    assert_eq!(events.len(), 4);
    assert_eq!(ledger.record(&items).unwrap(), 0);
    assert_eq!(ledger.events(&EventFilter::default()).unwrap(), events);
    assert_eq!(ledger.causes().unwrap().len(), 3);
}

#[test]
fn batches_round_trip_exactly() {
    let (_dir, mut ledger) = open();
    ledger.start_or_resume(&meta(), 1_000).unwrap();
    let original = batch(
        2,
        4,
        9,
        &[
            (Outcome::Correct, 30),
            (
                Outcome::WrongAnswer {
                    got: vec![0xff, b'x'],
                },
                4,
            ),
            (Outcome::HttpStatus(500), 3),
            (
                Outcome::Reset {
                    detail: "reset by peer".into(),
                },
                2,
            ),
            (
                Outcome::Malformed {
                    detail: "bad status line".into(),
                },
                1,
            ),
            (
                Outcome::ConnectRefused {
                    detail: "refused".into(),
                },
                1,
            ),
            (Outcome::Timeout, 2),
            (Outcome::Dropped, 6),
        ],
    );
    ledger.record(&[(original.clone(), vec![])]).unwrap();
    let back = ledger.causes().unwrap();
    assert_eq!(back, vec![original]);
}

#[test]
fn a_resumed_game_keeps_its_clock_and_counts_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("game.db");
    let first = SqliteLedger::open(&path)
        .unwrap()
        .start_or_resume(&meta(), 1_000)
        .unwrap();
    assert_eq!(
        (first.run, first.resumed, first.started_unix_ms),
        (1, false, 1_000)
    );
    let second = SqliteLedger::open(&path)
        .unwrap()
        .start_or_resume(&meta(), 9_000)
        .unwrap();
    assert_eq!(
        (second.run, second.resumed, second.started_unix_ms),
        (2, true, 1_000)
    );
    let other = GameMeta {
        name: "another".into(),
        ..meta()
    };
    let err = SqliteLedger::open(&path)
        .unwrap()
        .start_or_resume(&other, 9_000)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("holds game \"test game\"") && err.contains("use another file"),
        "{err}"
    );
    assert_eq!(
        SqliteLedger::open(&path).unwrap().schema_version().unwrap(),
        2
    );
}

#[test]
fn pauses_move_the_game_clock_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("game.db");
    let mut ledger = SqliteLedger::open(&path).unwrap();
    let s = ledger.start_or_resume(&meta(), 10_000).unwrap();
    assert_eq!(s.game_time(15_000), Duration::from_secs(5));
    // Paused at 15 s of wall clock, then the engine died while paused.
    ledger.set_pauses(0, Some(15_000)).unwrap();
    drop(ledger);
    let s = SqliteLedger::open(&path)
        .unwrap()
        .start_or_resume(&meta(), 40_000)
        .unwrap();
    assert_eq!((s.paused_ms, s.paused_since_unix_ms), (0, Some(15_000)));
    assert_eq!(
        s.game_time(40_000),
        Duration::from_secs(5),
        "the pause holds"
    );
    let mut ledger = SqliteLedger::open(&path).unwrap();
    ledger.set_pauses(25_000, None).unwrap();
    let s = ledger.start_or_resume(&meta(), 41_000).unwrap();
    assert_eq!(s.game_time(41_000), Duration::from_secs(6));
}

#[test]
fn token_digests_are_stored_replaced_and_never_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("game.db");
    let mut ledger = SqliteLedger::open(&path).unwrap();
    ledger.start_or_resume(&meta(), 1).unwrap();
    let (a, ha) = scoreboard::tokens::generate().unwrap();
    let (b, hb) = scoreboard::tokens::generate().unwrap();
    ledger.store_token("red", &ha, 1).unwrap();
    ledger
        .store_token(scoreboard::tokens::ADMIN, &hb, 1)
        .unwrap();
    let (c, hc) = scoreboard::tokens::generate().unwrap();
    ledger.store_token("red", &hc, 2).unwrap();
    let stored = ledger.token_hashes().unwrap();
    assert_eq!(stored.len(), 2);
    let red = &stored.iter().find(|(o, _)| o == "red").unwrap().1;
    assert!(red.verify(&c) && !red.verify(&a));
    // The database and its write-ahead log (where fresh writes sit).
    let mut file = std::fs::read(&path).unwrap();
    file.extend(std::fs::read(dir.path().join("game.db-wal")).unwrap_or_default());
    assert!(
        file.windows(5).any(|w| w == b"@admi"),
        "the owners are in the files read"
    );
    for token in [&a, &b, &c] {
        assert!(
            !file.windows(token.len()).any(|w| w == token.as_bytes()),
            "a token is in the file"
        );
    }
}

#[test]
fn events_filter_by_team_source_and_time() {
    let (_dir, mut ledger) = open();
    ledger.start_or_resume(&meta(), 0).unwrap();
    let scorer = Scorer::new(Rules::default()).unwrap();
    let items: Vec<Recorded> = (0..4)
        .flat_map(|tick| {
            (0..2).map(move |team| {
                batch(
                    1,
                    team,
                    tick,
                    &[(Outcome::Correct, 3), (Outcome::Timeout, 1)],
                )
            })
        })
        .collect();
    ledger.record(&with_events(&scorer, items)).unwrap();
    let team1 = EventFilter {
        team: Some("team-1".into()),
        ..Default::default()
    };
    assert_eq!(ledger.events(&team1).unwrap().len(), 8);
    let late = EventFilter {
        since: Some(GameTime(3000)),
        ..team1.clone()
    };
    assert_eq!(ledger.events(&late).unwrap().len(), 4);
    let billing = EventFilter {
        source: Some(Source::Billing),
        ..Default::default()
    };
    assert!(ledger.events(&billing).unwrap().is_empty());
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("game.db");
    drop(SqliteLedger::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = SqliteLedger::open(&path).err().unwrap().to_string();
    assert!(err.contains("newer gameday"), "{err}");
}

fn outcome_strategy() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        Just(Outcome::Correct),
        Just(Outcome::Correct),
        prop::collection::vec(any::<u8>(), 0..50).prop_map(|got| Outcome::WrongAnswer { got }),
        (100u16..600).prop_map(Outcome::HttpStatus),
        Just(Outcome::Timeout),
        Just(Outcome::ConnectTimeout),
        "[a-z ]{0,20}".prop_map(|detail| Outcome::Reset { detail }),
        Just(Outcome::TooLarge),
        Just(Outcome::Dropped),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Rebuilding the events from the recorded causes under the same rules reproduces every
    /// stored event exactly.
    #[test]
    fn rescore_reproduces_stored_events(
        batches in prop::collection::vec(
            (0u32..5, 0u64..50, prop::collection::vec((outcome_strategy(), 1u64..20, 1u64..9000), 0..6), 0u64..30),
            1..25,
        )
    ) {
        let (_dir, mut ledger) = open();
        ledger.start_or_resume(&meta(), 0).unwrap();
        let scorer = Scorer::new(Rules::default()).unwrap();
        let mut items = Vec::new();
        for (team, tick, outcomes, late) in batches {
            let id = BatchId { run: 1, worker: 0, target: team, tick };
            let mut b = OutcomeBatch::new(id, format!("team-{team}").into());
            for (o, n, ms) in outcomes {
                for j in 0..n {
                    let key = Key::from_groups([team as u16, tick as u16, j as u16]);
                    let lat = Duration::from_millis(ms + j);
                    b.record(o.clone(), key, unicorn_hash(key.as_str(), "s", 1), Some((lat, lat)));
                    b.sends += 1;
                }
            }
            b.late_sends = late.min(b.sends);
            items.push(Recorded::Batch(Box::new(RecordedBatch { at: GameTime(tick * 1000 + 1000), batch: b })));
        }
        ledger.record(&with_events(&scorer, items)).unwrap();
        let mut stored = ledger.events(&EventFilter::default()).unwrap();
        sort_events(&mut stored);
        let rebuilt = rescore(&ledger, &scorer).unwrap();
        prop_assert_eq!(rebuilt, stored);
    }
}
