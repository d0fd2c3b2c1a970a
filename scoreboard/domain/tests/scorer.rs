//! Given outcome batches, billing blocks and adjustments, when they are scored, then these
//! events come out, with these reasons.

use std::time::Duration;

use hashref::{Key, unicorn_hash};
use loadgen_outcome::{BatchId, Outcome, OutcomeBatch, TlsFailure};
use scoreboard_domain::{
    Adjustment, BillingBlock, EventKind, GameTime, Points, RecordedBatch, Rules, ScoreEvent,
    Scorer, Source,
};

fn given_batch(outcomes: &[(Outcome, u64, Duration)]) -> RecordedBatch {
    let id = BatchId {
        run: 1,
        worker: 0,
        target: 3,
        tick: 41,
    };
    let mut batch = OutcomeBatch::new(id, "unicorns".into());
    for (outcome, n, latency) in outcomes {
        for i in 0..*n {
            let key = Key::from_groups([3615, 7184, 2117 + i as u16]);
            let expected = unicorn_hash(key.as_str(), "unicorn.rentals", 1);
            batch.record(outcome.clone(), key, expected, Some((*latency, *latency)));
            batch.sends += 1;
        }
    }
    RecordedBatch {
        at: GameTime(42_000),
        batch,
    }
}

fn when_scored(batch: &RecordedBatch) -> Vec<ScoreEvent> {
    Scorer::new(Rules::default()).unwrap().batch_events(batch)
}

fn lines(events: &[ScoreEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| format!("{} {} {}", e.points, e.source, e.reason))
        .collect()
}

const MS: Duration = Duration::from_millis(1);

#[test]
fn correct_answers_earn_points_with_their_p99() {
    let events = when_scored(&given_batch(&[(Outcome::Correct, 412, 1200 * MS)]));
    assert_eq!(
        lines(&events),
        ["+412 LoadGen 412 correct answers (p99 1.2 s)"]
    );
    assert_eq!(events[0].at, GameTime(42_000));
    assert_eq!(events[0].team, "unicorns");
    assert_eq!(events[0].cause, "batch:r1-k000041-w0-t3");
}

#[test]
fn slow_correct_answers_earn_less() {
    let events = when_scored(&given_batch(&[
        (Outcome::Correct, 10, 100 * MS),
        (Outcome::Correct, 4, 7 * 1000 * MS),
    ]));
    assert_eq!(
        lines(&events),
        [
            "+10 LoadGen 10 correct answers (p99 7.0 s)",
            "+1 LoadGen 4 correct answers slower than the 5.0 s SLA"
        ]
    );
}

#[test]
fn wrong_answers_cost_a_point_each_with_an_example() {
    let got = b"Yj2lQpX0wrongwrongwrongwrongwrongwrongwrong=".to_vec();
    let batch = given_batch(&[(Outcome::WrongAnswer { got }, 3, 10 * MS)]);
    let expected = unicorn_hash("3615-7184-2117", "unicorn.rentals", 1).to_string();
    let events = when_scored(&batch);
    assert_eq!(
        lines(&events),
        [format!(
            "-3 LoadGen 3 answers did not match, e.g. key 3615-7184-2117: got \"Yj2lQpX0…\", expected \"{}…\"",
            &expected[..8]
        )]
    );
}

#[test]
fn statuses_and_failures_say_what_happened() {
    let events = when_scored(&given_batch(&[
        (Outcome::HttpStatus(503), 25, 2 * MS),
        (Outcome::HttpStatus(500), 2, 2 * MS),
        (Outcome::Timeout, 4, 10_000 * MS),
        (
            Outcome::ConnectRefused {
                detail: "10.0.0.1:80: Connection refused".into(),
            },
            5,
            MS,
        ),
        (Outcome::Dropped, 30, MS),
    ]));
    assert_eq!(
        lines(&events),
        [
            "-1 LoadGen 2 × 500 Internal Server Error (your server failed)",
            "-12.5 LoadGen 25 × 503 Service Unavailable (your queue is full)",
            "-2 LoadGen 4 requests timed out (no full answer in time)",
            "-2.5 LoadGen 5 connections refused (is the server up?), e.g. 10.0.0.1:80: Connection refused",
            "-15 LoadGen 30 requests not sent: too many already in flight (your site was too slow to take them)",
        ]
    );
    let seqs: Vec<u32> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [0, 1, 2, 3, 4]);
}

#[test]
fn tls_failures_say_what_a_team_can_fix() {
    let tls = |failure, detail: &str| Outcome::Tls {
        failure,
        detail: detail.into(),
    };
    let events = when_scored(&given_batch(&[
        (
            tls(
                TlsFailure::Expired,
                "the certificate of api.team.example is out of its dates: renew it",
            ),
            10,
            MS,
        ),
        (
            tls(TlsFailure::HandshakeTimeout, "no finished TLS handshake"),
            2,
            MS,
        ),
        (
            tls(TlsFailure::TlsOnPlainPort, "this port serves http://"),
            1,
            MS,
        ),
    ]));
    assert_eq!(
        lines(&events),
        [
            "-5 LoadGen 10 TLS connections refused by us: your certificate has expired or is \
             not valid yet, e.g. the certificate of api.team.example is out of its dates: renew it",
            "-1 LoadGen 2 TLS handshakes not finished in time (is the port TLS? is the \
             terminator overloaded?)",
            "-0.5 LoadGen 1 TLS handshake sent to a port that speaks plain HTTP: register an \
             http:// URL, or put TLS in front",
        ]
    );
}

