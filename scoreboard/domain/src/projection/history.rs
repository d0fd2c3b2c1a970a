//! Each team's health over the whole game (score, correct answers, errors by kind, p50/p99,
//! cost, billed instance time), for the debrief and the live charts: the last five minutes
//! at one bucket a second (what the live charts draw), older time at one bucket per
//! [`COARSE`]. Bounded: a team keeps at most [`MAX_FINE`] fine buckets and [`MAX_COARSE`]
//! coarse ones (past that, coarse neighbours merge and each covers twice the time).
//!
//! Why five minutes, not ten: the fine buckets are what a big game's memory grows by after
//! its start (32 bytes a team-second: ten minutes of 1,000 teams were 19 MB, the largest
//! part of the growth from minute 2 to 12 in docs/performance.md). Nothing draws older time at
//! a second: the board's charts draw five minutes, a team's "last ten minutes" chart draws
//! its older half a point per [`COARSE`] (20 points, the shape of a minute-long outage
//! kept), the race and the debrief draw the whole game at 240 to 300 points.
//!
//! The buckets are kept in chunks shared by reference count, so a copy of a history (the
//! projection the web's charts and debrief read, handed over by the game) shares every chunk
//! with the game's and costs a few pointers; the game copies only a chunk it then writes
//! into. A chunk stores each bucket's errors only when it has some: a bucket without errors
//! takes 32 bytes (a minute of a team that answers right 1.9 KiB, where it was 5.6 KiB), one
//! with errors 104.
//!
//! The answers that came after the game's end (requests in flight at the end, recorded in
//! the drain tick and placed at the end) are kept apart: in one bucket of their own, never
//! added to the last second as if it had answered them all.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use loadgen_outcome::{OutcomeCounts, OutcomeKind};

use crate::{Cents, GameTime, Points};

/// How long the history keeps one bucket a second: the live charts draw the last five
/// minutes a point a second ([`super::CHART_SECONDS`]).
pub const RECENT: Duration = Duration::from_secs(300);

/// The step of older history. A whole-game chart is about 1,000 pixels wide (the debrief's
/// and the board's race draw 240 and 300 points): a 2-hour game at 15 s is 480 buckets, more
/// than a chart draws, where 7,200 at one second were 24 for every point drawn. 15 s also
/// keeps the shape a team reads in a chart (a minute-long outage is four buckets) and
/// divides the billing block and every minute, so the folded buckets fall on round times.
pub const COARSE: Duration = Duration::from_secs(15);

/// Fine buckets a team keeps at most: the last five minutes, the minute being folded, and
/// a billing block's instance time ahead of the latest answer (15 minutes by default).
pub const MAX_FINE: usize = (RECENT.as_secs() as usize) + 2 * CHUNK + 900;

/// Coarse buckets a team keeps at most: 34 hours at 15 s; past that they merge pairwise.
pub const MAX_COARSE: usize = 8192;

/// Buckets in a chunk: a minute at one second.
const CHUNK: usize = 60;
pub(super) const FINE_MS: u64 = 1000;
const CHUNK_MS: u64 = CHUNK as u64 * FINE_MS;

/// How many kinds of error there are: every outcome kind but a correct answer.
pub const ERROR_COUNT: usize = OutcomeKind::ALL.len() - 1;

/// The error kinds, in the order [`Bucket::errors`] counts them: [`OutcomeKind::ALL`]
/// after `Correct`, which comes first there.
pub const ERROR_KINDS: [OutcomeKind; ERROR_COUNT] = {
    let mut kinds = [OutcomeKind::Correct; ERROR_COUNT];
    let mut i = 0;
    while i < ERROR_COUNT {
        kinds[i] = OutcomeKind::ALL[i + 1];
        i += 1;
    }
    kinds
};

