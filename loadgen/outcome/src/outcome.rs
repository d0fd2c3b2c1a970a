//! What happened to one request, and counts of outcomes by kind.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The outcome of one scheduled request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The right answer.
    Correct,
    /// A 2xx answer that is not the expected hash; `got` is cut to a few dozen bytes.
    WrongAnswer { got: Vec<u8> },
    /// A status other than 2xx.
    HttpStatus(u16),
    /// No full answer within the total timeout.
    Timeout,
    /// The connection was refused (or could not be made for another reason, in `detail`).
    ConnectRefused { detail: String },
    /// The URL's host name did not resolve (or resolved to no address).
    DnsError { detail: String },
    /// The connection was not accepted within the connect timeout.
    ConnectTimeout,
    /// The connection closed or reset before a full answer.
    Reset { detail: String },
    /// The body (or the headers) went past the cap.
    TooLarge,
    /// Not HTTP.
    Malformed { detail: String },
    /// Not sent: the target already had its cap of requests in flight ("your site was too
    /// slow to take it").
    Dropped,
    /// TLS went wrong: which way, and what the handshake said.
    Tls { failure: TlsFailure, detail: String },
}

/// How TLS went wrong between us and a team's endpoint: each says what the team can fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TlsFailure {
    /// The certificate does not chain to a root we trust (self-signed, or a private CA
    /// the organizers were not given).
    Untrusted,
    /// The certificate has expired, or is not valid yet.
    Expired,
    /// The certificate is not for the host name in the URL.
    WrongHost,
    /// No finished handshake within the connect timeout.
    HandshakeTimeout,
    /// The server refused the handshake (an alert), cut it, or answered with bytes that
    /// are not TLS (or past its limits); or ended the session with a fatal alert after
    /// the handshake (a client certificate demanded, in TLS 1.3), or broke it.
    Refused,
    /// A plain HTTP request (an `http://` URL) to a port that speaks TLS.
    PlainHttpOnTlsPort,
    /// A TLS handshake (an `https://` URL) to a port that speaks plain HTTP.
    TlsOnPlainPort,
}

impl TlsFailure {
    /// Every failure, in the order of their kinds.
    pub const ALL: [TlsFailure; 7] = [
        TlsFailure::Untrusted,
        TlsFailure::Expired,
        TlsFailure::WrongHost,
        TlsFailure::HandshakeTimeout,
        TlsFailure::Refused,
        TlsFailure::PlainHttpOnTlsPort,
        TlsFailure::TlsOnPlainPort,
    ];

    /// The kind it is counted as.
    pub fn kind(self) -> OutcomeKind {
        match self {
            TlsFailure::Untrusted => OutcomeKind::TlsUntrusted,
            TlsFailure::Expired => OutcomeKind::TlsExpired,
            TlsFailure::WrongHost => OutcomeKind::TlsWrongHost,
            TlsFailure::HandshakeTimeout => OutcomeKind::TlsHandshakeTimeout,
            TlsFailure::Refused => OutcomeKind::TlsRefused,
            TlsFailure::PlainHttpOnTlsPort => OutcomeKind::PlainHttpOnTlsPort,
            TlsFailure::TlsOnPlainPort => OutcomeKind::TlsOnPlainPort,
        }
    }

    /// The failure counted as `kind`, if it is a TLS kind.
    pub fn of_kind(kind: OutcomeKind) -> Option<TlsFailure> {
        TlsFailure::ALL.into_iter().find(|f| f.kind() == kind)
    }
}

impl Outcome {
    /// The kind, for counting.
    pub fn kind(&self) -> OutcomeKind {
        match self {
            Outcome::Correct => OutcomeKind::Correct,
            Outcome::WrongAnswer { .. } => OutcomeKind::WrongAnswer,
            Outcome::HttpStatus(_) => OutcomeKind::HttpStatus,
            Outcome::Timeout => OutcomeKind::Timeout,
            Outcome::ConnectRefused { .. } => OutcomeKind::ConnectRefused,
            Outcome::ConnectTimeout => OutcomeKind::ConnectTimeout,
            Outcome::Reset { .. } => OutcomeKind::Reset,
            Outcome::TooLarge => OutcomeKind::TooLarge,
            Outcome::Malformed { .. } => OutcomeKind::Malformed,
            Outcome::Dropped => OutcomeKind::Dropped,
            Outcome::Tls { failure, .. } => failure.kind(),
            Outcome::DnsError { .. } => OutcomeKind::DnsError,
        }
    }

