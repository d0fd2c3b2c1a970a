//! Latency distributions: what a batch records into (its few latencies one by one, or an
//! HdrHistogram once there are many), and the (value, count) pairs it is stored as, which
//! answer the scorer's questions without rebuilding it.

use std::sync::LazyLock;
use std::time::Duration;

use hdrhistogram::Histogram;

/// The longest latency recorded: an hour (it fits in a `u32` of microseconds).
const MAX_MICROS: u64 = 3_600_000_000;

/// The most latencies a distribution keeps one by one (4 bytes each, 2 KiB at most) before it
/// becomes a full-range histogram (26 KiB). A team's tick at a game's rates holds tens: a
/// 1,000-team game kept three full-range histograms a team open (78 KiB) before.
const FEW: usize = 512;

/// A latency distribution in microseconds (1 µs to 1 h, two significant digits: 1 %
/// resolution). Every answer is the HdrHistogram's, exactly, whether it holds its few
/// latencies one by one or a histogram. Distributions merge exactly: merging per-worker
/// ones equals one run.
#[derive(Clone, Debug, Default)]
pub struct LatencyHistogram(Repr);

#[derive(Clone, Debug)]
enum Repr {
    /// Up to [`FEW`] latencies, clamped to the range, as they came (sorted once compacted).
    Few(Vec<u32>),
    /// More: an HdrHistogram.
    Many(Histogram<u64>),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Few(Vec::new())
    }
}

/// A histogram sized for the full range up front: recording then never resizes, which keeps
/// the engine's hot path short (an auto-resizing histogram cost about 15 % more CPU per
/// request in `scripts/bench-loadgen.sh`).
fn full_range() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, 2).expect("valid histogram bounds")
}

/// Equal when they hold the same values, whatever their internal sizes.
impl PartialEq for LatencyHistogram {
    fn eq(&self, other: &Self) -> bool {
        self.to_pairs() == other.to_pairs()
    }
}

impl LatencyHistogram {
    /// Records one latency (clamped to the histogram's range).
    pub fn record(&mut self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        let micros = micros.clamp(1, MAX_MICROS) as u32;
        if let Repr::Few(few) = &mut self.0
            && few.len() < FEW
        {
            few.push(micros);
            return;
        }
        put(self.many(), micros);
    }

    /// The histogram, made from the latencies kept one by one if it was not one yet.
    fn many(&mut self) -> &mut Histogram<u64> {
        if let Repr::Few(few) = &self.0 {
            let mut h = full_range();
            for &micros in few {
                put(&mut h, micros);
            }
            self.0 = Repr::Many(h);
        }
        match &mut self.0 {
            Repr::Many(h) => h,
            Repr::Few(_) => unreachable!("made a histogram above"),
        }
    }

