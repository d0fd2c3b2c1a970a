//! The coordinator's side of a game split over load workers, without I/O: the shell reads
//! the workers' segment batches off the game loop and hands them in as a [`SegmentRead`];
//! the collector scores a tick once every segment's batch has arrived, or after a grace
//! period. A segment still missing then has its share voided with a 0-point `Engine` event:
//! a lost worker never costs a team points.
//!
//! The grace runs on the ledger's reads, not on the wall clock: each read says when it
//! began, and the collector's clock moves by at most [`STEP_MAX`] a read. A ledger that stops
//! answering stops that clock too, so its workers' batches, written once it answers again,
//! still count (a database's stall is ours, not a lost worker).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use loadgen::{BatchId, OutcomeBatch};
use scoreboard_domain::SegmentVoid;
use scoreboard_ledger::{Recorded, RecordedBatch};

use super::clock::TickClock;

/// The most one read moves the collector's clock: a little more than the reader's period
/// (200 ms), so that after a stall the workers' backlog has most of its grace to arrive.
pub(crate) const STEP_MAX: Duration = Duration::from_millis(500);

/// What one read of the ledger found: the workers' batches written since the last read, the
/// number of segments once a worker has said, and when the read began (time since the
/// shell's epoch: only its differences count).
#[derive(Debug)]
pub(crate) struct SegmentRead {
    pub(crate) as_of: Duration,
    pub(crate) segments: Option<u32>,
    pub(crate) batches: Vec<OutcomeBatch>,
}

/// One tick of one run, waiting for its segments.
struct Pending {
    /// Each team's batches, by segment.
    parts: Vec<BTreeMap<u32, OutcomeBatch>>,
    /// When, on the collector's clock, it is scored with whatever has arrived.
    deadline: Option<Duration>,
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
    /// The collector's clock (moved by reads), and when the last read began.
    now: Duration,
    last_read: Option<Duration>,
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
            now: Duration::ZERO,
            last_read: None,
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
        let deadline = self.now + self.grace;
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

    /// The game clock stands at `now`: the ticks before it are expected.
    pub(crate) fn look(&mut self, now: Duration) {
        if let Some((run, next)) = self.current {
            let ended = self.tick_of(now.min(self.clock.duration()));
            let deadline = self.now + self.grace;
            for tick in next..ended {
                self.expect(run, tick, deadline);
            }
            self.current = Some((run, next.max(ended)));
        }
    }

    /// Takes in what a read found, and scores every tick that is complete or past its
    /// grace: the merged batches and voids, for the core to score.
    pub(crate) fn read(&mut self, read: SegmentRead) -> Vec<Recorded> {
        let step = self
            .last_read
            .map_or(Duration::ZERO, |last| read.as_of.saturating_sub(last));
        self.now += step.min(STEP_MAX);
        self.last_read = Some(self.last_read.map_or(read.as_of, |l| l.max(read.as_of)));
        if self.segments.is_none() {
            self.segments = read.segments;
        }
        for batch in read.batches {
            self.place(batch);
        }
        let ready: Vec<(u64, u64)> = self
            .pending
            .iter()
            .filter(|(_, p)| self.complete(p) || p.deadline.is_some_and(|d| d <= self.now))
            .map(|(key, _)| *key)
            .collect();
        let mut items = Vec::new();
        for key in ready {
            let pending = self.pending.remove(&key).expect("listed just now");
            self.scored.insert(key);
            items.extend(self.merge(key, pending));
        }
        items
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
        pending.deadline.get_or_insert(self.now + self.grace * 2);
        pending.parts[team].insert(batch.id.worker, batch);
    }

