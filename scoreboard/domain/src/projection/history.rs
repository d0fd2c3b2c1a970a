//! Each team's health over the whole game, one bucket per second of game time (score,
//! correct answers, errors by kind, p50/p99, cost, billed instance time), for the debrief
//! and the live charts. Bounded: past [`MAX_BUCKETS`] buckets, neighbours merge and each
//! bucket covers twice the time, so a team never holds more than 96 B × [`MAX_BUCKETS`].
//! The answers that came after the game's end (requests in flight at the end, recorded in
//! the drain tick and placed at the end) are kept apart: in one bucket of their own, never
//! added to the last second as if it had answered them all.

use std::time::Duration;

use loadgen_outcome::{OutcomeCounts, OutcomeKind};

use crate::{Cents, GameTime, Points};

/// Buckets a team keeps at most: 2 h 16 min at one second each, ≈ 768 KiB.
pub const MAX_BUCKETS: usize = 8192;

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

/// One team's buckets, oldest first, from game time 0.
#[derive(Clone, Debug)]
pub struct History {
    /// Game time each bucket covers.
    width_ms: u64,
    buckets: Vec<Bucket>,
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
            width_ms: 1000,
            buckets: Vec::new(),
            tick_ms: 0,
            after_end: Bucket::default(),
        }
    }
}

impl History {
    /// How much game time each bucket covers.
    pub fn width(&self) -> Duration {
        Duration::from_millis(self.width_ms)
    }

    pub fn buckets(&self) -> &[Bucket] {
        &self.buckets
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
        let b = if self.tick_ms > 0 && tick * self.tick_ms >= at.0 {
            &mut self.after_end
        } else {
            self.bucket_mut(at.0)
        };
        b.correct = b
            .correct
            .saturating_add(clamp(counts.get(OutcomeKind::Correct)));
        for (slot, kind) in b.errors.iter_mut().zip(ERROR_KINDS) {
            *slot = slot.saturating_add(clamp(counts.get(kind)));
        }
        b.p50_ms = b.p50_ms.max(clamp(p50.as_millis() as u64));
        b.p99_ms = b.p99_ms.max(clamp(p99.as_millis() as u64));
    }

    /// Takes in points won or lost at `at`.
    pub fn add_points(&mut self, at: GameTime, points: Points) {
        self.bucket_mut(at.0).points += points.0;
    }

    /// Takes in a billing block charged at `at` for `price`, covering `length` of an
    /// instance's time from then.
    pub fn add_block(&mut self, at: GameTime, price: Cents, length: Duration) {
        let b = self.bucket_mut(at.0);
        b.cost_cents = b
            .cost_cents
            .saturating_add(u32::try_from(price.0.max(0)).unwrap_or(u32::MAX));
        let (mut from, to) = (at.0, at.0 + length.as_millis() as u64);
        while from < to {
            let end = (from / self.width_ms + 1) * self.width_ms;
            let part = end.min(to) - from;
            let b = self.bucket_mut(from);
            b.instance_ms = b.instance_ms.saturating_add(clamp(part));
            from = end.min(to);
        }
    }

    /// The bucket that holds game time `ms`, made (and older ones merged) as needed.
    fn bucket_mut(&mut self, ms: u64) -> &mut Bucket {
        while ms / self.width_ms >= MAX_BUCKETS as u64 {
            self.halve();
        }
        let i = (ms / self.width_ms) as usize;
        if i >= self.buckets.len() {
            self.buckets.resize(i + 1, Bucket::default());
        }
        &mut self.buckets[i]
    }