#[test]
fn broken_connections_and_bodies_say_what_happened() {
    let events = when_scored(&given_batch(&[
        (Outcome::ConnectTimeout, 3, 1_000 * MS),
        (
            Outcome::Reset {
                detail: "connection reset by peer".into(),
            },
            2,
            MS,
        ),
        (Outcome::TooLarge, 4, MS),
        (
            Outcome::Malformed {
                detail: "invalid HTTP version parsed".into(),
            },
            1,
            MS,
        ),
    ]));
    assert_eq!(
        lines(&events),
        [
            "-1.5 LoadGen 3 connections not accepted in time (security group, network ACL, or a full backlog?)",
            "-1 LoadGen 2 connections cut before the answer was complete, e.g. connection reset by peer",
            "-2 LoadGen 4 answers too large: body or headers past the cap (an answer is 44 bytes)",
            "-0.5 LoadGen 1 answer was not HTTP, e.g. invalid HTTP version parsed",
        ]
    );
}

#[test]
fn a_tick_where_the_engine_fell_behind_costs_nothing() {
    let mut batch = given_batch(&[
        (Outcome::Correct, 50, 10 * MS),
        (Outcome::HttpStatus(503), 50, MS),
    ]);
    batch.batch.late_sends = 20;
    let events = when_scored(&batch);
    assert_eq!(
        lines(&events),
        [
            "+50 LoadGen 50 correct answers (p99 10 ms)",
            "0 Engine tick 41 voided: our load generator fell behind (20.0 % of sends late); no points lost",
        ]
    );
    // Below the threshold (1 %) the tick counts as usual.
    batch.batch.late_sends = 1;
    assert_eq!(when_scored(&batch).len(), 2);
    assert!(
        when_scored(&batch)
            .iter()
            .all(|e| e.source == Source::LoadGen)
    );
}

#[test]
fn billing_blocks_and_adjustments() {
    let scorer = Scorer::new(Rules::default()).unwrap();
    let block = BillingBlock {
        team: "unicorns".into(),
        instance: "i-0abc123".into(),
        instance_type: "t2.micro".into(),
        block: 3,
        anchor: GameTime(0),
        at: GameTime(1_800_000),
    };
    let events = scorer.block_events(&block);
    assert_eq!(
        lines(&events),
        ["-400 Billing EC2 i-0abc123 (t2.micro) running: 15-minute block #3 started ($8)"]
    );
    assert_eq!(events[0].cause, "block:unicorns/i-0abc123/3");
    let adj = Adjustment {
        id: "a1".into(),
        at: GameTime(5),
        team: "unicorns".into(),
        points: Points::whole(100),
        reason: "best architecture diagram".into(),
        by: "admin".into(),
    };
    assert_eq!(
        lines(&scorer.adjustment_events(&adj)),
        ["+100 Organizer best architecture diagram (by admin)"]
    );
}

#[test]
fn the_same_batch_always_gives_the_same_events() {
    let batch = given_batch(&[
        (Outcome::Correct, 7, 30 * MS),
        (Outcome::Reset { detail: "x".into() }, 1, MS),
    ]);
    assert_eq!(when_scored(&batch), when_scored(&batch));
    let cheap = Rules {
        reset: Points(0),
        ..Rules::default()
    };
    let rescored = Scorer::new(cheap).unwrap().batch_events(&batch);
    assert_eq!(rescored[1].points, Points(0));
}

#[test]
fn each_event_says_what_it_is_about_and_how_many_outcomes_it_counts() {
    let events = when_scored(&given_batch(&[
        (Outcome::Correct, 10, 100 * MS),
        (Outcome::Correct, 4, 7 * 1000 * MS),
        (Outcome::WrongAnswer { got: b"x".to_vec() }, 2, MS),
        (Outcome::HttpStatus(503), 3, MS),
        (Outcome::HttpStatus(500), 1, MS),
        (Outcome::Timeout, 5, MS),
        (
            Outcome::Tls {
                failure: TlsFailure::WrongHost,
                detail: "for another host".into(),
            },
            1,
            MS,
        ),
    ]));
    let kinds: Vec<(String, u64)> = events
        .iter()
        .map(|e| (e.kind.name().into_owned(), e.count))
        .collect();
    let expected = [
        ("correct", 10),
        ("correct_slow", 4),
        ("wrong_answer", 2),
        ("http_500", 1),
        ("http_503", 3),
        ("timeout", 5),
        ("tls_wrong_host", 1),
    ];
    assert_eq!(
        kinds,
        expected.map(|(k, n)| (k.to_owned(), n)),
        "{:?}",
        lines(&events)
    );
    assert_eq!(
        events[4].reason,
        "3 × 503 Service Unavailable (your queue is full)"
    );
    assert_eq!(events[4].kind, EventKind::Status(503));

    let scorer = Scorer::new(Rules::default()).unwrap();
    let block = BillingBlock {
        team: "unicorns".into(),
        instance: "i-1".into(),
        instance_type: "t2.micro".into(),
        block: 1,
        anchor: GameTime(0),
        at: GameTime(0),
    };
    let billed = &scorer.block_events(&block)[0];
    assert_eq!((billed.kind, billed.count), (EventKind::Billing, 1));
    let mut late = given_batch(&[(Outcome::HttpStatus(503), 50, MS)]);
    late.batch.late_sends = 20;
    let voided = &when_scored(&late)[0];
    assert_eq!((voided.kind, voided.count), (EventKind::Void, 1));
}
