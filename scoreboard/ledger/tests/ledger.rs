//! The ledger suite, run against each ledger (`sqlite::*` and `postgres::*`): idempotent
//! records, exact round trips, resume, rescore, and what a split game's processes share.

#[path = "support/stores.rs"]
#[allow(dead_code)]
mod stores;
#[cfg(feature = "postgres")]
mod support;

#[cfg_attr(not(feature = "postgres"), allow(unused_imports))]
use scoreboard_ledger::prelude::*;
use std::time::Duration;

use hashref::{Key, unicorn_hash};
use loadgen_outcome::{BatchId, ExecSegment, Outcome, OutcomeBatch};
use proptest::prelude::*;
use scoreboard_domain::{
    Adjustment, BillingBlock, ClockEvent, EventKind, GameMeta, GameProjection, GameTime, Note,
    NoteKind, Points, Recorded, RecordedBatch, Rules, Scorer, SegmentVoid, Source, sort_events,
};
use scoreboard_ledger::{EventFilter, rescore};
#[cfg(feature = "postgres")]
use stores::PostgresStore;
use stores::{SqliteStore, Store};

fn meta() -> GameMeta {
    GameMeta {
        name: "test game".into(),
        seed: 7,
        rules: Rules::default(),
        teams: Vec::new(),
        registering: Vec::new(),
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
) -> Vec<(Recorded, Vec<scoreboard_domain::ScoreEvent>)> {
    items
        .into_iter()
        .map(|r| {
            let e = scorer.events(&r);
            (r, e)
        })
        .collect()
}

/// Instantiates every test of the suite for one kind of ledger, as `$backend::name`.
macro_rules! ledger_suite {
    ($backend:ident, $store:ty) => {
        mod $backend {
            use super::*;

            ledger_suite!(@tests $store;
                recording_twice_changes_nothing,
                batches_round_trip_exactly,
                a_resumed_game_keeps_its_clock_and_counts_runs,
                pauses_move_the_game_clock_and_survive_a_restart,
                notes_are_recorded_once_and_read_back_in_order,
                token_digests_are_stored_replaced_and_never_the_token,
                team_names_are_stored_replaced_and_survive_a_reopen,
                events_filter_by_team_source_and_time,
                events_keep_their_kind_and_count_and_older_ones_read_as_unknown,
                a_newer_schema_is_refused,
                a_long_game_streams_every_cause,
                a_split_game_shares_the_clock_workers_and_batches,
                a_split_game_shares_targets_and_voids,
                a_projection_reads_only_what_is_new,
            );

            proptest! {
                #![proptest_config(ProptestConfig::with_cases(24))]

                /// Rebuilding the events from the recorded causes under the same rules
                /// reproduces every stored event exactly.
                #[test]
                fn rescore_reproduces_stored_events(batches in batches_strategy()) {
                    let store = <$store>::new("rescore_reproduces_stored_events");
                    super::rescore_reproduces_stored_events(&store, batches)?;
                }
            }
        }
    };
    (@tests $store:ty; $($name:ident,)*) => {
        $(
            #[test]
            fn $name() {
                super::$name(&<$store>::new(stringify!($name)));
            }
        )*
    };
}

ledger_suite!(sqlite, SqliteStore);
#[cfg(feature = "postgres")]
ledger_suite!(postgres, PostgresStore);

fn recording_twice_changes_nothing(store: &dyn Store) {
    let mut ledger = store.open();
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

fn batches_round_trip_exactly(store: &dyn Store) {
    let mut ledger = store.open();
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
            (
                Outcome::Tls {
                    failure: loadgen_outcome::TlsFailure::Expired,
                    detail: "the certificate of api.team.example is out of its dates".into(),
                },
                3,
            ),
            (
                Outcome::Tls {
                    failure: loadgen_outcome::TlsFailure::TlsOnPlainPort,
                    detail: "this port serves http://".into(),
                },
                1,
            ),
        ],
    );
    ledger.record(&[(original.clone(), vec![])]).unwrap();
    let back = ledger.causes().unwrap();
    assert_eq!(back, vec![original]);
}