    /// Merges neighbours: half as many buckets, each twice as long.
    fn halve(&mut self) {
        self.buckets = self
            .buckets
            .chunks(2)
            .map(|pair| pair.iter().fold(Bucket::default(), |a, b| a.merged(b)))
            .collect();
        self.width_ms *= 2;
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
}

fn clamp(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A team's history redrawn at a coarser step for a chart: one point per group of buckets
/// from `from` to `to` (both included), rates per second and running totals.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Series {
    /// Each point's time (the start of its last bucket), in game seconds.
    pub t: Vec<f64>,
    /// Score (points) at each point's end.
    pub score: Vec<f64>,
    pub correct_per_s: Vec<f64>,
    /// Errors a second by kind name, only the kinds that happened.
    pub errors_per_s: Vec<(String, Vec<f64>)>,
    /// The highest p50 and p99 within each point; NaN (`null` in JSON: a gap in a chart)
    /// where nothing was answered.
    pub p50_ms: Vec<f64>,
    pub p99_ms: Vec<f64>,
    /// Instances billed on average within each point.
    pub instances: Vec<f64>,
    /// Dollars charged so far.
    pub cost: Vec<f64>,
}

impl History {
    /// The series from `from` to `to` at about `points` points (at least one bucket each).
    pub fn series(&self, from: GameTime, to: GameTime, points: usize) -> Series {
        let width = self.width_ms;
        let first = (from.0 / width) as usize;
        let last = (to.0 / width) as usize + 1;
        let per = (last - first).div_ceil(points.max(1)).max(1);
        let mut s = Series::default();
        let mut errors = vec![Vec::new(); ERROR_KINDS.len()];
        let (mut score, mut cost) = (0i64, 0i64);
        for b in &self.buckets[..first.min(self.buckets.len())] {
            score += b.points;
            cost += i64::from(b.cost_cents);
        }
        let mut at = first;
        while at < last {
            let end = (at + per).min(last);
            let slice = self
                .buckets
                .get(at..end.min(self.buckets.len()))
                .unwrap_or(&[]);
            let b = slice.iter().fold(Bucket::default(), |a, b| a.merged(b));
            let secs = ((end - at) as u64 * width) as f64 / 1000.0;
            score += b.points;
            cost += i64::from(b.cost_cents);
            s.t.push(((end - 1) as u64 * width) as f64 / 1000.0);
            s.score.push(score as f64 / 1000.0);
            s.correct_per_s.push(f64::from(b.correct) / secs);
            for (e, n) in errors.iter_mut().zip(b.errors) {
                e.push(f64::from(n) / secs);
            }
            let answered = b.correct > 0 || b.error_total() > 0;
            let latency = |ms: u32| if answered { f64::from(ms) } else { f64::NAN };
            s.p50_ms.push(latency(b.p50_ms));
            s.p99_ms.push(latency(b.p99_ms));
            s.instances.push(f64::from(b.instance_ms) / 1000.0 / secs);
            s.cost.push(cost as f64 / 100.0);
            at = end;
        }
        s.errors_per_s = ERROR_KINDS
            .iter()
            .zip(errors)
            .filter(|(_, v)| v.iter().any(|&x| x > 0.0))
            .map(|(k, v)| (k.name().to_owned(), v))
            .collect();
        s
    }
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
    fn buckets_merge_past_the_bound_and_keep_the_totals() {
        let mut h = History::default();
        let mut counts = OutcomeCounts::default();
        counts.add(OutcomeKind::Correct, 3);
        counts.add(OutcomeKind::Timeout, 1);
        for s in 0..20_000u64 {
            h.add_batch(
                GameTime(s * 1000 + 999),
                s,
                &counts,
                Duration::from_millis(s % 7),
                Duration::from_millis(s % 100),
            );
            h.add_points(GameTime(s * 1000), Points(1000));
        }
        h.add_block(GameTime(500), Cents(800), Duration::from_secs(900));
        assert!(h.buckets().len() <= MAX_BUCKETS);
        assert_eq!(h.width(), Duration::from_secs(4));
        let total = h
            .buckets()
            .iter()
            .fold(Bucket::default(), |a, b| a.merged(b));
        assert_eq!(total.correct, 60_000);
        assert_eq!(total.errors[2], 20_000);
        assert_eq!(total.points, 20_000_000);
        assert_eq!(total.p99_ms, 99);
        assert_eq!(total.instance_ms, 900_000);
        assert_eq!(total.cost_cents, 800);
        let s = h.series(GameTime(0), GameTime(20_000_000), 100);
        assert!(s.t.len() <= 100 && s.t.len() >= 50, "{}", s.t.len());
        assert_eq!(*s.score.last().unwrap(), 20_000.0);
        assert_eq!(s.errors_per_s.len(), 1);
        assert_eq!(s.errors_per_s[0].0, "timeout");
        assert!((s.correct_per_s[10] - 3.0).abs() < 1e-9);
        assert_eq!(*s.cost.last().unwrap(), 8.0);
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
            let last = h.buckets().last().unwrap();
            assert_eq!(last.correct, 5, "{duration} ms by {tick} ms: {last:?}");
            assert_eq!(last.error_total(), 0);
            assert_eq!(
                last.p99_ms, 20,
                "the drain's latency is not the last second's"
            );
            assert_eq!(h.after_end().correct, 40);
            assert_eq!(h.after_end().errors[2], 2, "{:?}", h.after_end());
            assert_eq!(h.after_end().p99_ms, 4000);
            let total = h.buckets().iter().map(|b| b.correct).sum::<u32>();
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