    /// Adds another distribution into this one.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        match (&mut self.0, &other.0) {
            (Repr::Few(mine), Repr::Few(theirs)) if mine.len() + theirs.len() <= FEW => {
                mine.extend_from_slice(theirs);
            }
            (_, Repr::Few(theirs)) => {
                let h = self.many();
                for &micros in theirs {
                    put(h, micros);
                }
            }
            (_, Repr::Many(theirs)) => self
                .many()
                .add(theirs)
                .expect("histograms of one configuration always merge"),
        }
    }

    /// Number of latencies recorded.
    pub fn count(&self) -> u64 {
        match &self.0 {
            Repr::Few(few) => few.len() as u64,
            Repr::Many(h) => h.len(),
        }
    }

    /// The latency at quantile `q` (0.99 for p99); zero when empty.
    pub fn quantile(&self, q: f64) -> Duration {
        match &self.0 {
            Repr::Few(_) => self.pairs().quantile(q),
            Repr::Many(h) if h.is_empty() => Duration::ZERO,
            Repr::Many(h) => Duration::from_micros(h.value_at_quantile(q)),
        }
    }

    /// The largest latency recorded (to the histogram's resolution).
    pub fn max(&self) -> Duration {
        match &self.0 {
            Repr::Few(few) => Duration::from_micros(
                few.iter()
                    .max()
                    .map_or(0, |&m| SHAPE.highest_equivalent(u64::from(m))),
            ),
            Repr::Many(h) => Duration::from_micros(h.max()),
        }
    }

    /// How many recorded latencies are above `limit` (to the histogram's resolution).
    pub fn count_above(&self, limit: Duration) -> u64 {
        match &self.0 {
            Repr::Few(few) => {
                let bound = highest_of(limit);
                few.iter()
                    .filter(|&&m| SHAPE.highest_equivalent(u64::from(m)) > bound)
                    .count() as u64
            }
            Repr::Many(h) => {
                let micros = u64::try_from(limit.as_micros()).unwrap_or(u64::MAX);
                h.len() - h.count_between(0, h.highest_equivalent(micros))
            }
        }
    }

    /// The recorded values as (microseconds, count) pairs, in ascending order, for storage:
    /// each value is the highest of its histogram bucket.
    pub fn to_pairs(&self) -> Vec<(u64, u64)> {
        match &self.0 {
            Repr::Few(few) => {
                let mut buckets: Vec<u64> = few
                    .iter()
                    .map(|&m| SHAPE.highest_equivalent(u64::from(m)))
                    .collect();
                buckets.sort_unstable();
                let mut pairs: Vec<(u64, u64)> = Vec::new();
                for value in buckets {
                    match pairs.last_mut() {
                        Some((last, count)) if *last == value => *count += 1,
                        _ => pairs.push((value, 1)),
                    }
                }
                pairs
            }
            Repr::Many(h) => h
                .iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect(),
        }
    }

    /// A distribution back from its stored pairs: a few latencies one by one, more in a
    /// histogram sized for what it holds (a long game's stored batches are read by the
    /// hundred thousand).
    pub fn from_pairs(pairs: &[(u64, u64)]) -> LatencyHistogram {
        let total = pairs.iter().try_fold(0u64, |n, p| n.checked_add(p.1));
        if let Some(total) = total.filter(|&n| n <= FEW as u64) {
            let mut few = Vec::with_capacity(total as usize);
            for &(value, count) in pairs {
                let micros = value.clamp(1, MAX_MICROS) as u32;
                few.extend(std::iter::repeat_n(micros, count as usize));
            }
            few.sort_unstable();
            return LatencyHistogram(Repr::Few(few));
        }
        // One allocation of the right size: growing as values come costs a reallocation
        // (and fresh pages) per batch read.
        let highest = pairs.iter().map(|p| p.0).max().unwrap_or(1);
        let high = highest.clamp(2048, MAX_MICROS);
        let mut compact = Histogram::new_with_bounds(1, high, 2).expect("valid histogram bounds");
        compact.auto(true);
        for &(value, count) in pairs {
            let _ = compact.record_n(value.clamp(1, MAX_MICROS), count);
        }
        LatencyHistogram(Repr::Many(compact))
    }

    /// The same values held in as little memory as they need (it takes in more if more
    /// come): a few latencies sorted, in 4 bytes each; a histogram sized for what it holds
    /// (a full-range one is 26 KiB, a tick of a fast team's answers, up to 13 ms, 8 KiB).
    pub fn compacted(&self) -> LatencyHistogram {
        match &self.0 {
            Repr::Few(few) => {
                let mut few = few.clone();
                few.sort_unstable();
                LatencyHistogram(Repr::Few(few))
            }
            Repr::Many(_) => LatencyHistogram::from_pairs(&self.to_pairs()),
        }
    }

    /// [`compacted`](Self::compacted) in place.
    pub fn compact(&mut self) {
        match &mut self.0 {
            Repr::Few(few) => {
                few.sort_unstable();
                few.shrink_to_fit();
            }
            Repr::Many(_) => *self = self.compacted(),
        }
    }

    /// The mean latency.
    pub fn mean(&self) -> Duration {
        let mean = match &self.0 {
            Repr::Few(few) if few.is_empty() => 0.0,
            Repr::Few(few) => {
                // As the histogram sums it: each bucket's middle, in ascending order.
                let n = few.len() as f64;
                self.to_pairs().iter().fold(0.0, |total, &(value, count)| {
                    total + SHAPE.median_equivalent(value) as f64 * count as f64 / n
                })
            }
            Repr::Many(h) => h.mean(),
        };
        Duration::from_secs_f64(mean / 1e6)
    }

    /// The recorded values as [`LatencyPairs`].
    pub fn pairs(&self) -> LatencyPairs {
        LatencyPairs(self.to_pairs())
    }

    /// Whether the latencies are held one by one (not in a histogram): for tests.
    #[cfg(test)]
    fn is_few(&self) -> bool {
        matches!(self.0, Repr::Few(_))
    }
}

/// Records a latency in the range (a compacted histogram grows to take it).
fn put(h: &mut Histogram<u64>, micros: u32) {
    h.record(u64::from(micros))
        .expect("a histogram takes every latency in the range");
}