    /// What the exchange said about the failure, in prose, for the kinds that keep it.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Outcome::ConnectRefused { detail }
            | Outcome::DnsError { detail }
            | Outcome::Reset { detail }
            | Outcome::Malformed { detail }
            | Outcome::Tls { detail, .. } => Some(detail),
            _ => None,
        }
    }
}

/// The outcome in prose, for people: its detail when it has one (the game's reasons show
/// the same text), else what the kind means.
impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(detail) = self.detail() {
            return f.write_str(detail);
        }
        match self {
            Outcome::Correct => f.write_str("the right answer"),
            Outcome::WrongAnswer { got } => {
                write!(f, "a wrong answer: {:?}", String::from_utf8_lossy(got))
            }
            Outcome::HttpStatus(code) => write!(f, "HTTP status {code}"),
            Outcome::Timeout => f.write_str("no full answer within the timeout"),
            Outcome::ConnectTimeout => {
                f.write_str("the connection was not accepted within the connect timeout")
            }
            Outcome::TooLarge => f.write_str("the body or the headers went past the cap"),
            Outcome::Dropped => {
                f.write_str("not sent: the cap of requests in flight was already reached")
            }
            // Kinds with a detail were written above.
            _ => Ok(()),
        }
    }
}

/// The kinds of outcome, without their details.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    Correct,
    WrongAnswer,
    HttpStatus,
    Timeout,
    ConnectRefused,
    ConnectTimeout,
    Reset,
    TooLarge,
    Malformed,
    Dropped,
    // The TLS kinds come last: stored batches name kinds by their place in this list.
    TlsUntrusted,
    TlsExpired,
    TlsWrongHost,
    TlsHandshakeTimeout,
    TlsRefused,
    PlainHttpOnTlsPort,
    TlsOnPlainPort,
    // Kinds added later come after: stored batches keep their places.
    DnsError,
}

/// How many kinds there are.
const KINDS: usize = 18;

impl OutcomeKind {
    /// Every kind, in a fixed order.
    pub const ALL: [OutcomeKind; KINDS] = [
        OutcomeKind::Correct,
        OutcomeKind::WrongAnswer,
        OutcomeKind::HttpStatus,
        OutcomeKind::Timeout,
        OutcomeKind::ConnectRefused,
        OutcomeKind::ConnectTimeout,
        OutcomeKind::Reset,
        OutcomeKind::TooLarge,
        OutcomeKind::Malformed,
        OutcomeKind::Dropped,
        OutcomeKind::TlsUntrusted,
        OutcomeKind::TlsExpired,
        OutcomeKind::TlsWrongHost,
        OutcomeKind::TlsHandshakeTimeout,
        OutcomeKind::TlsRefused,
        OutcomeKind::PlainHttpOnTlsPort,
        OutcomeKind::TlsOnPlainPort,
        OutcomeKind::DnsError,
    ];

