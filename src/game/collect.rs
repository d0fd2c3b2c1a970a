//! The coordinator's side of a game split over load workers: it gathers each tick's
//! segment batches from the shared ledger and scores the tick once every segment's batch
//! has arrived, or after a grace period. A segment still missing then has its share voided
//! with a 0-point `Engine` event: a lost worker never costs a team points.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use loadgen::{BatchId, OutcomeBatch};
use scoreboard::{Ledger, Recorded, RecordedBatch, SegmentVoid};

use super::clock::TickClock;
use super::error::GameError;

/// Segment batches read from the ledger per query.
const READ: usize = 5_000;

/// One tick of one run, waiting for its segments.
struct Pending {
    /// Each team's batches, by segment.
    parts: Vec<BTreeMap<u32, OutcomeBatch>>,
    /// When it is scored with whatever has arrived.
    deadline: Option<Instant>,
}

/// Gathers and scores the ticks of external load workers.
pub(crate) struct Collector {
    teams: Vec<Arc<str>>,
    clock: TickClock,
    grace: Duration,
    /// How long the answers after the end may take (the request timeout).
    drain: Duration,
    /// Segments the game is split into, once a worker has said.
    segments: Option<u32>,
    cursor: u64,
    pending: BTreeMap<(u64, u64), Pending>,
    scored: HashSet<(u64, u64)>,
    /// The run under way and the next of its ticks not yet expected.
    current: Option<(u64, u64)>,
    /// Batches that came after their tick was scored (kept in the ledger, not scored).
    pub(crate) late: u64,
}

impl Collector {
    pub(crate) fn new(
        teams: &[String],
        clock: TickClock,
        grace: Duration,
        drain: Duration,
    ) -> Self {
        Collector {
            teams: teams.iter().map(|t| Arc::from(t.as_str())).collect(),
            clock,
            grace,
            drain,
            segments: None,
            cursor: 0,
            pending: BTreeMap::new(),
            scored: HashSet::new(),
            current: None,
            late: 0,
        }
    }

    /// A tick a previous run of the coordinator scored already (a resumed game).
    pub(crate) fn mark_scored(&mut self, run: u64, tick: u64) {
        self.scored.insert((run, tick));
    }

    /// A run of the game begins at game time `offset` (the start, a resume).
    pub(crate) fn begin_run(&mut self, run: u64, offset: Duration) {
        self.current = Some((run, self.tick_of(offset)));
    }

    /// The run under way stops at game time `at` (a pause, the end): its ticks up to `at`
    /// are expected, the last one maybe partial.
    /// At the game's end, the drain tick after the last is expected too: each segment's
    /// answers that came after the end, which take up to the request timeout.
    pub(crate) fn end_run(&mut self, at: Duration) {
        let Some((run, next)) = self.current.take() else {
            return;
        };
        let last = self.tick_of(at.saturating_sub(Duration::from_millis(1)));
        let deadline = Instant::now() + self.grace;
        for tick in next..=last {
            self.expect(run, tick, deadline);
        }
        if at >= self.clock.duration() {
            let drain = self.clock.drain_tick();
            if !self.scored.contains(&(run, drain)) {
                self.expect(run, drain, deadline);
                let pending = self
                    .pending
                    .get_mut(&(run, drain))
                    .expect("expected just now");
                pending.deadline = Some(deadline + self.drain);
            }
        }
    }

    /// Ticks still waiting for segments.
    pub(crate) fn waiting(&self) -> usize {
        self.pending.len()
    }