fn a_resumed_game_keeps_its_clock_and_counts_runs(store: &dyn Store) {
    let first = store.open().start_or_resume(&meta(), 1_000).unwrap();
    assert_eq!(
        (first.run, first.resumed, first.started_unix_ms),
        (1, false, 1_000)
    );
    let second = store.open().start_or_resume(&meta(), 9_000).unwrap();
    assert_eq!(
        (second.run, second.resumed, second.started_unix_ms),
        (2, true, 1_000)
    );
    let other = GameMeta {
        name: "another".into(),
        ..meta()
    };
    let err = store
        .open()
        .start_or_resume(&other, 9_000)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("holds game \"test game\"") && err.contains(store.use_another()),
        "{err}"
    );
    assert_eq!(store.schema_version(), 9);
}

fn pauses_move_the_game_clock_and_survive_a_restart(store: &dyn Store) {
    let mut ledger = store.open();
    let s = ledger.start_or_resume(&meta(), 10_000).unwrap();
    assert_eq!(s.game_time(15_000), Duration::from_secs(5));
    // Paused at 15 s of wall clock, then the engine died while paused.
    let paused = ClockEvent {
        at: GameTime(5_000),
        unix_ms: 15_000,
        paused: true,
    };
    ledger.set_pauses(0, Some(15_000), &[paused]).unwrap();
    // Sent again (an answer lost): recorded once.
    ledger.set_pauses(0, Some(15_000), &[paused]).unwrap();
    drop(ledger);
    let s = store.open().start_or_resume(&meta(), 40_000).unwrap();
    assert_eq!((s.paused_ms, s.paused_since_unix_ms), (0, Some(15_000)));
    assert_eq!(
        s.game_time(40_000),
        Duration::from_secs(5),
        "the pause holds"
    );
    let mut ledger = store.open();
    let resumed = ClockEvent {
        at: GameTime(5_000),
        unix_ms: 40_000,
        paused: false,
    };
    ledger.set_pauses(25_000, None, &[resumed]).unwrap();
    let s = ledger.start_or_resume(&meta(), 41_000).unwrap();
    assert_eq!(s.game_time(41_000), Duration::from_secs(6));
    // The clock's history, as it happened: what the debrief marks.
    assert_eq!(ledger.clock_events().unwrap(), [paused, resumed]);
}

fn notes_are_recorded_once_and_read_back_in_order(store: &dyn Store) {
    let mut ledger = store.open();
    ledger.start_or_resume(&meta(), 1).unwrap();
    let note = |id: &str, at: u64, kind: NoteKind, team: Option<&str>, text: &str| Note {
        id: id.into(),
        at: GameTime(at),
        kind,
        team: team.map(String::from),
        text: text.into(),
    };
    let lunch = note(
        "r2-n1",
        9_000,
        NoteKind::Announcement,
        None,
        "Lunch <b>now</b>",
    );
    let moved = note(
        "r2-n2",
        4_000,
        NoteKind::UrlChange,
        Some("team-1"),
        "http://10.0.0.2:8080/",
    );
    let chaos = note("r1-n9", 9_000, NoteKind::Announcement, None, "Chaos");
    assert_eq!(
        ledger
            .record_notes(&[lunch.clone(), moved.clone()])
            .unwrap(),
        2
    );
    // Sent again (an answer lost), with one new: the old ones are recorded once.
    assert_eq!(
        ledger
            .record_notes(&[lunch.clone(), moved.clone(), chaos.clone()])
            .unwrap(),
        1
    );
    drop(ledger);
    // In the order recorded (not by id, nor by game time), each after its position.
    let ledger = store.open();
    let all = ledger.notes_after(0, 100).unwrap();
    let notes: Vec<Note> = all.iter().map(|(_, n)| n.clone()).collect();
    assert_eq!(notes, [lunch, moved, chaos.clone()]);
    let newer = ledger.notes_after(all[1].0, 100).unwrap();
    assert_eq!(newer, [(all[2].0, chaos)]);
    assert!(ledger.notes_after(all[2].0, 100).unwrap().is_empty());
}