    /// The stable snake_case name used in JSON and reports.
    pub fn name(self) -> &'static str {
        match self {
            OutcomeKind::Correct => "correct",
            OutcomeKind::WrongAnswer => "wrong_answer",
            OutcomeKind::HttpStatus => "http_status",
            OutcomeKind::Timeout => "timeout",
            OutcomeKind::ConnectRefused => "connect_refused",
            OutcomeKind::ConnectTimeout => "connect_timeout",
            OutcomeKind::Reset => "reset",
            OutcomeKind::TooLarge => "too_large",
            OutcomeKind::Malformed => "malformed",
            OutcomeKind::Dropped => "dropped",
            OutcomeKind::TlsUntrusted => "tls_untrusted",
            OutcomeKind::TlsExpired => "tls_expired",
            OutcomeKind::TlsWrongHost => "tls_wrong_host",
            OutcomeKind::TlsHandshakeTimeout => "tls_handshake_timeout",
            OutcomeKind::TlsRefused => "tls_refused",
            OutcomeKind::PlainHttpOnTlsPort => "plain_http_on_tls_port",
            OutcomeKind::TlsOnPlainPort => "tls_on_plain_port",
            OutcomeKind::DnsError => "dns_error",
        }
    }

    /// Whether a request of this kind got a response whose latency means something.
    pub fn has_latency(self) -> bool {
        matches!(
            self,
            OutcomeKind::Correct
                | OutcomeKind::WrongAnswer
                | OutcomeKind::HttpStatus
                | OutcomeKind::TooLarge
                | OutcomeKind::Timeout
        )
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Counts of outcomes by kind, and of HTTP statuses by code. Merging two counts is adding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutcomeCounts {
    by_kind: [u64; KINDS],
    by_status: BTreeMap<u16, u64>,
}

impl OutcomeCounts {
    /// Counts one outcome.
    pub fn record(&mut self, outcome: &Outcome) {
        self.by_kind[outcome.kind().index()] += 1;
        if let Outcome::HttpStatus(code) = outcome {
            *self.by_status.entry(*code).or_default() += 1;
        }
    }

    /// Adds `n` outcomes of `kind` (not `HttpStatus`: statuses go through
    /// [`OutcomeCounts::add_status`], which keeps the two counts in step).
    pub fn add(&mut self, kind: OutcomeKind, n: u64) {
        assert!(
            kind != OutcomeKind::HttpStatus,
            "statuses are added with add_status"
        );
        self.by_kind[kind.index()] += n;
    }

    /// Adds `n` answers with status `code`.
    pub fn add_status(&mut self, code: u16, n: u64) {
        self.by_kind[OutcomeKind::HttpStatus.index()] += n;
        *self.by_status.entry(code).or_default() += n;
    }

    /// Adds another count into this one.
    pub fn merge(&mut self, other: &OutcomeCounts) {
        for (mine, theirs) in self.by_kind.iter_mut().zip(other.by_kind) {
            *mine += theirs;
        }
        for (code, n) in &other.by_status {
            *self.by_status.entry(*code).or_default() += n;
        }
    }

    /// How many outcomes of `kind`.
    pub fn get(&self, kind: OutcomeKind) -> u64 {
        self.by_kind[kind.index()]
    }

    /// Statuses other than 2xx, by code.
    pub fn statuses(&self) -> &BTreeMap<u16, u64> {
        &self.by_status
    }

    /// Every outcome counted, dropped ones included.
    pub fn total(&self) -> u64 {
        self.by_kind.iter().sum()
    }

    /// Every outcome that is not a correct answer.
    pub fn errors(&self) -> u64 {
        self.total() - self.get(OutcomeKind::Correct)
    }

    /// Connections not made: refused, not accepted in time, or a name that did not resolve.
    pub fn connect_errors(&self) -> u64 {
        self.get(OutcomeKind::ConnectRefused)
            + self.get(OutcomeKind::ConnectTimeout)
            + self.get(OutcomeKind::DnsError)
    }

    /// TLS failures of any kind.
    pub fn tls_errors(&self) -> u64 {
        TlsFailure::ALL.iter().map(|f| self.get(f.kind())).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_record_merge_and_total() {
        let mut a = OutcomeCounts::default();
        a.record(&Outcome::Correct);
        a.record(&Outcome::HttpStatus(503));
        a.record(&Outcome::HttpStatus(503));
        let mut b = OutcomeCounts::default();
        b.record(&Outcome::HttpStatus(500));
        b.record(&Outcome::Dropped);
        a.merge(&b);
        assert_eq!(a.total(), 5);
        assert_eq!(a.errors(), 4);
        assert_eq!(a.get(OutcomeKind::HttpStatus), 3);
        assert_eq!(a.statuses().get(&503), Some(&2));
        assert_eq!(a.statuses().get(&500), Some(&1));
        assert_eq!(a.get(OutcomeKind::Dropped), 1);
    }

    #[test]
    fn kinds_have_distinct_names_in_order() {
        let names: Vec<_> = OutcomeKind::ALL.iter().map(|k| k.name()).collect();
        let mut sorted = names.clone();
        sorted.dedup();
        assert_eq!(names.len(), sorted.len());
        for (i, k) in OutcomeKind::ALL.iter().enumerate() {
            assert_eq!(k.index(), i);
        }
        for f in TlsFailure::ALL {
            assert_eq!(TlsFailure::of_kind(f.kind()), Some(f));
        }
        assert_eq!(TlsFailure::of_kind(OutcomeKind::Reset), None);
    }

    #[test]
    fn outcomes_read_as_prose() {
        let tls = Outcome::Tls {
            failure: TlsFailure::Untrusted,
            detail: "the certificate of localhost is not trusted".into(),
        };
        assert_eq!(
            tls.to_string(),
            "the certificate of localhost is not trusted"
        );
        let dns = Outcome::DnsError {
            detail: "x.invalid:80: cannot resolve".into(),
        };
        assert_eq!(dns.to_string(), "x.invalid:80: cannot resolve");
        assert_eq!(dns.kind().name(), "dns_error");
        for o in [Outcome::Timeout, Outcome::ConnectTimeout, Outcome::Dropped] {
            let text = o.to_string();
            assert!(!text.is_empty() && !text.contains('{'), "{o:?}: {text}");
        }
    }
}
