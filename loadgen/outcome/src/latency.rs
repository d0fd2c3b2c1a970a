//! Latency distributions: the HdrHistogram a batch records into, and the (value, count)
//! pairs it is stored as, which answer the scorer's questions without rebuilding it.

use std::sync::LazyLock;
use std::time::Duration;

use hdrhistogram::Histogram;

/// The longest latency recorded: an hour.
const MAX_MICROS: u64 = 3_600_000_000;

/// A latency distribution in microseconds (1 µs to 1 h, two significant digits: 1 %
/// resolution). Histograms merge exactly: merging per-worker histograms equals one run.
#[derive(Clone, Debug)]
pub struct LatencyHistogram(Histogram<u64>);

impl Default for LatencyHistogram {
    /// Sized for the full range up front: recording then never resizes, which keeps the
    /// engine's hot path short (an auto-resizing histogram cost about 15 % more CPU per
    /// request in `scripts/bench-loadgen.sh`).
    fn default() -> Self {
        LatencyHistogram(
            Histogram::new_with_bounds(1, MAX_MICROS, 2).expect("valid histogram bounds"),
        )
    }
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
        self.0.saturating_record(micros.clamp(1, MAX_MICROS));
    }

    /// Adds another histogram into this one.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        self.0
            .add(&other.0)
            .expect("histograms of one configuration always merge");
    }

    /// Number of latencies recorded.
    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// The latency at quantile `q` (0.99 for p99); zero when empty.
    pub fn quantile(&self, q: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        Duration::from_micros(self.0.value_at_quantile(q))
    }

    /// The largest latency recorded (to the histogram's resolution).
    pub fn max(&self) -> Duration {
        Duration::from_micros(self.0.max())
    }

    /// How many recorded latencies are above `limit` (to the histogram's resolution).
    pub fn count_above(&self, limit: Duration) -> u64 {
        let micros = u64::try_from(limit.as_micros()).unwrap_or(u64::MAX);
        let at_most = self.0.count_between(0, self.0.highest_equivalent(micros));
        self.0.len() - at_most
    }

    /// The recorded values as (microseconds, count) pairs, for storage.
    pub fn to_pairs(&self) -> Vec<(u64, u64)> {
        self.0
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect()
    }

    /// A histogram back from its stored pairs, sized for what it holds (a long game's
    /// stored batches are read by the hundred thousand).
    pub fn from_pairs(pairs: &[(u64, u64)]) -> LatencyHistogram {
        // One allocation of the right size: growing as values come costs a reallocation
        // (and fresh pages) per batch read.
        let highest = pairs.iter().map(|p| p.0).max().unwrap_or(1);
        let high = highest.clamp(2048, MAX_MICROS);
        let mut compact = Histogram::new_with_bounds(1, high, 2).expect("valid histogram bounds");
        compact.auto(true);
        let mut h = LatencyHistogram(compact);
        for &(value, count) in pairs {
            let _ = h.0.record_n(value.clamp(1, MAX_MICROS), count);
        }
        h
    }

    /// The same values in a histogram sized for what it holds (it grows if more come): a
    /// full-range one is 26 KiB, a tick of a fast team's answers (up to 13 ms) 8 KiB.
    pub fn compacted(&self) -> LatencyHistogram {
        LatencyHistogram::from_pairs(&self.to_pairs())
    }

    /// The mean latency.
    pub fn mean(&self) -> Duration {
        Duration::from_secs_f64(self.0.mean() / 1e6)
    }

    /// The recorded values as [`LatencyPairs`].
    pub fn pairs(&self) -> LatencyPairs {
        LatencyPairs(self.to_pairs())
    }
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
        let micros = u64::try_from(limit.as_micros()).unwrap_or(u64::MAX);
        let bound = SHAPE.highest_equivalent(micros);
        self.0
            .iter()
            .filter(|p| SHAPE.highest_equivalent(bucket_value(p.0)) > bound)
            .map(|p| p.1)
            .sum()
    }

    /// The latency at quantile `q`, for `q` above 0 (0.99 for p99), as
    /// [`LatencyHistogram::quantile`]; zero when empty.
    pub fn quantile(&self, q: f64) -> Duration {
        let total = self.count();
        let wanted = ((q.min(1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for &(value, count) in &self.0 {
            seen += count;
            if seen >= wanted {
                return Duration::from_micros(SHAPE.highest_equivalent(bucket_value(value)));
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

    #[test]
    fn a_compacted_histogram_is_smaller_answers_the_same_and_still_grows() {
        let mut full = LatencyHistogram::default();
        for ms in [1, 2, 2, 3, 5, 8, 13] {
            full.record(Duration::from_millis(ms));
        }
        let mut compact = full.compacted();
        // Counts slots, 8 bytes each: 3,328 for the full range, 1,024 up to 13 ms.
        assert!(
            compact.0.distinct_values() * 3 < full.0.distinct_values(),
            "{} of {}",
            compact.0.distinct_values(),
            full.0.distinct_values()
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

    proptest! {
        /// The pairs answer as the histogram does, whatever was recorded.
        #[test]
        fn pairs_answer_as_the_histogram(
            micros in prop::collection::vec(0u64..10_000_000, 0..200),
            spread in 1u64..1000,
            limit in 0u64..12_000_000,
            q in 0.0001f64..1.0,
        ) {
            let mut h = LatencyHistogram::default();
            for m in &micros {
                h.record(Duration::from_micros(m * spread % 20_000_000));
            }
            let limit = Duration::from_micros(limit);
            let stored = LatencyHistogram::from_pairs(&h.to_pairs());
            let pairs = h.pairs();
            prop_assert_eq!(pairs.count(), h.count());
            prop_assert_eq!(pairs.count_above(limit), h.count_above(limit));
            prop_assert_eq!(pairs.count_above(limit), stored.count_above(limit));
            prop_assert_eq!(pairs.quantile(q), h.quantile(q));
            prop_assert_eq!(pairs.quantile(0.99), stored.quantile(0.99));
            prop_assert_eq!(pairs.quantile(1.0), h.quantile(1.0));
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
