//! Outcome batches: one per target per tick, the source of truth that everything else reads.

use std::sync::Arc;
use std::time::Duration;

use hashref::Answer;
use hdrhistogram::Histogram;

use crate::outcome::{Outcome, OutcomeCounts};

/// Most examples of each sort a batch keeps: enough for a reason, bounded in size.
const MAX_SAMPLES: usize = 3;
/// Bytes of a wrong answer kept as an example.
pub(crate) const SAMPLE_BYTES: usize = 64;

/// The unique id of a batch: which run, which worker, which target, which tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BatchId {
    pub run: u64,
    pub worker: u32,
    pub target: u32,
    pub tick: u64,
}

impl std::fmt::Display for BatchId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "r{}-w{}-t{}-k{}",
            self.run, self.worker, self.target, self.tick
        )
    }
}

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

    /// The mean latency.
    pub fn mean(&self) -> Duration {
        Duration::from_secs_f64(self.0.mean() / 1e6)
    }
}

/// An example of a wrong answer, for a reason a team can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrongAnswerSample {
    /// The key that was asked.
    pub key: hashref::Key,
    /// What came back (cut to 64 bytes, not necessarily UTF-8).
    pub got: Vec<u8>,
    /// What should have come back.
    pub expected: Answer,
}

/// An example of another failure, with what the engine saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorSample {
    pub outcome: Outcome,
    pub key: hashref::Key,
}

/// Everything one target's requests came to during one tick.
#[derive(Clone, Debug, PartialEq)]
pub struct OutcomeBatch {
    /// Unique id: (run, worker, target, tick).
    pub id: BatchId,
    /// The target's name.
    pub target: Arc<str>,
    /// Outcomes by kind and status.
    pub counts: OutcomeCounts,
    /// Latency from when each request was due (corrected for coordinated omission).
    pub latency: LatencyHistogram,
    /// Latency from when each request was actually sent.
    pub uncorrected: LatencyHistogram,
    /// Latency from due of the correct answers alone (scoring rewards fast right answers).
    pub correct_latency: LatencyHistogram,
    /// A few wrong answers.
    pub wrong_samples: Vec<WrongAnswerSample>,
    /// A few other failures (the first of each kind).
    pub error_samples: Vec<ErrorSample>,
    /// Requests that were due in this tick (sent or dropped).
    pub sends: u64,
    /// Of those, how many went out more than the lateness threshold after they were due:
    /// the engine's own health, not the team's.
    pub late_sends: u64,
}

impl OutcomeBatch {
    /// An empty batch.
    pub fn new(id: BatchId, target: Arc<str>) -> OutcomeBatch {
        OutcomeBatch {
            id,
            target,
            counts: OutcomeCounts::default(),
            latency: LatencyHistogram::default(),
            uncorrected: LatencyHistogram::default(),
            correct_latency: LatencyHistogram::default(),
            wrong_samples: Vec::new(),
            error_samples: Vec::new(),
            sends: 0,
            late_sends: 0,
        }
    }

    /// Records one finished request. `latencies` are (from due, from send), for outcomes that
    /// have one.
    pub fn record(
        &mut self,
        outcome: Outcome,
        key: hashref::Key,
        expected: Answer,
        latencies: Option<(Duration, Duration)>,
    ) {
        self.counts.record(&outcome);
        if let (Some((due, sent)), true) = (latencies, outcome.kind().has_latency()) {
            self.latency.record(due);
            self.uncorrected.record(sent);
            if outcome == Outcome::Correct {
                self.correct_latency.record(due);
            }
        }
        match outcome {
            Outcome::Correct => {}
            Outcome::WrongAnswer { got } => {
                if self.wrong_samples.len() < MAX_SAMPLES {
                    self.wrong_samples
                        .push(WrongAnswerSample { key, got, expected });
                }
            }
            other => self.keep_error_sample(ErrorSample {
                outcome: other,
                key,
            }),
        }
    }

    fn keep_error_sample(&mut self, sample: ErrorSample) {
        let kind = sample.outcome.kind();
        let seen = self.error_samples.iter().any(|s| s.outcome.kind() == kind);
        if !seen && self.error_samples.len() < MAX_SAMPLES * 2 {
            self.error_samples.push(sample);
        }
    }

    /// Adds another batch of the same target and tick (from another worker) into this one.
    pub fn merge(&mut self, other: &OutcomeBatch) {
        self.counts.merge(&other.counts);
        self.latency.merge(&other.latency);
        self.uncorrected.merge(&other.uncorrected);
        self.correct_latency.merge(&other.correct_latency);
        for s in &other.wrong_samples {
            if self.wrong_samples.len() < MAX_SAMPLES {
                self.wrong_samples.push(s.clone());
            }
        }
        for s in &other.error_samples {
            self.keep_error_sample(s.clone());
        }
        self.sends += other.sends;
        self.late_sends += other.late_sends;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u16) -> hashref::Key {
        hashref::Key::from_groups([i, i, i])
    }

    fn answer() -> Answer {
        hashref::unicorn_hash("x", "y", 1)
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

    #[test]
    fn merging_batches_equals_one_batch() {
        let id = BatchId {
            run: 1,
            worker: 0,
            target: 0,
            tick: 0,
        };
        let outcomes = [
            Outcome::Correct,
            Outcome::HttpStatus(503),
            Outcome::WrongAnswer {
                got: b"nope".to_vec(),
            },
            Outcome::Timeout,
            Outcome::Correct,
            Outcome::Dropped,
        ];
        let mut whole = OutcomeBatch::new(id, "a".into());
        let mut parts = [
            OutcomeBatch::new(id, "a".into()),
            OutcomeBatch::new(BatchId { worker: 1, ..id }, "a".into()),
        ];
        for (i, o) in outcomes.iter().enumerate() {
            let lat = Some((
                Duration::from_millis(10 * i as u64 + 1),
                Duration::from_millis(1),
            ));
            whole.record(o.clone(), key(i as u16), answer(), lat);
            parts[i % 2].record(o.clone(), key(i as u16), answer(), lat);
        }
        let [mut merged, second] = parts;
        merged.merge(&second);
        assert_eq!(merged.counts, whole.counts);
        assert_eq!(merged.latency, whole.latency);
        assert_eq!(merged.uncorrected, whole.uncorrected);
        assert_eq!(merged.correct_latency, whole.correct_latency);
        assert_eq!(whole.correct_latency.count(), 2);
        assert_eq!(merged.wrong_samples, whole.wrong_samples);
        // Dropped requests have no latency; timeouts do.
        assert_eq!(whole.latency.count(), 5);
    }

    #[test]
    fn samples_are_bounded() {
        let id = BatchId {
            run: 1,
            worker: 0,
            target: 0,
            tick: 0,
        };
        let mut b = OutcomeBatch::new(id, "a".into());
        for i in 0..100 {
            b.record(
                Outcome::WrongAnswer { got: vec![b'x'] },
                key(i),
                answer(),
                None,
            );
            b.record(Outcome::HttpStatus(500), key(i), answer(), None);
        }
        assert_eq!(b.wrong_samples.len(), MAX_SAMPLES);
        assert_eq!(b.error_samples.len(), 1);
    }
}