/// What happened to one team within one bucket of game time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bucket {
    /// Points won or lost (milli-points).
    pub points: i64,
    pub correct: u32,
    /// Errors by kind, in [`ERROR_KINDS`] order.
    pub errors: [u32; ERROR_COUNT],
    /// The highest p50 and p99 of the batches that ended in it (milliseconds from due).
    pub p50_ms: u32,
    pub p99_ms: u32,
    /// Money charged for blocks that started in it.
    pub cost_cents: u32,
    /// Instance time billed within it (milliseconds, summed over instances).
    pub instance_ms: u32,
}

/// A run of buckets, shared between copies of a history until one of them writes into it.
type Chunk = Arc<Run>;

/// [`CHUNK`] buckets as stored: what each holds but its errors, and the errors of those that
/// have any, by their place in the run (most buckets have none: a team that answers right).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Run {
    rest: Vec<Rest>,
    errors: Vec<(u8, [u32; ERROR_COUNT])>,
}

/// A [`Bucket`] but its errors: 32 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Rest {
    points: i64,
    correct: u32,
    p50_ms: u32,
    p99_ms: u32,
    cost_cents: u32,
    instance_ms: u32,
}

impl Run {
    /// A run of empty buckets.
    fn empty() -> Run {
        Run {
            rest: vec![Rest::default(); CHUNK],
            errors: Vec::new(),
        }
    }

    /// The runs holding `buckets`, in order (the last filled up with empty buckets).
    fn of(buckets: &[Bucket]) -> Vec<Chunk> {
        buckets
            .chunks(CHUNK)
            .map(|c| {
                let mut run = Run::empty();
                for (i, b) in c.iter().enumerate() {
                    run.set(i, b);
                }
                Arc::new(run)
            })
            .collect()
    }

    /// Bucket `i`.
    fn get(&self, i: usize) -> Bucket {
        let r = self.rest[i];
        let errors = match self.errors.binary_search_by_key(&(i as u8), |e| e.0) {
            Ok(at) => self.errors[at].1,
            Err(_) => [0; ERROR_COUNT],
        };
        Bucket {
            points: r.points,
            correct: r.correct,
            errors,
            p50_ms: r.p50_ms,
            p99_ms: r.p99_ms,
            cost_cents: r.cost_cents,
            instance_ms: r.instance_ms,
        }
    }

    /// Stores `b` as bucket `i`.
    fn set(&mut self, i: usize, b: &Bucket) {
        self.rest[i] = Rest {
            points: b.points,
            correct: b.correct,
            p50_ms: b.p50_ms,
            p99_ms: b.p99_ms,
            cost_cents: b.cost_cents,
            instance_ms: b.instance_ms,
        };
        let any = b.errors.iter().any(|&e| e > 0);
        match (self.errors.binary_search_by_key(&(i as u8), |e| e.0), any) {
            (Ok(at), true) => self.errors[at].1 = b.errors,
            (Ok(at), false) => {
                self.errors.remove(at);
            }
            (Err(at), true) => self.errors.insert(at, (i as u8, b.errors)),
            (Err(_), false) => {}
        }
    }

    /// Changes bucket `i` with `change`.
    fn update(&mut self, i: usize, change: impl FnOnce(&mut Bucket)) {
        let mut b = self.get(i);
        change(&mut b);
        self.set(i, &b);
    }

    /// Every bucket, in order.
    fn buckets(&self) -> impl Iterator<Item = Bucket> + '_ {
        (0..CHUNK).map(|i| self.get(i))
    }
}

/// A team's live charts, as the snapshots share them: the score and p99 of the last
/// minutes, oldest first (see [`History::chart_window`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChartWindow {
    pub score: std::sync::Arc<[(GameTime, Points)]>,
    pub p99: std::sync::Arc<[(GameTime, Duration)]>,
}

/// One stored bucket and the game time it covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub from: GameTime,
    pub width: Duration,
    pub bucket: Bucket,
}