    /// Reads what the workers wrote since the last call, and scores every tick that is
    /// complete or past its grace: the merged batches and voids, for the core to score.
    pub(crate) fn poll(
        &mut self,
        ledger: &mut dyn Ledger,
        now: Duration,
    ) -> Result<Vec<Recorded>, GameError> {
        self.read(ledger)?;
        if let Some((run, next)) = self.current {
            let ended = self.tick_of(now.min(self.clock.duration()));
            let deadline = Instant::now() + self.grace;
            for tick in next..ended {
                self.expect(run, tick, deadline);
            }
            self.current = Some((run, next.max(ended)));
        }
        let now_wall = Instant::now();
        let ready: Vec<(u64, u64)> = self
            .pending
            .iter()
            .filter(|(_, p)| self.complete(p) || p.deadline.is_some_and(|d| d <= now_wall))
            .map(|(key, _)| *key)
            .collect();
        let mut items = Vec::new();
        for key in ready {
            let pending = self.pending.remove(&key).expect("listed just now");
            self.scored.insert(key);
            items.extend(self.merge(key, pending));
        }
        Ok(items)
    }

    fn read(&mut self, ledger: &mut dyn Ledger) -> Result<(), GameError> {
        if self.segments.is_none() {
            self.segments = ledger.workers()?.first().map(|w| w.segment.count());
        }
        loop {
            let batches = ledger.segment_batches_after(self.cursor, READ)?;
            let n = batches.len();
            for b in batches {
                self.cursor = self.cursor.max(b.seq);
                self.place(b.recorded.batch);
            }
            if n < READ {
                return Ok(());
            }
        }
    }

    /// Files a worker's batch under its tick, unless that tick was scored already.
    fn place(&mut self, batch: OutcomeBatch) {
        let key = (batch.id.run, batch.id.tick);
        let team = batch.id.target as usize;
        if self.scored.contains(&key) || team >= self.teams.len() {
            self.late += 1;
            return;
        }
        let teams = self.teams.len();
        let pending = self.pending.entry(key).or_insert_with(|| Pending {
            parts: vec![BTreeMap::new(); teams],
            deadline: None,
        });
        // A tick seen only in batches (a worker's clock a little ahead of ours) still ends.
        pending
            .deadline
            .get_or_insert_with(|| Instant::now() + self.grace * 2);
        pending.parts[team].insert(batch.id.worker, batch);
    }

    fn expect(&mut self, run: u64, tick: u64, deadline: Instant) {
        if self.scored.contains(&(run, tick)) {
            return;
        }
        let teams = self.teams.len();
        let pending = self.pending.entry((run, tick)).or_insert_with(|| Pending {
            parts: vec![BTreeMap::new(); teams],
            deadline: None,
        });
        pending.deadline = Some(pending.deadline.map_or(deadline, |d| d.min(deadline)));
    }

    fn complete(&self, pending: &Pending) -> bool {
        self.segments.is_some_and(|n| {
            pending
                .parts
                .iter()
                .all(|p| (0..n).all(|s| p.contains_key(&s)))
        })
    }

    /// Each team's merged batch for the tick, and a void for the segments that are missing.
    fn merge(&self, (run, tick): (u64, u64), pending: Pending) -> Vec<Recorded> {
        let at = self.clock.batch_at(tick);
        let mut items = Vec::new();
        for (team, parts) in pending.parts.into_iter().enumerate() {
            let id = BatchId {
                run,
                worker: 0,
                target: team as u32,
                tick,
            };
            let mut merged = OutcomeBatch::new(id, self.teams[team].clone());
            for part in parts.values() {
                merged.merge(part);
            }
            let segments = self.segments.unwrap_or(0);
            let missing: Vec<u32> = (0..segments).filter(|s| !parts.contains_key(s)).collect();
            items.push(Recorded::Batch(Box::new(RecordedBatch {
                at,
                batch: merged,
            })));
            if segments == 0 || !missing.is_empty() {
                items.push(Recorded::Void(SegmentVoid {
                    at,
                    team: self.teams[team].to_string(),
                    run,
                    tick,
                    segments,
                    missing,
                }));
            }
        }
        items
    }

    fn tick_of(&self, t: Duration) -> u64 {
        self.clock.tick_of(t)
    }
}
