//! Score events, their sources, their causes, and organizer adjustments.

use std::borrow::Cow;

use loadgen_outcome::{Outcome, OutcomeKind};
use serde::{Deserialize, Serialize};

use crate::{GameTime, Points};

/// Where points came from, as a team sees it in the Source column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Source {
    /// The load generator's verdict on the team's answers.
    LoadGen,
    /// EC2 charges.
    Billing,
    /// A person running the game.
    Organizer,
    /// The engine about itself (a voided tick).
    Engine,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::LoadGen => "LoadGen",
            Source::Billing => "Billing",
            Source::Organizer => "Organizer",
            Source::Engine => "Engine",
        }
    }

    pub fn parse(text: &str) -> Option<Source> {
        [
            Source::LoadGen,
            Source::Billing,
            Source::Organizer,
            Source::Engine,
        ]
        .into_iter()
        .find(|s| s.name().eq_ignore_ascii_case(text))
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a score event is about, decided by the scorer where it writes the reason: the
/// panel that tells a team what is costing it points groups losses by it, and the hints
/// ([`crate::hints::hint`]) are one per kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// Correct answers within the SLA.
    Correct,
    /// Correct answers slower than the SLA.
    CorrectSlow,
    /// Answers (2xx) that were not the hash.
    WrongAnswer,
    /// Answers with this HTTP status (not 2xx).
    Status(u16),
    /// Requests that got no answer, by how they failed: one of the kinds of
    /// [`EventKind::FAILURES`] (never `Correct`, `WrongAnswer` or `HttpStatus`).
    Failure(OutcomeKind),
    /// A billing block of an instance.
    Billing,
    /// An organizer's adjustment.
    Organizer,
    /// A tick voided by the engine (no points lost).
    Void,
    /// An event recorded before events said what they are about (read back from an older
    /// ledger): views group these by source.
    Unknown,
}

impl EventKind {
    /// The kinds of failure without an answer, in [`OutcomeKind::ALL`]'s order.
    pub const FAILURES: [OutcomeKind; 15] = {
        // Every kind after a correct answer, a wrong one and a status.
        let mut kinds = [OutcomeKind::Timeout; 15];
        let mut i = 0;
        while i < kinds.len() {
            kinds[i] = OutcomeKind::ALL[i + 3];
            i += 1;
        }
        kinds
    };

    /// The kind of one outcome, as a score event about it has (a correct answer counts as
    /// within the SLA: the outcome alone does not say how long it took).
    pub fn of_outcome(outcome: &Outcome) -> EventKind {
        match outcome {
            Outcome::HttpStatus(code) => EventKind::Status(*code),
            other => EventKind::of_outcome_kind(other.kind()),
        }
    }

    /// The kind of outcomes of `kind` (a status without its code is [`EventKind::Unknown`]:
    /// use [`EventKind::Status`]).
    pub fn of_outcome_kind(kind: OutcomeKind) -> EventKind {
        match kind {
            OutcomeKind::Correct => EventKind::Correct,
            OutcomeKind::WrongAnswer => EventKind::WrongAnswer,
            OutcomeKind::HttpStatus => EventKind::Unknown,
            failure => EventKind::Failure(failure),
        }
    }

    /// The stable name stored in the ledger and sent in JSON: `correct`, `correct_slow`,
    /// `wrong_answer`, `http_503`, a failure's [`OutcomeKind::name`] (`timeout`,
    /// `connect_refused`, `tls_untrusted`, …), `billing`, `organizer`, `void`, `unknown`.
    pub fn name(self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            EventKind::Correct => "correct",
            EventKind::CorrectSlow => "correct_slow",
            EventKind::WrongAnswer => "wrong_answer",
            EventKind::Status(code) => return Cow::Owned(format!("http_{code}")),
            EventKind::Failure(kind) => kind.name(),
            EventKind::Billing => "billing",
            EventKind::Organizer => "organizer",
            EventKind::Void => "void",
            EventKind::Unknown => "unknown",
        })
    }

    /// The kind named `text` (see [`EventKind::name`]).
    pub fn parse(text: &str) -> Option<EventKind> {
        let fixed = [
            EventKind::Correct,
            EventKind::CorrectSlow,
            EventKind::WrongAnswer,
            EventKind::Billing,
            EventKind::Organizer,
            EventKind::Void,
            EventKind::Unknown,
        ];
        if let Some(code) = text.strip_prefix("http_") {
            return code.parse().ok().map(EventKind::Status);
        }
        fixed
            .into_iter()
            .chain(EventKind::FAILURES.map(EventKind::Failure))
            .find(|k| k.name() == text)
    }

    /// What a team reads in the panel's first column: `503 Service Unavailable`, `timeouts`,
    /// `wrong answers`, `billing`.
    pub fn label(self) -> Cow<'static, str> {
        use OutcomeKind as K;
        Cow::Borrowed(match self {
            EventKind::Correct => "correct answers",
            EventKind::CorrectSlow => "correct but slower than the SLA",
            EventKind::WrongAnswer => "wrong answers",
            EventKind::Status(code) => {
                let name = http::StatusCode::from_u16(code)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("");
                return Cow::Owned(format!("{code} {name}").trim_end().to_owned());
            }
            EventKind::Failure(kind) => match kind {
                K::Timeout => "timeouts",
                K::ConnectRefused => "connections refused",
                K::ConnectTimeout => "connections not accepted in time",
                K::Reset => "connections cut",
                K::TooLarge => "answers too large",
                K::Malformed => "answers not HTTP",
                K::Dropped => "requests not sent (too many in flight)",
                K::TlsUntrusted => "TLS: certificate not trusted",
                K::TlsExpired => "TLS: certificate expired",
                K::TlsWrongHost => "TLS: certificate for another host",
                K::TlsHandshakeTimeout => "TLS: handshake too slow",
                K::TlsRefused => "TLS: handshake failed",
                K::PlainHttpOnTlsPort => "plain HTTP sent to a TLS port",
                K::TlsOnPlainPort => "TLS sent to a plain HTTP port",
                K::DnsError => "host name does not resolve",
                K::Correct | K::WrongAnswer | K::HttpStatus => "other failures",
            },
            EventKind::Billing => "billing",
            EventKind::Organizer => "organizer",
            EventKind::Void => "voided ticks",
            EventKind::Unknown => "other",
        })
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for EventKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<EventKind, D::Error> {
        let text = Cow::<str>::deserialize(d)?;
        EventKind::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("no event kind {text:?}")))
    }
}