/// One team's buckets, oldest first, from game time 0: coarse up to `fine_from`, one a
/// second from there.
#[derive(Clone, Debug)]
pub struct History {
    /// Game time each coarse bucket covers ([`COARSE`], doubled past [`MAX_COARSE`]).
    coarse_ms: u64,
    /// Coarse buckets from game time 0 to `fine_from`, in chunks of [`CHUNK`].
    coarse: Vec<Chunk>,
    /// Where the fine buckets start (a whole minute).
    fine_from: u64,
    /// Fine buckets from `fine_from`, a chunk a minute.
    fine: VecDeque<Chunk>,
    /// The end of the latest bucket written into (what the history shows ends there).
    end_ms: u64,
    /// The latest answer or event seen: the fine buckets cover the [`RECENT`] before it.
    latest_ms: u64,
    /// The tick's length as the batches tell it (the longest `at / (tick + 1)` seen: a
    /// batch is placed at its tick's end, the last one and the drain's no later than the
    /// game's end), in ms; 0 until a batch came.
    tick_ms: u64,
    /// The answers of the ticks that began at or after the game's end.
    after_end: Bucket,
}

impl Default for History {
    fn default() -> Self {
        History {
            coarse_ms: COARSE.as_millis() as u64,
            coarse: Vec::new(),
            fine_from: 0,
            fine: VecDeque::new(),
            end_ms: 0,
            latest_ms: 0,
            tick_ms: 0,
            after_end: Bucket::default(),
        }
    }
}

