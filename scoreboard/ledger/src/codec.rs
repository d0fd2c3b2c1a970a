//! How an outcome batch is stored: counts, histograms as (value, count) pairs, and samples,
//! as one compact binary document (postcard) beside the indexed columns. Ledgers written
//! before the binary format hold JSON documents; both are read.

use serde::de::{DeserializeOwned, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use loadgen_outcome::{
    BatchId, ErrorSample, LatencyHistogram, LatencyPairs, Outcome, OutcomeBatch, OutcomeCounts,
    OutcomeKind, TlsFailure, WrongAnswerSample,
};

use crate::LedgerError;

use super::{BatchFacts, GameTime};

/// A stored batch body. `H` is how its histograms of every answer are read: as pairs, or
/// skipped ([`Skipped`]) by a reader that only scores.
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredBody<H = Vec<(u64, u64)>> {
    kinds: Vec<(OutcomeKind, u64)>,
    statuses: Vec<(u16, u64)>,
    latency: H,
    uncorrected: H,
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

/// A stored histogram read past without keeping it.
pub(crate) struct Skipped;

impl<'de> Deserialize<'de> for Skipped {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Skipped, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = Skipped;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a sequence of (value, count) pairs")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skipped, A::Error> {
                while seq.next_element::<(u64, u64)>()?.is_some() {}
                Ok(Skipped)
            }
        }
        d.deserialize_seq(Pairs)
    }
}

/// The first byte of a binary body (a JSON body starts with `{`).
const BINARY_V1: u8 = 1;

pub(crate) fn encode(batch: &OutcomeBatch) -> Vec<u8> {
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
    postcard::to_extend(&body, vec![BINARY_V1]).expect("batches serialize into memory")
}

fn stored_error(s: &ErrorSample) -> StoredError {
    let status = match &s.outcome {
        Outcome::HttpStatus(code) => Some(*code),
        _ => None,
    };
    let detail = s.outcome.detail().map(str::to_owned);
    StoredError {
        key: s.key.to_string(),
        kind: s.outcome.kind(),
        status,
        detail,
    }
}

fn corrupt(id: BatchId, reason: String) -> LedgerError {
    LedgerError::Corrupt {
        what: format!("batch {id}"),
        reason,
    }
}

fn parse<T: DeserializeOwned>(id: BatchId, body: &[u8]) -> Result<T, LedgerError> {
    match body.split_first() {
        Some((&BINARY_V1, rest)) => {
            postcard::from_bytes(rest).map_err(|e| corrupt(id, e.to_string()))
        }
        Some((b'{', _)) => serde_json::from_slice(body).map_err(|e| corrupt(id, e.to_string())),
        _ => Err(corrupt(id, "neither a binary nor a JSON batch body".into())),
    }
}

/// The parts of a body that both readers build the same way.
struct Common {
    counts: OutcomeCounts,
    wrong_samples: Vec<WrongAnswerSample>,
    error_samples: Vec<ErrorSample>,
}

fn common<H>(id: BatchId, body: &mut StoredBody<H>) -> Result<Common, LedgerError> {
    let corrupt = |reason: &str| corrupt(id, reason.into());
    let mut counts = OutcomeCounts::default();
    for &(kind, n) in &body.kinds {
        if kind == OutcomeKind::HttpStatus {
            return Err(corrupt("statuses stored as a kind"));
        }
        counts.add(kind, n);
    }
    for &(code, n) in &body.statuses {
        counts.add_status(code, n);
    }
    let key = |k: &str| hashref::Key::parse(k).map_err(|e| corrupt(&e.to_string()));
    let mut wrong_samples = Vec::new();
    for w in std::mem::take(&mut body.wrong) {
        let expected = hashref::Answer::from_text(&w.expected)
            .ok_or_else(|| corrupt("bad expected answer"))?;
        wrong_samples.push(WrongAnswerSample {
            key: key(&w.key)?,
            got: w.got,
            expected,
        });
    }
    let mut error_samples = Vec::new();
    for e in std::mem::take(&mut body.errors) {
        let detail = e.detail.unwrap_or_default();
        let outcome = match e.kind {
            OutcomeKind::HttpStatus => Outcome::HttpStatus(e.status.unwrap_or(0)),
            OutcomeKind::Timeout => Outcome::Timeout,
            OutcomeKind::ConnectRefused => Outcome::ConnectRefused { detail },
            OutcomeKind::DnsError => Outcome::DnsError { detail },
            OutcomeKind::ConnectTimeout => Outcome::ConnectTimeout,
            OutcomeKind::Reset => Outcome::Reset { detail },
            OutcomeKind::TooLarge => Outcome::TooLarge,
            OutcomeKind::Malformed => Outcome::Malformed { detail },
            OutcomeKind::Dropped => Outcome::Dropped,
            OutcomeKind::Correct | OutcomeKind::WrongAnswer => {
                return Err(corrupt("an error sample of a non-error kind"));
            }
            tls => Outcome::Tls {
                failure: TlsFailure::of_kind(tls).expect("every other kind is a TLS one"),
                detail,
            },
        };
        error_samples.push(ErrorSample {
            outcome,
            key: key(&e.key)?,
        });
    }
    Ok(Common {
        counts,
        wrong_samples,
        error_samples,
    })
}