/// The recorded thing an event was derived from, by its idempotency key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Cause {
    /// An outcome batch, by its id.
    Batch(String),
    /// A billing block: team, instance, block number.
    Block {
        team: String,
        instance: String,
        block: u32,
    },
    /// An organizer adjustment, by its id.
    Adjustment(String),
    /// The missing load segments of one team's tick in a split game.
    Void { team: String, run: u64, tick: u64 },
}

impl Cause {
    /// The key the ledger stores the cause under.
    /// The key of the batch `id`'s cause: that of `Cause::Batch(id.to_string())`.
    pub fn batch_key(id: loadgen_outcome::BatchId) -> String {
        format!("batch:{id}")
    }

    pub fn key(&self) -> String {
        match self {
            Cause::Batch(id) => format!("batch:{id}"),
            Cause::Block {
                team,
                instance,
                block,
            } => format!("block:{team}/{instance}/{block}"),
            Cause::Adjustment(id) => format!("adjust:{id}"),
            Cause::Void { team, run, tick } => format!("void:{team}/r{run}/k{tick}"),
        }
    }
}

/// One line of a team's score: when, who, from where, how many points, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreEvent {
    /// Game time.
    pub at: GameTime,
    pub team: String,
    pub source: Source,
    pub points: Points,
    /// Written for a team under pressure: how many, what, and an example.
    pub reason: String,
    /// What the event is about ([`EventKind::Unknown`] for one of an older ledger).
    pub kind: EventKind,
    /// How many outcomes it counts (the 3 of `3 × 503`); 1 for a billing block, an
    /// adjustment, a voided tick, and an event of an older ledger.
    pub count: u64,
    /// Key of the cause this event was derived from.
    pub cause: String,
    /// Position among the events of the same cause.
    pub seq: u32,
}

impl std::fmt::Display for ScoreEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}  {:>8}  {:<9}  {}",
            self.at,
            self.points.to_string(),
            self.source.name(),
            self.reason
        )
    }
}

/// Points an organizer gives or takes, with a reason (audited: who, when).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    /// Unique id (the idempotency key).
    pub id: String,
    pub at: GameTime,
    pub team: String,
    pub points: Points,
    pub reason: String,
    /// Who made it.
    pub by: String,
}

/// In a game split over load workers, the segments whose batch for one team's tick had not
/// arrived when the tick was scored: their share of the load is voided (never charged).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentVoid {
    pub at: GameTime,
    pub team: String,
    pub run: u64,
    pub tick: u64,
    /// How many segments the game is split into (0: no worker had joined yet).
    pub segments: u32,
    /// The segments missing, by number from 0.
    pub missing: Vec<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_failures_are_every_outcome_kind_without_an_answer() {
        let answers = [
            OutcomeKind::Correct,
            OutcomeKind::WrongAnswer,
            OutcomeKind::HttpStatus,
        ];
        let failures: Vec<OutcomeKind> = OutcomeKind::ALL
            .into_iter()
            .filter(|k| !answers.contains(k))
            .collect();
        assert_eq!(failures, EventKind::FAILURES);
    }

    #[test]
    fn every_kind_reads_back_from_its_name() {
        let mut kinds = vec![
            EventKind::Correct,
            EventKind::CorrectSlow,
            EventKind::WrongAnswer,
            EventKind::Status(503),
            EventKind::Status(500),
            EventKind::Billing,
            EventKind::Organizer,
            EventKind::Void,
            EventKind::Unknown,
        ];
        kinds.extend(EventKind::FAILURES.map(EventKind::Failure));
        for kind in kinds {
            assert_eq!(EventKind::parse(&kind.name()), Some(kind), "{kind}");
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(serde_json::from_str::<EventKind>(&json).unwrap(), kind);
        }
        assert_eq!(EventKind::Status(503).name(), "http_503");
        assert_eq!(EventKind::Status(503).label(), "503 Service Unavailable");
        assert_eq!(EventKind::parse("http_x"), None);
        assert_eq!(EventKind::parse("teapot"), None);
        assert_eq!(
            EventKind::of_outcome(&Outcome::HttpStatus(502)),
            EventKind::Status(502)
        );
        assert_eq!(
            EventKind::of_outcome(&Outcome::ConnectTimeout),
            EventKind::Failure(OutcomeKind::ConnectTimeout)
        );
    }
}