impl History {
    /// Every stored bucket with the time it covers, oldest first, up to the latest written.
    pub fn spans(&self) -> impl Iterator<Item = Span> + '_ {
        let coarse_ms = self.coarse_ms;
        let coarse = self.coarse.iter().flat_map(|c| c.buckets());
        let coarse = (0..self.fine_from.div_ceil(coarse_ms))
            .zip(coarse)
            .map(move |(i, bucket)| Span {
                from: GameTime(i * coarse_ms),
                width: Duration::from_millis(coarse_ms),
                bucket,
            });
        let fine_from = self.fine_from;
        let fine = self.fine.iter().flat_map(|c| c.buckets()).enumerate();
        let fine = fine
            .map(move |(i, bucket)| (fine_from + i as u64 * FINE_MS, bucket))
            .take_while(|(at, _)| *at < self.end_ms)
            .map(|(at, bucket)| Span {
                from: GameTime(at),
                width: Duration::from_millis(FINE_MS),
                bucket,
            });
        coarse.filter(move |s| s.from.0 < self.end_ms).chain(fine)
    }

    /// Buckets a team's history stores at most in a game `game` long (32 to 104 bytes each:
    /// see the module's note).
    pub fn bound(game: Duration) -> usize {
        let secs = game.as_secs() as usize;
        let fine = secs.min(MAX_FINE).div_ceil(CHUNK) * CHUNK;
        let coarse = (secs.saturating_sub(RECENT.as_secs() as usize))
            .div_ceil(COARSE.as_secs() as usize)
            .min(MAX_COARSE);
        fine + coarse.div_ceil(CHUNK) * CHUNK
    }

    /// How many buckets it stores (32 to 104 bytes each).
    pub fn stored(&self) -> usize {
        (self.coarse.len() + self.fine.len()) * CHUNK
    }

    /// The points won or lost from the start up to `until`, its bucket included (as the
    /// charts count it).
    pub fn points_until(&self, until: GameTime) -> Points {
        Points(
            self.spans()
                .take_while(|s| s.from <= until)
                .map(|s| s.bucket.points)
                .sum(),
        )
    }

    /// The points won or lost in the buckets that begin after `cut` (all of them when
    /// `None`): the board's trend, `now` less its window. Exact to the second (an event is
    /// counted as at the start of its second); a cut before the fine buckets counts the
    /// coarse ones that begin after it.
    pub fn points_after(&self, cut: Option<GameTime>) -> Points {
        let coarse_ms = self.coarse_ms;
        let begins_after = |from: u64| cut.is_none_or(|c| from > c.0);
        let mut sum = 0;
        if cut.is_none_or(|c| c.0 < self.fine_from) {
            let coarse = self.coarse.iter().flat_map(|c| c.rest.iter());
            sum += (0..self.fine_from.div_ceil(coarse_ms))
                .zip(coarse)
                .filter(|(i, _)| begins_after(i * coarse_ms))
                .map(|(_, r)| r.points)
                .sum::<i64>();
        }
        // The first fine bucket that begins after the cut.
        let skip = cut.map_or(0, |c| {
            (c.0 + FINE_MS).saturating_sub(self.fine_from) / FINE_MS
        });
        let fine = self.fine.iter().flat_map(|c| c.rest.iter());
        sum += fine.skip(skip as usize).map(|r| r.points).sum::<i64>();
        Points(sum)
    }

    /// The live charts of the last `seconds` up to the latest answer or event, a point for
    /// each second that had any: the score at its end (counted back from `score`, the
    /// team's score now) and its p99 (for a second with answers). The fine buckets hold
    /// them already; the charts keep no window of their own.
    pub fn chart_window(&self, seconds: usize, score: Points) -> ChartWindow {
        let last = self.latest_ms / FINE_MS;
        let first = last
            .saturating_sub((seconds as u64).saturating_sub(1))
            .max(self.fine_from / FINE_MS);
        let fine = self.fine.iter().flat_map(|c| c.buckets());
        let skip = (first - self.fine_from / FINE_MS) as usize;
        let window: Vec<(u64, Bucket)> = (first..=last).zip(fine.skip(skip)).collect();
        let mut after = Points(0);
        let mut scores: Vec<(GameTime, Points)> = Vec::with_capacity(window.len());
        for (second, b) in window.iter().rev() {
            if b.points != 0 || b.answers() > 0 {
                scores.push((GameTime((second + 1) * FINE_MS), Points(score.0 - after.0)));
            }
            after += Points(b.points);
        }
        scores.reverse();
        let p99s = window
            .iter()
            .filter(|(_, b)| b.answers() > 0)
            .map(|(second, b)| {
                let at = GameTime((second + 1) * FINE_MS);
                (at, Duration::from_millis(u64::from(b.p99_ms)))
            })
            .collect();
        ChartWindow {
            score: scores.into(),
            p99: p99s,
        }
    }

    /// The answers that came after the game's end (the drain tick: requests in flight at
    /// the end), apart from the buckets: counted in the totals, drawn in no second.
    pub fn after_end(&self) -> &Bucket {
        &self.after_end
    }

    /// Takes in the batch of tick `tick`, placed at `at` (its tick's end, or the game's end
    /// for the last, partial tick and for the ticks after the end).
    pub fn add_batch(
        &mut self,
        at: GameTime,
        tick: u64,
        counts: &OutcomeCounts,
        p50: Duration,
        p99: Duration,
    ) {
        self.tick_ms = self.tick_ms.max(at.0 / (tick + 1));
        // A tick that begins at or after where it is placed began after the game's end: its
        // answers came in after the last second, which did not answer them.
        let add = |b: &mut Bucket| {
            b.correct = b
                .correct
                .saturating_add(clamp(counts.get(OutcomeKind::Correct)));
            for (slot, kind) in b.errors.iter_mut().zip(ERROR_KINDS) {
                *slot = slot.saturating_add(clamp(counts.get(kind)));
            }
            b.p50_ms = b.p50_ms.max(clamp(p50.as_millis() as u64));
            b.p99_ms = b.p99_ms.max(clamp(p99.as_millis() as u64));
        };
        if self.tick_ms > 0 && tick * self.tick_ms >= at.0 {
            add(&mut self.after_end);
        } else {
            self.seen(at.0);
            self.update(at.0, add);
        }
    }

    /// Takes in points won or lost at `at`.
    pub fn add_points(&mut self, at: GameTime, points: Points) {
        self.seen(at.0);
        self.update(at.0, |b| b.points += points.0);
    }

    /// Takes in a billing block charged at `at` for `price`, covering `length` of an
    /// instance's time from then.
    pub fn add_block(&mut self, at: GameTime, price: Cents, length: Duration) {
        let price = u32::try_from(price.0.max(0)).unwrap_or(u32::MAX);
        self.update(at.0, |b| b.cost_cents = b.cost_cents.saturating_add(price));
        let (mut from, to) = (at.0, at.0 + length.as_millis() as u64);
        while from < to {
            let width = if from < self.fine_from {
                self.coarse_ms
            } else {
                FINE_MS
            };
            let end = (from / width + 1) * width;
            let part = clamp(end.min(to) - from);
            self.update(from, |b| b.instance_ms = b.instance_ms.saturating_add(part));
            from = end.min(to);
        }
    }

    /// Notes that the game reached `ms`, and folds the minutes older than [`RECENT`] before
    /// it into coarse buckets.
    fn seen(&mut self, ms: u64) {
        self.latest_ms = self.latest_ms.max(ms);
        let recent = RECENT.as_millis() as u64;
        while self.fine_from + CHUNK_MS + recent <= self.latest_ms {
            let Some(chunk) = self.fine.pop_front() else {
                // Nothing written yet this far back: the fine buckets start later.
                self.fine_from = (self.latest_ms - recent) / CHUNK_MS * CHUNK_MS;
                self.fill_coarse_to(self.fine_from);
                break;
            };
            let from = self.fine_from;
            self.fine_from += CHUNK_MS;
            self.fill_coarse_to(self.fine_from);
            for (i, b) in chunk.buckets().enumerate() {
                self.update_coarse(from + i as u64 * FINE_MS, |c| *c = c.merged(&b));
            }
        }
    }

    /// Makes the coarse buckets reach `ms` (merging pairwise past [`MAX_COARSE`]).
    fn fill_coarse_to(&mut self, ms: u64) {
        while ms.div_ceil(self.coarse_ms) > MAX_COARSE as u64 {
            self.halve_coarse();
        }
        let wanted = ms.div_ceil(self.coarse_ms).div_ceil(CHUNK as u64) as usize;
        while self.coarse.len() < wanted {
            self.coarse.push(Arc::new(Run::empty()));
        }
    }

    /// Changes the coarse bucket that holds game time `ms` (before `fine_from`).
    fn update_coarse(&mut self, ms: u64, change: impl FnOnce(&mut Bucket)) {
        let i = (ms / self.coarse_ms) as usize;
        Arc::make_mut(&mut self.coarse[i / CHUNK]).update(i % CHUNK, change);
    }

    /// Changes the bucket that holds game time `ms`, made as needed.
    fn update(&mut self, ms: u64, change: impl FnOnce(&mut Bucket)) {
        let end = if ms < self.fine_from {
            ((ms / self.coarse_ms + 1) * self.coarse_ms).min(self.fine_from)
        } else {
            (ms / FINE_MS + 1) * FINE_MS
        };
        self.end_ms = self.end_ms.max(end);
        if ms < self.fine_from {
            return self.update_coarse(ms, change);
        }
        let i = ((ms - self.fine_from) / FINE_MS) as usize;
        while self.fine.len() <= i / CHUNK {
            self.fine.push_back(Arc::new(Run::empty()));
        }
        Arc::make_mut(&mut self.fine[i / CHUNK]).update(i % CHUNK, change);
    }

    /// Merges coarse neighbours: half as many buckets, each twice as long.
    fn halve_coarse(&mut self) {
        let all: Vec<Bucket> = self.coarse.iter().flat_map(|c| c.buckets()).collect();
        let merged: Vec<Bucket> = all
            .chunks(2)
            .map(|pair| pair.iter().fold(Bucket::default(), |a, b| a.merged(b)))
            .collect();
        self.coarse = Run::of(&merged);
        self.coarse_ms *= 2;
    }
}