/// The highest value of the bucket `limit` falls in.
fn highest_of(limit: Duration) -> u64 {
    let micros = u64::try_from(limit.as_micros()).unwrap_or(u64::MAX);
    SHAPE.highest_equivalent(micros)
}

/// A histogram of the shape every [`LatencyHistogram`] has (1 µs resolution, two significant
/// digits), for the arithmetic of its buckets, which does not depend on its range.
static SHAPE: LazyLock<Histogram<u64>> =
    LazyLock::new(|| Histogram::new_with_bounds(1, 2048, 2).expect("valid histogram bounds"));

/// A latency distribution as its recorded (microseconds, count) pairs in ascending order: what
/// a stored batch holds. It answers what scoring asks ([`count_above`](Self::count_above),
/// [`quantile`](Self::quantile)) exactly as the histogram would, without building one (a
/// rescore reads hundreds of thousands of them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LatencyPairs(Vec<(u64, u64)>);

impl LatencyPairs {
    /// Pairs as stored; they are put in ascending order of value if they are not.
    pub fn new(mut pairs: Vec<(u64, u64)>) -> LatencyPairs {
        if !pairs.is_sorted_by_key(|p| p.0) {
            pairs.sort_unstable_by_key(|p| p.0);
        }
        LatencyPairs(pairs)
    }

    /// The pairs, in ascending order of value.
    pub fn as_slice(&self) -> &[(u64, u64)] {
        &self.0
    }

    /// Number of latencies recorded.
    pub fn count(&self) -> u64 {
        self.0.iter().map(|p| p.1).sum()
    }

    /// How many recorded latencies are above `limit`, as [`LatencyHistogram::count_above`].
    pub fn count_above(&self, limit: Duration) -> u64 {
        let bound = highest_of(limit);
        self.0
            .iter()
            .filter(|p| SHAPE.highest_equivalent(bucket_value(p.0)) > bound)
            .map(|p| p.1)
            .sum()
    }

