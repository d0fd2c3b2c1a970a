//! Outcome batches: one per target per tick, the source of truth that everything else reads.

use std::sync::Arc;
use std::time::Duration;

use hashref::Answer;

use crate::latency::LatencyHistogram;
use crate::outcome::{Outcome, OutcomeCounts};

/// Most examples of each sort a batch keeps: enough for a reason, bounded in size.
const MAX_SAMPLES: usize = 3;
/// Bytes of a wrong answer kept as an example.
pub const SAMPLE_BYTES: usize = 64;

/// The unique id of a batch: which run, which worker, which target, which tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BatchId {
    pub run: u64,
    pub worker: u32,
    pub target: u32,
    pub tick: u64,
}

impl std::fmt::Display for BatchId {
    /// `r1-k000041-w0-t3`: the tick first (padded, so that ids sort in time), as the ledger
    /// keys batches and score events by it. A tick's batches then fall at one place in those
    /// indexes, not at one place per team: at 1,000 teams a tick's commit dirtied about a
    /// page per team per index once the ledger had grown (scripts/bench-ledger-age.py).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "r{}-k{:06}-w{}-t{}",
            self.run, self.tick, self.worker, self.target
        )
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

    /// Holds its latencies in as little memory as they need, once the batch is closed: a
    /// closed batch waits in channels, the scorer and the ledger's queue, where three
    /// full-range histograms (78 KiB a team a tick) were most of a big game's memory. (A
    /// tick of a few answers holds them one by one from the start, 4 bytes each.)
    pub fn compact(&mut self) {
        for h in [
            &mut self.latency,
            &mut self.uncorrected,
            &mut self.correct_latency,
        ] {
            h.compact();
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