    fn expect(&mut self, run: u64, tick: u64, deadline: Duration) {
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

#[cfg(test)]
mod tests {
    use super::*;

    const TEAMS: [&str; 2] = ["alpha", "bravo"];
    const GRACE: Duration = Duration::from_secs(2);

    /// A 10-second game of 1-second ticks, run 1 under way from 0.
    fn collector() -> Collector {
        let teams = TEAMS.map(String::from);
        let clock = TickClock::new(Duration::from_secs(1), Duration::from_secs(10));
        let mut c = Collector::new(&teams, clock, GRACE, Duration::from_secs(1));
        c.begin_run(1, Duration::ZERO);
        c
    }

    fn batch(segment: u32, team: u32, tick: u64) -> OutcomeBatch {
        let id = BatchId {
            run: 1,
            worker: segment,
            target: team,
            tick,
        };
        let mut b = OutcomeBatch::new(id, Arc::from(TEAMS[team as usize]));
        b.sends = 1;
        b
    }

    /// Every team's batch of `tick` from `segment`.
    fn segment(segment: u32, tick: u64) -> Vec<OutcomeBatch> {
        (0..TEAMS.len() as u32)
            .map(|t| batch(segment, t, tick))
            .collect()
    }

    fn read(ms: u64, batches: Vec<OutcomeBatch>) -> SegmentRead {
        SegmentRead {
            as_of: Duration::from_millis(ms),
            segments: Some(2),
            batches,
        }
    }

    fn voids(items: &[Recorded]) -> Vec<(String, u64, Vec<u32>)> {
        items
            .iter()
            .filter_map(|r| match r {
                Recorded::Void(v) => Some((v.team.clone(), v.tick, v.missing.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_tick_is_scored_once_every_segment_is_in_merged_per_team() {
        let mut c = collector();
        c.look(Duration::from_millis(1_500));
        assert!(c.read(read(0, segment(0, 0))).is_empty());
        let items = c.read(read(200, segment(1, 0)));
        let sends: Vec<(u64, u64)> = items
            .iter()
            .filter_map(|r| match r {
                Recorded::Batch(b) => Some((b.batch.id.tick, b.batch.sends)),
                _ => None,
            })
            .collect();
        assert_eq!(sends, [(0, 2), (0, 2)], "{items:?}");
        assert!(voids(&items).is_empty());
        assert_eq!(c.waiting(), 0);
        // A copy read again (a worker's retried write) is late, never scored twice.
        assert!(c.read(read(400, segment(1, 0))).is_empty());
        assert_eq!(c.late, 2);
    }

    #[test]
    fn a_missing_segment_is_voided_after_the_grace_on_the_reads_clock() {
        let mut c = collector();
        c.look(Duration::from_millis(1_100));
        assert!(c.read(read(0, segment(0, 0))).is_empty());
        // Reads every 500 ms: the grace (2 s) is up at the fourth.
        for ms in [500, 1_000, 1_500] {
            assert!(c.read(read(ms, Vec::new())).is_empty(), "at {ms}");
        }
        let items = c.read(read(2_000, Vec::new()));
        let expected: Vec<(String, u64, Vec<u32>)> =
            TEAMS.iter().map(|t| (t.to_string(), 0, vec![1])).collect();
        assert_eq!(voids(&items), expected);
    }

    #[test]
    fn a_ledger_that_stops_answering_stops_the_grace_and_late_batches_still_count() {
        let mut c = collector();
        c.look(Duration::from_millis(1_100));
        assert!(c.read(read(0, segment(0, 0))).is_empty());
        // The game clock goes on while no read answers for 10 s...
        c.look(Duration::from_millis(9_000));
        // ...and the first read after it moves the collector's clock by one step only.
        assert!(c.read(read(10_000, Vec::new())).is_empty());
        let items = c.read(read(10_200, segment(1, 0)));
        assert!(voids(&items).is_empty(), "{items:?}");
        assert_eq!(items.len(), TEAMS.len());
        // The ticks expected during the stall had used none of their grace: it runs out
        // 2 s of reads after the stall (each read counting at most half a second).
        assert_eq!(c.waiting(), 8);
        for ms in [10_700, 11_200] {
            assert!(voids(&c.read(read(ms, Vec::new()))).is_empty(), "at {ms}");
        }
        let items = c.read(read(11_700, Vec::new()));
        assert_eq!(voids(&items).len(), 8 * TEAMS.len());
    }

    #[test]
    fn the_end_waits_for_the_drain_tick_a_request_timeout_longer() {
        let mut c = collector();
        c.end_run(Duration::from_secs(10));
        // Ticks 0..=9, and the drain tick 10.
        assert_eq!(c.waiting(), 11);
        for ms in (0..=2_000).step_by(500) {
            c.read(read(ms, Vec::new()));
        }
        assert_eq!(
            c.waiting(),
            1,
            "the last ticks' grace is up, the drain's is not"
        );
        c.read(read(2_500, Vec::new()));
        c.read(read(3_000, Vec::new()));
        assert_eq!(c.waiting(), 0);
    }
}
