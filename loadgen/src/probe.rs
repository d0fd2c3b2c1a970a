//! An endpoint check: `GET /healthcheck`, then a few keys' answers, sent as the engine
//! sends its load (the same connections, limits, TLS settings, resolver and address rule),
//! and said in words a team can act on.

use std::time::Duration;

use hashref::{Answer, Key};
use tokio::time::Instant;

use crate::LoadgenError;
use crate::address::Resolver;
use crate::client::{Conn, Expect, exchange};
use crate::target::{Base, Target, probe_base};
use crate::tls::connector;
use crate::{Outcome, OutcomeKind};

/// What one step of a probe checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProbeCheck {
    /// `GET /healthcheck`: it must answer 200 (whatever the body).
    Health,
    /// A key's request (`GET /calc?input=KEY`): it must answer the expected hash.
    Answer { key: Key, expected: Answer },
}

/// One request of a probe and what came of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeStep {
    /// The whole URL asked, e.g. `http://203.0.113.7/calc?input=3615-7184-2117`.
    pub url: String,
    /// Its path and query, e.g. `/calc?input=3615-7184-2117`.
    pub path: String,
    pub check: ProbeCheck,
    /// [`Outcome::Correct`] when the check passed: a health check's 200, a key's answer.
    pub outcome: Outcome,
    /// From the start of the request (a new connection's connect and handshake included)
    /// to its whole answer, or to the failure.
    pub latency: Duration,
    /// What came of it, in words (`key 3615-7184-2117: got "Yj2l…", expected "rmtL…"`;
    /// `connection refused: nothing listens on 203.0.113.7:80`).
    pub words: String,
}

impl ProbeStep {
    /// Whether its check passed.
    pub fn passed(&self) -> bool {
        self.outcome == Outcome::Correct
    }
}

/// What a probe found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeReport {
    /// The requests sent, in order: for each URL of the target, its health check then
    /// each key.
    pub steps: Vec<ProbeStep>,
    /// Requests not sent: after a step that got no answer (no connection, no TLS session,
    /// no full answer in time, not HTTP), the URL's other steps would only fail the same
    /// way, each after its own timeout.
    pub skipped: usize,
    /// Answers the probe meant to check (keys × URLs), sent or skipped.
    pub answers: usize,
    /// The probe's whole time, from its first request to its last answer.
    pub took: Duration,
}

impl ProbeReport {
    /// Whether every step passed.
    pub fn passed(&self) -> bool {
        self.skipped == 0 && self.steps.iter().all(ProbeStep::passed)
    }

    /// The first step that failed.
    pub fn failure(&self) -> Option<&ProbeStep> {
        self.steps.iter().find(|s| !s.passed())
    }

    /// The kind of the first failure (to look up the hint that goes with it).
    pub fn failure_kind(&self) -> Option<OutcomeKind> {
        self.failure().map(|s| s.outcome.kind())
    }

    /// Answers that were right.
    pub fn right(&self) -> usize {
        let answer = |s: &&ProbeStep| matches!(s.check, ProbeCheck::Answer { .. });
        self.steps
            .iter()
            .filter(answer)
            .filter(|s| s.passed())
            .count()
    }

    /// The result in words, as a score reason says it: `3 of 3 answers right in 4.1 s
    /// (healthcheck 200)`; when a step failed, its words, after the tally if any answer
    /// was asked: `0 of 3 answers right in 0.2 s; key 3615-7184-2117: got "Yj2l…",
    /// expected "rmtL…"`, or only `connection refused: nothing listens on 203.0.113.7:80`.
    pub fn words(&self) -> String {
        let asked = self
            .steps
            .iter()
            .any(|s| matches!(s.check, ProbeCheck::Answer { .. }));
        let tally = format!(
            "{} of {} answers right in {}",
            self.right(),
            self.answers,
            secs(self.took)
        );
        match self.failure() {
            None => format!("{tally} (healthcheck 200)"),
            Some(step) if asked => format!("{tally}; {}", step.words),
            Some(step) => step.words.clone(),
        }
    }
}

impl std::fmt::Display for ProbeReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.words())
    }
}