impl Bucket {
    /// Both buckets as one: sums, and the higher latency.
    pub fn merged(&self, other: &Bucket) -> Bucket {
        let mut errors = self.errors;
        for (e, o) in errors.iter_mut().zip(other.errors) {
            *e = e.saturating_add(o);
        }
        Bucket {
            points: self.points + other.points,
            correct: self.correct.saturating_add(other.correct),
            errors,
            p50_ms: self.p50_ms.max(other.p50_ms),
            p99_ms: self.p99_ms.max(other.p99_ms),
            cost_cents: self.cost_cents.saturating_add(other.cost_cents),
            instance_ms: self.instance_ms.saturating_add(other.instance_ms),
        }
    }

    pub fn error_total(&self) -> u64 {
        self.errors.iter().map(|&e| u64::from(e)).sum()
    }

    /// Every answer and error in it.
    pub fn answers(&self) -> u64 {
        u64::from(self.correct) + self.error_total()
    }
}

fn clamp(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_is_96_bytes() {
        // 100 teams × 2 h at a bucket a second: 100 × 7,200 × 96 B ≈ 66 MiB at most.
        // (Seventeen error counts fill what was padding with sixteen.)
        assert_eq!(std::mem::size_of::<Bucket>(), 96);
        // Every kind but a correct answer has its count.
        assert!(!ERROR_KINDS.contains(&OutcomeKind::Correct));
    }

    #[test]
    fn a_bucket_without_errors_is_stored_in_a_third_of_the_room() {
        assert_eq!(std::mem::size_of::<Rest>(), 32);
        let mut run = Run::empty();
        let mut b = Bucket {
            points: -5,
            correct: 7,
            p50_ms: 1,
            p99_ms: 2,
            cost_cents: 3,
            instance_ms: 4,
            ..Bucket::default()
        };
        run.set(3, &b);
        assert!(run.errors.is_empty());
        assert_eq!(run.get(3), b);
        b.errors[2] = 9;
        run.set(59, &b);
        b.errors[0] = 1;
        run.set(0, &b);
        let at: Vec<u8> = run.errors.iter().map(|e| e.0).collect();
        assert_eq!(at, [0, 59]);
        assert_eq!(run.get(0), b);
        assert_eq!(run.get(59).errors[2], 9);
        assert_eq!(run.get(59).errors[0], 0);
        assert_eq!(run.get(3).error_total(), 0);
        // Errors that go back to none leave no entry.
        run.update(59, |b| b.errors = [0; ERROR_COUNT]);
        assert_eq!(run.errors.len(), 1);
        // A clean team's ten minutes hold no errors at all.
        let mut h = History::default();
        for s in 0..600 {
            h.add_batch(GameTime(s * 1000 + 999), s, &correct(3), ms(1), ms(2));
        }
        assert!(h.fine.iter().all(|c| c.errors.is_empty()));
        assert_eq!(u64::from(total(&h).correct), 1800);
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn total(h: &History) -> Bucket {
        h.spans()
            .fold(Bucket::default(), |a, s| a.merged(&s.bucket))
    }

    /// `seconds` of a team's game: a batch a second (3 correct, 1 timeout), a point a
    /// second, and a billing block every 15 minutes.
    fn played(seconds: u64) -> History {
        let mut h = History::default();
        let mut counts = OutcomeCounts::default();
        counts.add(OutcomeKind::Correct, 3);
        counts.add(OutcomeKind::Timeout, 1);
        for s in 0..seconds {
            h.add_batch(
                GameTime(s * 1000 + 999),
                s,
                &counts,
                Duration::from_millis(s % 7),
                Duration::from_millis(s % 100),
            );
            h.add_points(GameTime(s * 1000), Points(1000));
            if s % 900 == 0 {
                h.add_block(GameTime(s * 1000), Cents(800), Duration::from_secs(900));
            }
        }
        h
    }

    #[test]
    fn a_two_hour_game_keeps_a_bounded_history_and_loses_nothing_in_the_fold() {
        let seconds = 7200;
        let h = played(seconds);
        // 15-second buckets for all but the last five minutes (and the minute being folded):
        // 6,900 / 15 = 460 coarse, in chunks of 60; then a second a bucket.
        let coarse = h.spans().filter(|s| s.width == COARSE).count();
        let fine = h
            .spans()
            .filter(|s| s.width == Duration::from_secs(1))
            .count();
        assert_eq!(coarse * 15 + fine, 7200);
        assert!((300..=360).contains(&fine), "{fine} fine buckets");
        assert!(h.stored() <= History::bound(Duration::from_secs(seconds)));
        // Where 7,200 seconds at a bucket each were 7,200.
        assert!(h.stored() < 1500, "{} stored", h.stored());
        let t = total(&h);
        assert_eq!(u64::from(t.correct), 3 * seconds);
        assert_eq!(u64::from(t.errors[2]), seconds);
        assert_eq!(t.points, 1000 * seconds as i64);
        assert_eq!(t.p99_ms, 99);
        assert_eq!(u64::from(t.cost_cents), 800 * 8);
        assert_eq!(u64::from(t.instance_ms), 8 * 900_000);
        // The spans tile the game from 0 to its last second.
        let mut at = 0;
        for s in h.spans() {
            assert_eq!(s.from.0, at);
            at += s.width.as_millis() as u64;
        }
        assert_eq!(at, seconds * 1000);
        // A coarse bucket holds what its 15 seconds held.
        let first = h.spans().next().unwrap();
        assert_eq!(first.bucket.correct, 45);
        assert_eq!(first.bucket.points, 15_000);
        assert_eq!(first.bucket.instance_ms, 15_000);
        // The charts: the last five minutes a point a second; the last ten, the older half
        // a point per 15 s; the whole game in about 300.
        let now = GameTime(seconds * 1000);
        let recent = h.series(GameTime(now.0 - 300_000), now, 301);
        assert_eq!(recent.t.len(), 301);
        assert!(recent.correct_per_s[..300].iter().all(|&c| c == 3.0));
        let ten = h.series(GameTime(now.0 - 600_000), now, 601);
        assert!((316..=381).contains(&ten.t.len()), "{}", ten.t.len());
        assert!(
            ten.correct_per_s[..ten.t.len() - 1]
                .iter()
                .all(|&c| c == 3.0)
        );
        assert_eq!(ten.score.last(), Some(&(seconds as f64)));
        assert_eq!(recent.score.last(), Some(&(seconds as f64)));
        let whole = h.series(GameTime(0), now, 300);
        assert!((200..=300).contains(&whole.t.len()), "{}", whole.t.len());
        assert_eq!(whole.score.last(), Some(&(seconds as f64)));
        assert!(
            whole.correct_per_s[..whole.t.len() - 1]
                .iter()
                .all(|&c| c == 3.0)
        );
        assert_eq!(whole.cost.last(), Some(&64.0));
        assert_eq!(h.points_until(GameTime(59_999)), Points(60_000));
        assert_eq!(h.points_until(now), Points(7_200_000));
    }

    #[test]
    fn a_very_long_game_merges_its_coarse_buckets_and_keeps_the_totals() {
        let seconds = 40 * 3600;
        let h = played(seconds);
        assert!(h.stored() <= MAX_COARSE + MAX_FINE, "{}", h.stored());
        assert!(h.spans().any(|s| s.width == 2 * COARSE));
        let t = total(&h);
        assert_eq!(u64::from(t.correct), 3 * seconds);
        assert_eq!(t.points, 1000 * seconds as i64);
        assert_eq!(u64::from(t.instance_ms), seconds * 1000);
        let s = h.series(GameTime(0), GameTime(seconds * 1000), 100);
        assert!(s.t.len() <= 100 && s.t.len() >= 50, "{}", s.t.len());
        assert_eq!(*s.score.last().unwrap(), seconds as f64);
        assert_eq!(s.errors_per_s.len(), 1);
        assert_eq!(s.errors_per_s[0].0, "timeout");
        assert!((s.correct_per_s[10] - 3.0).abs() < 1e-9);
    }

    #[test]
    fn a_copy_shares_its_chunks_until_one_side_writes() {
        let h = played(7200);
        let mut game = h.clone();
        let chunks = |h: &History| -> Vec<*const Run> {
            h.coarse.iter().chain(&h.fine).map(Arc::as_ptr).collect()
        };
        assert_eq!(chunks(&h), chunks(&game));
        // The game goes on a second: only the chunk it writes into is copied.
        game.add_points(GameTime(7_200_500), Points(1));
        let (old, new) = (chunks(&h), chunks(&game));
        let shared = new.iter().filter(|c| old.contains(c)).count();
        assert!(shared + 2 >= new.len(), "{shared} of {} shared", new.len());
        assert_eq!(total(&h).points + 1, total(&game).points);
    }

    fn correct(n: u64) -> OutcomeCounts {
        let mut counts = OutcomeCounts::default();
        counts.add(OutcomeKind::Correct, n);
        counts
    }

    /// A game's batches as the game places them: tick n at its end, the last (maybe
    /// partial) one and the drain ticks after it at the game's end; 5 answers a tick, and
    /// `after` answers after the end, in two ticks (the single process keeps its tick clock
    /// running while the last answers come in).
    fn game(duration_ms: u64, tick_ms: u64, after: u64) -> History {
        let mut h = History::default();
        let ticks = duration_ms.div_ceil(tick_ms);
        let ms = Duration::from_millis;
        for tick in 0..ticks {
            let at = GameTime(((tick + 1) * tick_ms).min(duration_ms));
            h.add_batch(at, tick, &correct(5), ms(10), ms(20));
        }
        let mut timeouts = OutcomeCounts::default();
        timeouts.add(OutcomeKind::Timeout, 2);
        let end = GameTime(duration_ms);
        h.add_batch(end, ticks, &correct(after), ms(3000), ms(3900));
        h.add_batch(end, ticks + 1, &timeouts, ms(4000), ms(4000));
        h
    }

    #[test]
    fn answers_after_the_end_are_kept_apart_not_added_to_the_last_second() {
        for (duration, tick) in [(120_000, 1000), (120_000, 5000), (122_000, 5000)] {
            let h = game(duration, tick, 40);
            let last = h.spans().last().unwrap().bucket;
            assert_eq!(last.correct, 5, "{duration} ms by {tick} ms: {last:?}");
            assert_eq!(last.error_total(), 0);
            assert_eq!(
                last.p99_ms, 20,
                "the drain's latency is not the last second's"
            );
            assert_eq!(h.after_end().correct, 40);
            assert_eq!(h.after_end().errors[2], 2, "{:?}", h.after_end());
            assert_eq!(h.after_end().p99_ms, 4000);
            let total = h.spans().map(|s| s.bucket.correct).sum::<u32>();
            assert_eq!(u64::from(total), 5 * duration.div_ceil(tick));
        }
        // The charts: the last point is the last tick's rate, not a spike.
        let h = game(120_000, 1000, 40);
        let s = h.series(GameTime(0), GameTime(120_000), 240);
        assert_eq!(s.correct_per_s.last(), Some(&5.0), "{:?}", s.correct_per_s);
        assert!(s.errors_per_s.is_empty(), "{:?}", s.errors_per_s);
        assert_eq!(s.p99_ms.last(), Some(&20.0));
    }
}
