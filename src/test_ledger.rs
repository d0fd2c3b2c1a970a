//! A small real game in a SQLite ledger, for the library's unit tests: two teams (alpha,
//! bravo), three ticks of batches each with one 503, and a billing block for bravo; more
//! ticks on demand.

use std::path::Path;

use loadgen::{BatchId, Outcome, OutcomeBatch};
use scoreboard_domain::{BillingBlock, GameTime, Rules, Scorer};
use scoreboard_ledger::{GameMeta, Recorded, RecordedBatch, SqliteLedger, prelude::*};

/// Writes the small game into a new ledger at `path`.
pub fn small_game(path: &Path) {
    let mut ledger = SqliteLedger::open(path).unwrap();
    let rules = Rules::default();
    let meta = GameMeta {
        name: "small".into(),
        seed: 1,
        rules: rules.clone(),
        teams: vec!["alpha".into(), "bravo".into()],
        registering: Vec::new(),
        duration_ms: 0,
    };
    ledger.start_or_resume(&meta, 0).unwrap();
    let scorer = Scorer::new(rules).unwrap();
    let mut items = Vec::new();
    for tick in 0..3u64 {
        items.extend(tick_batches(tick));
    }
    items.push(Recorded::Block(BillingBlock {
        team: "bravo".into(),
        instance: "i-0abc".into(),
        instance_type: "t2.micro".into(),
        block: 1,
        anchor: GameTime(0),
        at: GameTime(0),
    }));
    record(&mut ledger, &scorer, items);
}

/// Records one more tick of both teams' batches in the small game at `path`.
pub fn record_tick(path: &Path, tick: u64) {
    let mut ledger = SqliteLedger::open(path).unwrap();
    let scorer = Scorer::new(Rules::default()).unwrap();
    record(&mut ledger, &scorer, tick_batches(tick));
}

/// A tick's batches: alpha 10 correct answers and a 503, bravo 11 and a 503.
fn tick_batches(tick: u64) -> Vec<Recorded> {
    let mut items = Vec::new();
    for (t, team) in ["alpha", "bravo"].iter().enumerate() {
        let id = BatchId {
            run: 1,
            worker: 0,
            target: t as u32,
            tick,
        };
        let mut b = OutcomeBatch::new(id, (*team).into());
        let key = hashref::Key::from_groups([1, 2, 3]);
        let answer = hashref::unicorn_hash(key.as_str(), "s", 1);
        let lat = std::time::Duration::from_millis(20);
        for _ in 0..(10 + t) {
            b.record(Outcome::Correct, key, answer, Some((lat, lat)));
        }
        b.record(Outcome::HttpStatus(503), key, answer, Some((lat, lat)));
        let at = GameTime((tick + 1) * 60_000);
        items.push(Recorded::Batch(Box::new(RecordedBatch { at, batch: b })));
    }
    items
}

fn record(ledger: &mut SqliteLedger, scorer: &Scorer, items: Vec<Recorded>) {
    let with: Vec<_> = items
        .into_iter()
        .map(|r| {
            let e = scorer.events(&r);
            (r, e)
        })
        .collect();
    ledger.record(&with).unwrap();
}