/// Checks `target`'s endpoint the way a game loads it: for each of its URLs (a team
/// registers one), `GET /healthcheck` (it must answer 200), then each of `keys` in the
/// target's request shape (it must answer the key's expected hash), one after the other on
/// one kept-alive connection, as the engine sends them: the target's limits (connect and
/// total timeouts for each request, body and header caps, its [`crate::AddressPolicy`]
/// checked before any connection), its TLS settings (the system's roots and its
/// `ca_cert`), and `resolver`. What a server does is never an error: it is a step's
/// [`Outcome`]. A URL's steps stop at the first that got no answer (see
/// [`ProbeReport::skipped`]), so a probe takes at most about (1 + keys) × the timeout a URL.
///
/// Errors: a target that cannot be loaded at all (no URL, a bad URL, limits out of range,
/// a CA file that cannot be read), or no key to ask.
pub async fn probe(
    target: &Target,
    keys: &[(Key, Answer)],
    resolver: &Resolver,
) -> Result<ProbeReport, LoadgenError> {
    target.limits.validate(&target.name)?;
    if target.urls.is_empty() {
        return Err(LoadgenError::Config(format!(
            "target {}: no URL to probe",
            target.name
        )));
    }
    if keys.is_empty() {
        return Err(LoadgenError::Config(
            "a probe needs a key to ask".to_owned(),
        ));
    }
    let tls = connector(target.ca_cert.as_deref(), true)?;
    let just_keys: Vec<Key> = keys.iter().map(|(key, _)| *key).collect();
    let mut bases = Vec::with_capacity(target.urls.len());
    for url in &target.urls {
        bases.push(probe_base(
            &target.name,
            url,
            &target.shape,
            &just_keys,
            &tls,
        )?);
    }
    let started = Instant::now();
    let mut report = ProbeReport {
        steps: Vec::new(),
        skipped: 0,
        answers: keys.len() * bases.len(),
        took: Duration::ZERO,
    };
    let checks: Vec<ProbeCheck> = std::iter::once(ProbeCheck::Health)
        .chain(
            keys.iter()
                .map(|&(key, expected)| ProbeCheck::Answer { key, expected }),
        )
        .collect();
    for (url, (base, paths)) in target.urls.iter().zip(&bases) {
        let endpoint = Endpoint {
            url,
            base,
            paths,
            target,
            resolver,
        };
        endpoint.check(&checks, &mut report).await;
    }
    report.took = started.elapsed();
    Ok(report)
}

/// Whether a request of this kind got an HTTP answer (so the next request may get one too).
fn got_an_answer(kind: OutcomeKind) -> bool {
    matches!(
        kind,
        OutcomeKind::Correct
            | OutcomeKind::WrongAnswer
            | OutcomeKind::HttpStatus
            | OutcomeKind::TooLarge
    )
}

/// `scheme://host[:port]` of a base URL (its path is in each step's path).
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(slash) => &url[..after_scheme + slash],
        None => url,
    }
}

/// One URL of a probed target.
struct Endpoint<'a> {
    url: &'a str,
    /// Its requests: the health check's, then each key's.
    base: &'a Base,
    paths: &'a [String],
    target: &'a Target,
    resolver: &'a Resolver,
}

impl Endpoint<'_> {
    /// Runs `checks` in order on one kept-alive connection, each within the total timeout,
    /// until one gets no answer; adds their steps to `report`.
    async fn check(&self, checks: &[ProbeCheck], report: &mut ProbeReport) {
        let limits = &self.target.limits;
        let mut conn: Option<Conn> = None;
        for (i, (check, path)) in checks.iter().zip(self.paths).enumerate() {
            let expect = match check {
                ProbeCheck::Health => Expect::Ok200,
                ProbeCheck::Answer { expected, .. } => Expect::Body(expected.as_bytes()),
            };
            let request = self.base.requests.get(path);
            let sent = Instant::now();
            let asked = exchange(
                conn.take(),
                self.base,
                request,
                limits,
                self.resolver,
                expect,
            );
            let outcome = match tokio::time::timeout(limits.timeout, asked).await {
                Ok((outcome, kept)) => {
                    conn = kept;
                    outcome
                }
                Err(_) => Outcome::Timeout,
            };
            let answered = got_an_answer(outcome.kind());
            report.steps.push(ProbeStep {
                url: format!("{}{path}", origin(self.url)),
                path: path.clone(),
                words: self.words(check, path, &outcome),
                check: check.clone(),
                outcome,
                latency: sent.elapsed(),
            });
            if !answered {
                report.skipped += checks.len() - i - 1;
                return;
            }
        }
    }

    /// A step's result in words: the outcome's own, and where it happened.
    fn words(&self, check: &ProbeCheck, path: &str, outcome: &Outcome) -> String {
        let limits = &self.target.limits;
        let detail = outcome.detail().unwrap_or_default();
        match (outcome, check) {
            (Outcome::Correct, ProbeCheck::Health) => format!("{path} answered 200"),
            (Outcome::Correct, ProbeCheck::Answer { key, .. }) => format!("key {key}: right"),
            (Outcome::WrongAnswer { got }, ProbeCheck::Answer { key, expected }) => format!(
                "key {key}: got {:?}, expected {:?}",
                shorten(&String::from_utf8_lossy(got)),
                shorten(expected.as_str())
            ),
            (Outcome::HttpStatus(code), check) => {
                let reason = http::StatusCode::from_u16(*code)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .map_or(String::new(), |r| format!(" {r}"));
                let not = match check {
                    ProbeCheck::Health => ", not 200",
                    ProbeCheck::Answer { .. } => "",
                };
                format!("{path} answered {code}{reason}{not}")
            }
            (Outcome::Timeout, _) => {
                format!("{path}: no full answer within {}", secs(limits.timeout))
            }
            (Outcome::ConnectTimeout, _) => format!(
                "connection not accepted: {} did not answer within {}",
                self.base.authority,
                secs(limits.connect_timeout)
            ),
            (Outcome::ConnectRefused { .. }, _) => format!("connection refused: {detail}"),
            (Outcome::DnsError { .. }, _) => format!("the host name did not resolve: {detail}"),
            (Outcome::Reset { .. }, _) => format!("{path}: the connection was cut: {detail}"),
            (Outcome::TooLarge, _) => format!(
                "{path}: the answer went past the cap ({} bytes of body, {} headers)",
                limits.body_cap, limits.max_headers
            ),
            (Outcome::Malformed { .. }, _) => format!("{path}: {detail}"),
            (Outcome::Tls { .. }, _) => detail.to_owned(),
            (other, _) => format!("{path}: {other}"),
        }
    }
}