fn token_digests_are_stored_replaced_and_never_the_token(store: &dyn Store) {
    let mut ledger = store.open();
    ledger.start_or_resume(&meta(), 1).unwrap();
    let (a, ha) = scoreboard_domain::tokens::generate().unwrap();
    let (b, hb) = scoreboard_domain::tokens::generate().unwrap();
    ledger.store_token("red", &ha, 1).unwrap();
    ledger
        .store_token(scoreboard_domain::tokens::ADMIN, &hb, 1)
        .unwrap();
    let (c, hc) = scoreboard_domain::tokens::generate().unwrap();
    ledger.store_token("red", &hc, 2).unwrap();
    let stored = ledger.token_hashes().unwrap();
    assert_eq!(stored.len(), 2);
    let red = &stored.iter().find(|(o, _)| o == "red").unwrap().1;
    assert!(red.verify(&c) && !red.verify(&a));
    let file = store.token_bytes();
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

fn team_names_are_stored_replaced_and_survive_a_reopen(store: &dyn Store) {
    use scoreboard_domain::names::TeamName;
    let mut ledger = store.open();
    ledger.start_or_resume(&meta(), 1).unwrap();
    assert!(ledger.team_names().unwrap().is_empty());
    let name = |team: &str, name: &str, by_team| TeamName {
        team: team.into(),
        name: name.into(),
        by_team,
    };
    ledger
        .store_team_name(&name("red", "Red <Pandas>", false))
        .unwrap();
    ledger
        .store_team_name(&name("blue", "Blue Whales", true))
        .unwrap();
    ledger
        .store_team_name(&name("red", "Red Pandas ünï", true))
        .unwrap();
    drop(ledger);
    let ledger = store.open();
    assert_eq!(
        ledger.team_names().unwrap(),
        [
            name("blue", "Blue Whales", true),
            name("red", "Red Pandas ünï", true)
        ]
    );
}

fn events_filter_by_team_source_and_time(store: &dyn Store) {
    let mut ledger = store.open();
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
    // A page back through history: the newest first, before a time.
    let page = EventFilter {
        before: Some(GameTime(3000)),
        limit: Some(3),
        ..team1.clone()
    };
    let page = ledger.events(&page).unwrap();
    let times: Vec<u64> = page.iter().map(|e| e.at.0).collect();
    assert_eq!(times, [2000, 2000, 1000]);
}

/// Each event comes back with what it is about and how many outcomes it counts; the events
/// of a ledger written before they had both (schema 7) read back as of an unknown kind,
/// counting 1, their reasons as they were, and the projection groups their losses by source.
fn events_keep_their_kind_and_count_and_older_ones_read_as_unknown(store: &dyn Store) {
    let mut ledger = store.open();
    let teams = vec!["team-0".to_owned()];
    ledger
        .start_or_resume(
            &GameMeta {
                teams: teams.clone(),
                ..meta()
            },
            0,
        )
        .unwrap();
    let scorer = Scorer::new(Rules::default()).unwrap();
    let items = vec![
        batch(
            1,
            0,
            0,
            &[
                (Outcome::Correct, 4),
                (Outcome::HttpStatus(503), 3),
                (Outcome::HttpStatus(500), 1),
                (Outcome::Timeout, 2),
            ],
        ),
        Recorded::Block(BillingBlock {
            team: "team-0".into(),
            instance: "i-1".into(),
            instance_type: "t2.micro".into(),
            block: 1,
            anchor: GameTime(0),
            at: GameTime(0),
        }),
    ];
    ledger.record(&with_events(&scorer, items)).unwrap();
    let events = ledger.events(&EventFilter::default()).unwrap();
    let kinds: Vec<(String, u64)> = events
        .iter()
        .map(|e| (e.kind.name().into_owned(), e.count))
        .collect();
    let expected = [
        ("billing", 1),
        ("correct", 4),
        ("http_500", 1),
        ("http_503", 3),
        ("timeout", 2),
    ];
    let expected: Vec<(String, u64)> = expected.iter().map(|(k, n)| (k.to_string(), *n)).collect();
    let mut sorted = kinds.clone();
    sorted.sort();
    assert_eq!(sorted, expected);
    drop(ledger);

    store.write_schema_7();
    let ledger = store.open();
    assert_eq!(store.schema_version(), 9);
    let old = ledger.events(&EventFilter::default()).unwrap();
    assert_eq!(old.len(), events.len());
    for (before, after) in events.iter().zip(&old) {
        assert_eq!(after.kind, EventKind::Unknown);
        assert_eq!(after.count, 1);
        assert_eq!(after.reason, before.reason);
        assert_eq!((after.points, after.source), (before.points, before.source));
    }
    let mut p = GameProjection::new(&teams, Rules::default().billing.price, None);
    p.catch_up(ledger.as_ref(), &mut |_| {}).unwrap();
    let losses = p.losses("team-0", p.now);
    let by: Vec<(EventKind, Source)> = losses.iter().map(|l| (l.kind, l.source)).collect();
    assert_eq!(
        by,
        [
            (EventKind::Unknown, Source::Billing),
            (EventKind::Unknown, Source::LoadGen)
        ]
    );
    // Three LoadGen events lost points: 503s, the 500 and the timeouts.
    assert_eq!(losses[1].count, 3);
}

/// A follower's projection equals one fed every item as the game recorded it; a refresh
/// reads only what is new; after a rescore it starts again and nothing counts twice.
fn a_projection_reads_only_what_is_new(store: &dyn Store) {
    let mut ledger = store.open();
    ledger.start_or_resume(&meta(), 0).unwrap();
    let scorer = Scorer::new(Rules::default()).unwrap();
    let teams: Vec<String> = (0..3).map(|t| format!("team-{t}")).collect();
    let price = Rules::default().billing.price;
    let mut fed = GameProjection::new(&teams, price, None);
    let mut follower = GameProjection::new(&teams, price, None);
    let round = |tick: u64| {
        let mut items: Vec<Recorded> = (0..3)
            .map(|t| {
                let wrong = if t == 1 { 2 } else { 0 };
                let ok = 3 + t as u64;
                batch(
                    1,
                    t,
                    tick,
                    &[(Outcome::Correct, ok), (Outcome::HttpStatus(503), wrong)],
                )
            })
            .collect();
        items.push(Recorded::Block(BillingBlock {
            team: "team-2".into(),
            instance: "i-2".into(),
            instance_type: "t2.micro".into(),
            block: tick as u32 + 1,
            anchor: GameTime(0),
            at: GameTime(tick * 1000),
        }));
        with_events(&scorer, items)
    };
    let mut written = 0;
    for (ticks, refresh) in [(0..4, true), (4..10, true), (10..11, false)] {
        for tick in ticks {
            let items = round(tick);
            ledger.record(&items).unwrap();
            for (recorded, events) in &items {
                fed.apply(recorded, events);
                written += events.len() as u64;
                fed.now = fed.now.max(events.iter().map(|e| e.at).max().unwrap());
            }
        }
        if refresh {
            let before = follower.cursor();
            let new = follower.catch_up(ledger.as_ref(), &mut |_| {}).unwrap();
            assert_eq!(new, written, "a refresh reads what is new, and only that");
            assert_ne!(follower.cursor(), before);
            written = 0;
            assert_eq!(follower.rows(), fed.rows());
        }
    }
    // Nothing new: nothing read.
    let mut quiet = follower.clone();
    quiet.catch_up(ledger.as_ref(), &mut |_| {}).unwrap();
    assert_eq!(quiet.catch_up(ledger.as_ref(), &mut |_| {}).unwrap(), 0);
    // A rescore replaces every event: the follower starts again and counts each cause once.
    let events = rescore(ledger.as_ref(), &scorer).unwrap();
    ledger.replace_events(&Rules::default(), &events).unwrap();
    let again = follower.catch_up(ledger.as_ref(), &mut |_| {}).unwrap();
    assert_eq!(again, events.len() as u64);
    assert_eq!(follower.rows(), fed.rows());
    let t1 = follower.team("team-1").unwrap();
    assert_eq!(t1.counts.errors(), 22);
    assert_eq!(follower.team("team-2").unwrap().billing.blocks, 11);
}

fn a_newer_schema_is_refused(store: &dyn Store) {
    drop(store.open());
    store.write_newer_schema_version();
    let err = store.try_open().err().unwrap().to_string();
    assert!(err.contains("newer gameday"), "{err}");
}

/// More batches than any ledger reads at a time: every one comes back, once.
fn a_long_game_streams_every_cause(store: &dyn Store) {
    let mut ledger = store.open();
    ledger.start_or_resume(&meta(), 0).unwrap();
    let scorer = Scorer::new(Rules::default()).unwrap();
    for tick in 0..7 {
        let items = (0..100)
            .map(|team| batch(1, team, tick, &[(Outcome::Correct, 1)]))
            .collect();
        assert_eq!(ledger.record(&with_events(&scorer, items)).unwrap(), 100);
    }
    let mut seen = std::collections::BTreeSet::new();
    ledger
        .for_each_cause(&mut |cause| assert!(seen.insert(cause.cause()), "twice: {cause:?}"))
        .unwrap();
    assert_eq!(seen.len(), 700);
    let mut stored = ledger.events(&EventFilter::default()).unwrap();
    sort_events(&mut stored);
    assert_eq!(rescore(ledger.as_ref(), &scorer).unwrap(), stored);
}

fn a_split_game_shares_the_clock_workers_and_batches(store: &dyn Store) {
    let mut ledger = store.open();
    assert_eq!(ledger.session().unwrap(), None);
    let started = ledger.start_or_resume(&meta(), 5_000).unwrap();
    let followed = store.open().session().unwrap().unwrap();
    assert_eq!(
        (followed.started_unix_ms, followed.run),
        (5_000, started.run)
    );

    let segment = |i| ExecSegment::new(i, 2).unwrap();
    ledger.join_worker(segment(0), 10).unwrap();
    ledger.join_worker(segment(1), 11).unwrap();
    ledger.join_worker(segment(0), 12).unwrap();
    let err = ledger
        .join_worker(ExecSegment::new(0, 3).unwrap(), 13)
        .unwrap_err()
        .to_string();
    assert!(err.contains("split into 2 segments"), "{err}");

    let batch_of = |team, tick| match batch(1, team, tick, &[(Outcome::Correct, 2)]) {
        Recorded::Batch(b) => *b,
        _ => unreachable!(),
    };
    let sent = [batch_of(0, 0), batch_of(1, 0), batch_of(0, 1)];
    let n = ledger.record_segment_batches(segment(0), &sent[..2], 20);
    assert_eq!(n.unwrap(), 2);
    let n = ledger.record_segment_batches(segment(0), &sent[1..], 21);
    assert_eq!(n.unwrap(), 1, "a batch already there is left as it is");
    let seen: Vec<_> = ledger
        .workers()
        .unwrap()
        .iter()
        .map(|w| (w.segment.index(), w.joined_unix_ms, w.seen_unix_ms))
        .collect();
    assert_eq!(seen, [(0, 10, 21), (1, 11, 11)]);

    let all = store.open().segment_batches_after(0, 10).unwrap();
    let back: Vec<_> = all.iter().map(|s| s.recorded.clone()).collect();
    assert_eq!(back, sent);
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(
        ledger.segment_batches_after(all[0].seq, 1).unwrap(),
        [all[1].clone()]
    );
    assert!(
        ledger
            .segment_batches_after(all[2].seq, 10)
            .unwrap()
            .is_empty()
    );
}

fn a_split_game_shares_targets_and_voids(store: &dyn Store) {
    let mut ledger = store.open();
    ledger.start_or_resume(&meta(), 5_000).unwrap();
    let urls = |u: &[&str]| u.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let targets = [
        ("team-0".to_string(), urls(&["http://a"])),
        ("team-1".to_string(), urls(&[])),
    ];
    ledger.set_targets(&targets).unwrap();
    ledger
        .set_targets(&[("team-0".into(), urls(&["http://b", "http://c"]))])
        .unwrap();
    let expected = [
        ("team-0".to_string(), urls(&["http://b", "http://c"])),
        ("team-1".to_string(), urls(&[])),
    ];
    assert_eq!(store.open().targets().unwrap(), expected);

    let scorer = Scorer::new(Rules::default()).unwrap();
    let void = Recorded::Void(SegmentVoid {
        at: GameTime(2_000),
        team: "team-0".into(),
        run: 1,
        tick: 1,
        segments: 2,
        missing: vec![1],
    });
    let items = with_events(&scorer, vec![void.clone()]);
    assert_eq!(ledger.record(&items).unwrap(), 1);
    assert_eq!(ledger.record(&items).unwrap(), 0);
    assert_eq!(ledger.causes().unwrap(), [void]);
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

/// Batches as (team, tick, (outcome, how many, latency ms) runs, late sends).
type BatchSpecs = Vec<(u32, u64, Vec<(Outcome, u64, u64)>, u64)>;

fn batches_strategy() -> impl Strategy<Value = BatchSpecs> {
    prop::collection::vec(
        (
            0u32..5,
            0u64..50,
            prop::collection::vec((outcome_strategy(), 1u64..20, 1u64..9000), 0..6),
            0u64..30,
        ),
        1..25,
    )
}

fn rescore_reproduces_stored_events(
    store: &dyn Store,
    batches: BatchSpecs,
) -> Result<(), TestCaseError> {
    let mut ledger = store.open();
    ledger.start_or_resume(&meta(), 0).unwrap();
    let scorer = Scorer::new(Rules::default()).unwrap();
    let mut items = Vec::new();
    for (team, tick, outcomes, late) in batches {
        let id = BatchId {
            run: 1,
            worker: 0,
            target: team,
            tick,
        };
        let mut b = OutcomeBatch::new(id, format!("team-{team}").into());
        for (o, n, ms) in outcomes {
            for j in 0..n {
                let key = Key::from_groups([team as u16, tick as u16, j as u16]);
                let lat = Duration::from_millis(ms + j);
                b.record(
                    o.clone(),
                    key,
                    unicorn_hash(key.as_str(), "s", 1),
                    Some((lat, lat)),
                );
                b.sends += 1;
            }
        }
        b.late_sends = late.min(b.sends);
        items.push(Recorded::Batch(Box::new(RecordedBatch {
            at: GameTime(tick * 1000 + 1000),
            batch: b,
        })));
    }
    ledger.record(&with_events(&scorer, items)).unwrap();
    let mut stored = ledger.events(&EventFilter::default()).unwrap();
    sort_events(&mut stored);
    let rebuilt = rescore(ledger.as_ref(), &scorer).unwrap();
    prop_assert_eq!(rebuilt, stored);
    Ok(())
}

/// What only the PostgreSQL ledger has: many games in one database, processes that start
/// one game together.
#[cfg(feature = "postgres")]
mod postgres_only {
    use scoreboard_ledger::PostgresLedger;

    use super::*;

    #[test]
    fn games_in_one_database_stay_apart() {
        let (a, b) = (
            PostgresStore::new("games_stay_apart"),
            PostgresStore::new("games_stay_apart"),
        );
        let mut ledger_a = a.open();
        ledger_a.start_or_resume(&meta(), 1).unwrap();
        let items = [(batch(1, 0, 0, &[(Outcome::Correct, 1)]), vec![])];
        assert_eq!(ledger_a.record(&items).unwrap(), 1);
        let mut ledger_b = b.open();
        assert_eq!(ledger_b.meta().unwrap(), None);
        assert!(ledger_b.causes().unwrap().is_empty());
        let other = GameMeta {
            name: "another".into(),
            ..meta()
        };
        assert!(!ledger_b.start_or_resume(&other, 2).unwrap().resumed);
        assert_eq!(
            ledger_b.record(&items).unwrap(),
            1,
            "b has a batch of its own"
        );
        assert_eq!(ledger_a.meta().unwrap().unwrap().name, "test game");
        let schema = a.connect().unwrap().schema().to_owned();
        assert_eq!(schema, format!("gameday_{}", a.game));
    }

    #[test]
    fn a_game_id_that_is_not_one_is_refused() {
        for bad in ["Spring Day", "", "a\"; DROP SCHEMA public; --"] {
            let err = PostgresLedger::connect(support::postgres::url(), bad)
                .err()
                .unwrap()
                .to_string();
            assert!(err.contains("lower-case letters, digits, - and _"), "{err}");
        }
    }

    #[test]
    fn processes_that_start_one_game_together_agree() {
        let store = PostgresStore::new("start_together");
        let starts: Vec<_> = (0..4)
            .map(|_| {
                let game = store.game.clone();
                std::thread::spawn(move || {
                    let url = support::postgres::url();
                    let mut ledger = PostgresLedger::connect(url, &game).unwrap();
                    ledger.start_or_resume(&meta(), 1_000).unwrap()
                })
            })
            .collect();
        let mut runs: Vec<_> = starts
            .into_iter()
            .map(|t| {
                let s = t.join().unwrap();
                assert_eq!(s.started_unix_ms, 1_000);
                (s.run, s.resumed)
            })
            .collect();
        runs.sort();
        assert_eq!(runs, [(1, false), (2, true), (3, true), (4, true)]);
        assert_eq!(store.schema_version(), 9);
    }

    #[test]
    fn a_server_error_says_what_went_wrong() {
        let store = PostgresStore::new("server_error");
        let ledger = store.connect().unwrap();
        let mut client =
            ::postgres::Client::connect(support::postgres::url(), ::postgres::NoTls).unwrap();
        client
            .batch_execute(&format!("DROP TABLE \"{}\".tokens", ledger.schema()))
            .unwrap();
        let err = ledger.token_hashes().unwrap_err().to_string();
        assert!(
            err.starts_with("ledger (PostgreSQL): db error") && err.contains("tokens"),
            "{err}"
        );
    }
}