    /// The latency at quantile `q` (0.99 for p99), as [`LatencyHistogram::quantile`]: the
    /// highest value of its bucket (the lowest, for `q` 0); zero when empty.
    pub fn quantile(&self, q: f64) -> Duration {
        let q = q.min(1.0);
        let total = self.count();
        let wanted = ((q * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for &(value, count) in &self.0 {
            seen += count;
            if seen >= wanted {
                let value = bucket_value(value);
                return Duration::from_micros(match q == 0.0 {
                    true => SHAPE.lowest_equivalent(value),
                    false => SHAPE.highest_equivalent(value),
                });
            }
        }
        Duration::ZERO
    }
}

/// A stored value as the histogram records it.
fn bucket_value(value: u64) -> u64 {
    value.clamp(1, MAX_MICROS)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Count slots of a distribution held as a histogram (8 bytes each).
    fn slots(h: &LatencyHistogram) -> usize {
        match &h.0 {
            Repr::Many(h) => h.distinct_values(),
            Repr::Few(_) => panic!("held one by one"),
        }
    }

    /// The HdrHistogram a distribution answers as: every latency recorded into one of the
    /// full range.
    fn reference(micros: &[u64]) -> Histogram<u64> {
        let mut h = full_range();
        for &m in micros {
            h.saturating_record(m.clamp(1, MAX_MICROS));
        }
        h
    }

    #[test]
    fn a_compacted_histogram_is_smaller_answers_the_same_and_still_grows() {
        let mut full = LatencyHistogram::default();
        for i in 0..FEW as u64 * 2 {
            full.record(Duration::from_micros(1000 + i * 6_000 / FEW as u64));
        }
        let mut compact = full.compacted();
        // Counts slots, 8 bytes each: 3,328 for the full range, 1,024 up to 13 ms.
        assert!(
            slots(&compact) * 3 < slots(&full),
            "{} of {}",
            slots(&compact),
            slots(&full)
        );
        assert_eq!(compact, full);
        for q in [0.0, 0.5, 0.99, 1.0] {
            assert_eq!(compact.quantile(q), full.quantile(q));
        }
        // It takes in what comes after, up to the full range: a merge, a slow answer.
        let mut slow = LatencyHistogram::default();
        slow.record(Duration::from_secs(3000));
        compact.merge(&slow);
        compact.record(Duration::from_secs(4000));
        full.merge(&slow);
        full.record(Duration::from_secs(4000));
        assert_eq!(compact, full);
        assert_eq!(compact.max(), full.max());
    }

    #[test]
    fn a_tick_of_a_few_answers_holds_no_histogram() {
        let mut tick = LatencyHistogram::default();
        for ms in [
            1u64, 2, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597,
        ] {
            tick.record(Duration::from_millis(ms * 7 % 1000 + 1));
        }
        tick.compact();
        let Repr::Few(few) = &tick.0 else {
            panic!("a histogram for 17 latencies");
        };
        // 4 bytes a latency once compacted, where a histogram of the full range took 26 KiB.
        assert_eq!(few.capacity(), 17);
        assert!(few.is_sorted());
        // Past FEW latencies it becomes a histogram, and answers the same.
        let mut many = tick.clone();
        for i in 0..FEW as u64 {
            many.record(Duration::from_micros(i * 1000));
        }
        assert!(!many.is_few());
        assert!(!LatencyHistogram::from_pairs(&many.to_pairs()).is_few());
        let mut both = tick.clone();
        both.merge(&many);
        assert!(!both.is_few());
        assert_eq!(both.count(), tick.count() + many.count());
        let mut nothing_more = tick.clone();
        nothing_more.merge(&LatencyHistogram::default());
        assert!(nothing_more.is_few());
        assert_eq!(nothing_more, tick);
    }

    proptest! {
        /// A distribution answers as the HdrHistogram of the same latencies, exactly, held
        /// one by one or not, merged in parts, compacted or stored and read back; and its
        /// pairs answer as it does.
        #[test]
        fn it_answers_as_the_hdr_histogram(
            micros in prop::collection::vec(0u64..10_000_000, 0..(FEW * 3)),
            spread in 1u64..1000,
            split in 0usize..(FEW * 3),
            limit in 0u64..12_000_000,
            q in 0.0001f64..1.0,
        ) {
            let micros: Vec<u64> = micros.iter().map(|m| m * spread % 20_000_000).collect();
            let want = reference(&micros);
            let mut h = LatencyHistogram::default();
            let (mut a, mut b) = (LatencyHistogram::default(), LatencyHistogram::default());
            for (i, &m) in micros.iter().enumerate() {
                h.record(Duration::from_micros(m));
                match i < split {
                    true => a.record(Duration::from_micros(m)),
                    false => b.record(Duration::from_micros(m)),
                }
            }
            a.merge(&b);
            let pairs: Vec<(u64, u64)> = want
                .iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect();
            let limit = Duration::from_micros(limit);
            let above = want.len() - want.count_between(0, want.highest_equivalent(limit.as_micros() as u64));
            let at = |q: f64| match want.is_empty() {
                true => Duration::ZERO,
                false => Duration::from_micros(want.value_at_quantile(q)),
            };
            let stored = LatencyHistogram::from_pairs(&pairs);
            for d in [&h, &a, &h.compacted(), &stored] {
                prop_assert_eq!(d.count(), want.len());
                prop_assert_eq!(d.to_pairs(), pairs.clone());
                for q in [0.0, q, 0.5, 0.99, 1.0] {
                    prop_assert_eq!(d.quantile(q), at(q));
                }
                prop_assert_eq!(d.max(), Duration::from_micros(want.max()));
                prop_assert_eq!(d.count_above(limit), above);
                prop_assert_eq!(d.mean(), Duration::from_secs_f64(want.mean() / 1e6));
                let p = d.pairs();
                prop_assert_eq!(p.count(), want.len());
                prop_assert_eq!(p.count_above(limit), above);
                for q in [0.0, q, 0.99, 1.0] {
                    prop_assert_eq!(p.quantile(q), at(q));
                }
            }
            prop_assert_eq!(h.is_few(), micros.len() <= FEW);
        }
    }

    #[test]
    fn histogram_quantiles_are_within_one_percent() {
        let mut h = LatencyHistogram::default();
        for ms in 1..=1000u64 {
            h.record(Duration::from_millis(ms));
        }
        let p99 = h.quantile(0.99).as_secs_f64();
        assert!((p99 - 0.990).abs() / 0.990 < 0.01, "{p99}");
        assert_eq!(h.count(), 1000);
        assert!(h.max() >= Duration::from_millis(990));
    }

    #[test]
    fn count_above_and_storage_pairs() {
        let mut h = LatencyHistogram::default();
        for ms in [10u64, 20, 30, 4000, 6000] {
            h.record(Duration::from_millis(ms));
        }
        assert_eq!(h.count_above(Duration::from_secs(5)), 1);
        assert_eq!(h.count_above(Duration::from_millis(25)), 3);
        assert_eq!(h.count_above(Duration::ZERO), 5);
        let back = LatencyHistogram::from_pairs(&h.to_pairs());
        assert_eq!(back, h);
        assert_eq!(back.quantile(0.99), h.quantile(0.99));
    }
}