pub(crate) fn decode(id: BatchId, target: &str, body: &[u8]) -> Result<OutcomeBatch, LedgerError> {
    let mut body: StoredBody = parse(id, body)?;
    let c = common(id, &mut body)?;
    Ok(OutcomeBatch {
        id,
        target: target.into(),
        counts: c.counts,
        latency: LatencyHistogram::from_pairs(&body.latency),
        uncorrected: LatencyHistogram::from_pairs(&body.uncorrected),
        correct_latency: LatencyHistogram::from_pairs(&body.correct_latency),
        wrong_samples: c.wrong_samples,
        error_samples: c.error_samples,
        sends: body.sends,
        late_sends: body.late_sends,
    })
}

/// What the scorer reads of a stored batch, without building its histograms.
pub(crate) fn decode_facts(
    at: GameTime,
    id: BatchId,
    team: String,
    body: &[u8],
) -> Result<BatchFacts, LedgerError> {
    let mut body: StoredBody<Skipped> = parse(id, body)?;
    let c = common(id, &mut body)?;
    Ok(BatchFacts {
        at,
        id,
        team,
        counts: c.counts,
        correct_latency: LatencyPairs::new(body.correct_latency),
        wrong_samples: c.wrong_samples,
        error_samples: c.error_samples,
        sends: body.sends,
        late_sends: body.late_sends,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    fn batch() -> OutcomeBatch {
        let id = BatchId {
            run: 2,
            worker: 1,
            target: 3,
            tick: 40,
        };
        let mut b = OutcomeBatch::new(id, Arc::from("team-a"));
        let key = hashref::Key::parse("3615-7184-2117").unwrap();
        let expected = hashref::Answer::from_text(&format!("{}=", "A".repeat(43))).unwrap();
        b.counts.add(OutcomeKind::Correct, 7);
        b.counts.add(OutcomeKind::WrongAnswer, 1);
        b.counts.add_status(503, 2);
        b.counts.add(OutcomeKind::Reset, 1);
        for ms in [3, 5, 8, 13, 900] {
            b.latency.record(Duration::from_millis(ms));
            b.correct_latency.record(Duration::from_millis(ms));
            b.uncorrected.record(Duration::from_millis(ms / 2 + 1));
        }
        b.wrong_samples.push(WrongAnswerSample {
            key,
            got: b"not \xff utf-8".to_vec(),
            expected,
        });
        b.error_samples.push(ErrorSample {
            outcome: Outcome::Reset {
                detail: "connection reset by peer".into(),
            },
            key,
        });
        b.error_samples.push(ErrorSample {
            outcome: Outcome::HttpStatus(503),
            key,
        });
        b.sends = 11;
        b.late_sends = 1;
        b
    }

    #[test]
    fn a_binary_body_reads_back_as_the_batch() {
        let b = batch();
        let body = encode(&b);
        assert_eq!(body[0], BINARY_V1);
        let back = decode(b.id, "team-a", &body).unwrap();
        assert_eq!(back, b);
    }

    #[test]
    fn the_facts_of_a_body_are_those_of_its_batch() {
        let b = batch();
        let recorded = super::super::RecordedBatch {
            at: GameTime(4000),
            batch: b.clone(),
        };
        for body in [encode(&b), json(&b)] {
            let facts = decode_facts(GameTime(4000), b.id, "team-a".into(), &body).unwrap();
            assert_eq!(facts, BatchFacts::of(&recorded));
        }
    }

    fn json(b: &OutcomeBatch) -> Vec<u8> {
        let binary = encode(b);
        let stored: StoredBody = postcard::from_bytes(&binary[1..]).unwrap();
        serde_json::to_vec(&stored).unwrap()
    }

    #[test]
    fn a_json_body_of_an_older_ledger_still_reads() {
        let b = batch();
        let json = json(&b);
        assert_eq!(json[0], b'{');
        assert_eq!(decode(b.id, "team-a", &json).unwrap(), b);
    }

    #[test]
    fn a_damaged_body_is_reported_as_corrupt() {
        let b = batch();
        let mut body = encode(&b);
        body.truncate(body.len() / 2);
        for bad in [&body[..], b"", b"\x07junk"] {
            let both = [
                decode(b.id, "team-a", bad).err(),
                decode_facts(GameTime(1), b.id, "team-a".into(), bad).err(),
            ];
            for err in both {
                match err {
                    Some(LedgerError::Corrupt { what, .. }) => {
                        assert_eq!(what, format!("batch {}", b.id))
                    }
                    other => panic!("expected a corrupt batch, got {other:?}"),
                }
            }
        }
    }
}