/// Characters of an answer shown, as the game's reasons show them.
const SHOWN: usize = 8;

fn shorten(text: &str) -> String {
    if text.chars().count() <= SHOWN {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(SHOWN).collect::<String>())
    }
}

/// `4.1 s`, `35 ms`: a time as the game's reasons show it.
fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 || s == 0.0 {
        format!("{s:.1} s")
    } else {
        format!("{:.0} ms", s * 1e3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(check: ProbeCheck, outcome: Outcome, words: &str) -> ProbeStep {
        ProbeStep {
            url: "http://203.0.113.7/x".into(),
            path: "/x".into(),
            check,
            outcome,
            latency: Duration::from_millis(5),
            words: words.into(),
        }
    }

    fn answer() -> ProbeCheck {
        ProbeCheck::Answer {
            key: "3615-7184-2117".parse().unwrap(),
            expected: Answer::from_text("rmtLqR0bAQHNAW7CNBVRNIDB2NSH34ZAANDGrHkJy1g=").unwrap(),
        }
    }

    #[test]
    fn a_report_reads_as_a_score_reason() {
        let ok = |c| step(c, Outcome::Correct, "fine");
        let mut report = ProbeReport {
            steps: vec![
                ok(ProbeCheck::Health),
                ok(answer()),
                ok(answer()),
                ok(answer()),
            ],
            skipped: 0,
            answers: 3,
            took: Duration::from_millis(4100),
        };
        assert!(report.passed());
        assert_eq!(report.failure_kind(), None);
        assert_eq!(
            report.words(),
            "3 of 3 answers right in 4.1 s (healthcheck 200)"
        );
        report.steps[2] = step(
            answer(),
            Outcome::WrongAnswer { got: b"x".to_vec() },
            "key 3615-7184-2117: got \"x\", expected \"rmtLqR0b…\"",
        );
        assert!(!report.passed());
        assert_eq!(report.failure_kind(), Some(OutcomeKind::WrongAnswer));
        assert_eq!(
            report.words(),
            "2 of 3 answers right in 4.1 s; key 3615-7184-2117: got \"x\", expected \"rmtLqR0b…\""
        );
        let refused = ProbeReport {
            steps: vec![step(
                ProbeCheck::Health,
                Outcome::ConnectRefused {
                    detail: "nothing listens on 203.0.113.7:80".into(),
                },
                "connection refused: nothing listens on 203.0.113.7:80",
            )],
            skipped: 3,
            answers: 3,
            took: Duration::from_millis(2),
        };
        assert!(!refused.passed());
        assert_eq!(refused.failure_kind(), Some(OutcomeKind::ConnectRefused));
        assert_eq!(
            refused.words(),
            "connection refused: nothing listens on 203.0.113.7:80"
        );
    }

    /// A web server spawns probes on its multi-threaded runtime.
    #[test]
    fn a_probe_can_be_spawned() {
        fn spawnable<F: Future + Send + 'static>(_: F) {}
        let target = Target::new("t", vec!["http://127.0.0.1:9".into()]);
        spawnable(async move { probe(&target, &[], &Resolver::default()).await });
    }

    #[test]
    fn origins_and_times_read_plainly() {
        assert_eq!(origin("http://h:8080/api/"), "http://h:8080");
        assert_eq!(origin("https://team.example"), "https://team.example");
        assert_eq!(secs(Duration::from_millis(4100)), "4.1 s");
        assert_eq!(secs(Duration::from_millis(35)), "35 ms");
        assert_eq!(shorten("rmtLqR0bAQ"), "rmtLqR0b…");
    }
}
