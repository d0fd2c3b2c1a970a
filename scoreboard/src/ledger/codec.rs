//! How an outcome batch is stored: counts, histograms as (value, count) pairs, and samples,
//! as one JSON document beside the indexed columns.

use serde::{Deserialize, Serialize};

use loadgen::{
    BatchId, ErrorSample, LatencyHistogram, Outcome, OutcomeBatch, OutcomeCounts, OutcomeKind,
    WrongAnswerSample,
};

use crate::ScoreError;

#[derive(Serialize, Deserialize)]
pub(crate) struct StoredBody {
    kinds: Vec<(OutcomeKind, u64)>,
    statuses: Vec<(u16, u64)>,
    latency: Vec<(u64, u64)>,
    uncorrected: Vec<(u64, u64)>,
    correct_latency: Vec<(u64, u64)>,
    wrong: Vec<StoredWrong>,
    errors: Vec<StoredError>,
    sends: u64,
    late_sends: u64,
}

#[derive(Serialize, Deserialize)]
struct StoredWrong {
    key: String,
    got: Vec<u8>,
    expected: String,
}

#[derive(Serialize, Deserialize)]
struct StoredError {
    key: String,
    kind: OutcomeKind,
    status: Option<u16>,
    detail: Option<String>,
}

pub(crate) fn encode(batch: &OutcomeBatch) -> String {
    let kinds = OutcomeKind::ALL
        .iter()
        .filter(|k| **k != OutcomeKind::HttpStatus)
        .map(|k| (*k, batch.counts.get(*k)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let body = StoredBody {
        kinds,
        statuses: batch
            .counts
            .statuses()
            .iter()
            .map(|(c, n)| (*c, *n))
            .collect(),
        latency: batch.latency.to_pairs(),
        uncorrected: batch.uncorrected.to_pairs(),
        correct_latency: batch.correct_latency.to_pairs(),
        wrong: batch
            .wrong_samples
            .iter()
            .map(|s| StoredWrong {
                key: s.key.to_string(),
                got: s.got.clone(),
                expected: s.expected.to_string(),
            })
            .collect(),
        errors: batch.error_samples.iter().map(stored_error).collect(),
        sends: batch.sends,
        late_sends: batch.late_sends,
    };
    serde_json::to_string(&body).expect("batches serialize")
}

fn stored_error(s: &ErrorSample) -> StoredError {
    let (status, detail) = match &s.outcome {
        Outcome::HttpStatus(code) => (Some(*code), None),
        Outcome::ConnectRefused { detail }
        | Outcome::Reset { detail }
        | Outcome::Malformed { detail } => (None, Some(detail.clone())),
        _ => (None, None),
    };
    StoredError {
        key: s.key.to_string(),
        kind: s.outcome.kind(),
        status,
        detail,
    }
}

pub(crate) fn decode(id: BatchId, target: &str, body: &str) -> Result<OutcomeBatch, ScoreError> {
    let corrupt = |reason: String| ScoreError::Corrupt {
        what: format!("batch {id}"),
        reason,
    };
    let body: StoredBody = serde_json::from_str(body).map_err(|e| corrupt(e.to_string()))?;
    let mut counts = OutcomeCounts::default();
    for (kind, n) in body.kinds {
        if kind == OutcomeKind::HttpStatus {
            return Err(corrupt("statuses stored as a kind".into()));
        }
        counts.add(kind, n);
    }
    for (code, n) in body.statuses {
        counts.add_status(code, n);
    }
    let key = |k: &str| hashref::Key::parse(k).map_err(|e| corrupt(e.to_string()));
    let mut wrong_samples = Vec::new();
    for w in body.wrong {
        let expected = hashref::Answer::from_text(&w.expected)
            .ok_or_else(|| corrupt("bad expected answer".into()))?;
        wrong_samples.push(WrongAnswerSample {
            key: key(&w.key)?,
            got: w.got,
            expected,
        });
    }
    let mut error_samples = Vec::new();
    for e in body.errors {
        let detail = e.detail.unwrap_or_default();
        let outcome = match e.kind {
            OutcomeKind::HttpStatus => Outcome::HttpStatus(e.status.unwrap_or(0)),
            OutcomeKind::Timeout => Outcome::Timeout,
            OutcomeKind::ConnectRefused => Outcome::ConnectRefused { detail },
            OutcomeKind::ConnectTimeout => Outcome::ConnectTimeout,
            OutcomeKind::Reset => Outcome::Reset { detail },
            OutcomeKind::TooLarge => Outcome::TooLarge,
            OutcomeKind::Malformed => Outcome::Malformed { detail },
            OutcomeKind::Dropped => Outcome::Dropped,
            OutcomeKind::Correct | OutcomeKind::WrongAnswer => {
                return Err(corrupt("an error sample of a non-error kind".into()));
            }
        };
        error_samples.push(ErrorSample {
            outcome,
            key: key(&e.key)?,
        });
    }
    Ok(OutcomeBatch {
        id,
        target: target.into(),
        counts,
        latency: LatencyHistogram::from_pairs(&body.latency),
        uncorrected: LatencyHistogram::from_pairs(&body.uncorrected),
        correct_latency: LatencyHistogram::from_pairs(&body.correct_latency),
        wrong_samples,
        error_samples,
        sends: body.sends,
        late_sends: body.late_sends,
    })
}
