//! A whole run in numbers: merged batches, the human summary, the JSON report, and
//! `--fail-if` conditions.

use std::io::Write;
use std::time::Duration;

use serde_json::json;

use crate::LatencyHistogram;
use crate::LoadgenError;
use crate::schedule::Stop;
use crate::{ErrorSample, OutcomeBatch, WrongAnswerSample};
use crate::{OutcomeCounts, OutcomeKind};

/// Every batch of a run merged: counts, both latency histograms, a few examples.
#[derive(Clone, Debug, Default)]
pub struct RunSummary {
    pub counts: OutcomeCounts,
    pub latency: LatencyHistogram,
    pub uncorrected: LatencyHistogram,
    pub wrong_samples: Vec<WrongAnswerSample>,
    pub error_samples: Vec<ErrorSample>,
    pub sends: u64,
    pub late_sends: u64,
    /// Wall time of the run.
    pub duration: Duration,
    /// Set when a signal cut the run short.
    pub interrupted: Option<Interruption>,
}

/// A run cut short: when, of what it was to do, by which signal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interruption {
    /// Time from the start of the run at which the signal came.
    pub at: Duration,
    /// What the run was to do (its duration, or its count of requests).
    pub planned: Stop,
    pub signal: Signal,
}

/// A signal that cuts a run (or a game) short.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// Ctrl-C (SIGINT).
    Interrupt,
    /// SIGTERM (what a container runtime sends).
    Terminate,
}

impl Signal {
    /// Its name as the system gives it: `SIGINT`, `SIGTERM`.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    /// The exit code shells give a command this signal ended: 130, 143.
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }
}

impl std::fmt::Display for Signal {
    /// How a person says it: `Ctrl-C`, `SIGTERM`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Signal::Interrupt => "Ctrl-C",
            Signal::Terminate => "SIGTERM",
        })
    }
}

impl std::fmt::Display for Interruption {
    /// `at 3.0 s of 30 s (SIGINT)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at {:.1} s", self.at.as_secs_f64())?;
        match self.planned {
            Stop::After(d) => write!(f, " of {}", fmt_seconds(d))?,
            Stop::Count(n) => write!(f, " of a run of {n} requests")?,
            Stop::Cancelled => {}
        }
        write!(f, " ({})", self.signal.name())
    }
}

/// Whole seconds as `30 s`, others as `2.5 s`.
fn fmt_seconds(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} s", d.as_secs_f64())
    }
}

const QUANTILES: [(&str, f64); 4] = [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p999", 0.999)];

impl RunSummary {
    /// Adds one batch.
    pub fn add(&mut self, batch: &OutcomeBatch) {
        self.counts.merge(&batch.counts);
        self.latency.merge(&batch.latency);
        self.uncorrected.merge(&batch.uncorrected);
        for s in &batch.wrong_samples {
            if self.wrong_samples.len() < 2 {
                self.wrong_samples.push(s.clone());
            }
        }
        for s in &batch.error_samples {
            let kind = s.outcome.kind();
            if !self.error_samples.iter().any(|e| e.outcome.kind() == kind) {
                self.error_samples.push(s.clone());
            }
        }
        self.sends += batch.sends;
        self.late_sends += batch.late_sends;
    }

    /// Requests counted (every outcome, dropped ones included).
    pub fn requests(&self) -> u64 {
        self.counts.total()
    }

    /// Share of requests that were not answered correctly.
    pub fn error_rate(&self) -> f64 {
        ratio(self.counts.errors(), self.requests())
    }

    /// Answers (of any kind) per second of the run.
    pub fn rps(&self) -> f64 {
        let secs = self.duration.as_secs_f64();
        if secs > 0.0 {
            self.requests() as f64 / secs
        } else {
            0.0
        }
    }

    /// A metric's value, latencies in seconds.
    pub fn metric(&self, metric: Metric) -> f64 {
        let c = &self.counts;
        match metric {
            Metric::Requests => self.requests() as f64,
            Metric::Correct => c.get(OutcomeKind::Correct) as f64,
            Metric::Wrong => c.get(OutcomeKind::WrongAnswer) as f64,
            Metric::Errors => c.errors() as f64,
            Metric::ErrorRate => self.error_rate(),
            Metric::Timeouts => c.get(OutcomeKind::Timeout) as f64,
            Metric::Dropped => c.get(OutcomeKind::Dropped) as f64,
            Metric::Rps => self.rps(),
            Metric::Latency(q) => self.latency.quantile(q).as_secs_f64(),
            Metric::MaxLatency => self.latency.max().as_secs_f64(),
        }
    }

    /// The one-line live status: requests, rate, correct share, p99.
    pub fn status_line(&self, elapsed: Duration) -> String {
        let secs = elapsed.as_secs_f64().max(1e-9);
        format!(
            "{} requests  {:.0} req/s  correct {:.1} %  p99 {}",
            self.requests(),
            self.requests() as f64 / secs,
            100.0 * ratio(self.counts.get(OutcomeKind::Correct), self.requests()),
            fmt_latency(&self.latency, |h| h.quantile(0.99)),
        )
    }

    /// The human summary.
    pub fn write_human(&self, out: &mut impl Write) -> std::io::Result<()> {
        let c = &self.counts;
        let n = self.requests();
        let pct = |k: u64| 100.0 * ratio(k, n);
        if let Some(cut) = &self.interrupted {
            writeln!(
                out,
                "Interrupted   {cut}: the figures below are of the run until then"
            )?;
        }
        writeln!(
            out,
            "Requests      {n} in {:.2} s ({:.1} req/s)",
            self.duration.as_secs_f64(),
            self.rps()
        )?;
        let correct = c.get(OutcomeKind::Correct);
        writeln!(out, "Correct       {correct} ({:.2} %)", pct(correct))?;
        let wrong = c.get(OutcomeKind::WrongAnswer);
        writeln!(out, "Wrong answers {wrong} ({:.2} %)", pct(wrong))?;
        for s in &self.wrong_samples {
            writeln!(
                out,
                "  e.g. key {}: got {:?}, expected {:?}",
                s.key,
                String::from_utf8_lossy(&s.got),
                s.expected.as_str()
            )?;
        }
        if !c.statuses().is_empty() {
            let statuses: Vec<String> = c
                .statuses()
                .iter()
                .map(|(code, k)| format!("{code}: {k}"))
                .collect();
            writeln!(out, "HTTP errors   {}", statuses.join(", "))?;
        }
        // Failures without a response to show (statuses and wrong answers are above).
        let failures = OutcomeKind::ALL.into_iter().filter(|k| {
            !matches!(
                k,
                OutcomeKind::Correct | OutcomeKind::WrongAnswer | OutcomeKind::HttpStatus
            )
        });
        for kind in failures {
            let k = c.get(kind);
            if k > 0 {
                let example = self
                    .error_samples
                    .iter()
                    .find(|s| s.outcome.kind() == kind)
                    .map(|s| format!("  e.g. {}", s.outcome))
                    .unwrap_or_default();
                writeln!(out, "{:<13} {k} ({:.2} %){example}", kind.name(), pct(k))?;
            }
        }
        self.write_latency(out)?;
        if self.late_sends > 0 {
            writeln!(
                out,
                "Note: {} of {} sends left more than 5 ms late (this machine was short of CPU)",
                self.late_sends, self.sends
            )?;
        }
        if c.get(OutcomeKind::Correct) == 0 {
            let what = match n {
                0 => "no request was sent".to_owned(),
                n => format!("not one of the {n} requests was answered correctly"),
            };
            writeln!(out, "Warning: {what}")?;
        }
        Ok(())
    }

    /// The latency table, or `n/a` when no answer came to measure.
    fn write_latency(&self, out: &mut impl Write) -> std::io::Result<()> {
        if self.latency.count() == 0 {
            return writeln!(out, "Latency       n/a (no answers)");
        }
        writeln!(out, "Latency       {:>10} {:>10}", "from due", "from send")?;
        for (name, q) in QUANTILES {
            writeln!(
                out,
                "  {name:<11} {:>10} {:>10}",
                fmt_duration(self.latency.quantile(q)),
                fmt_duration(self.uncorrected.quantile(q))
            )?;
        }
        writeln!(
            out,
            "  {:<11} {:>10} {:>10}",
            "max",
            fmt_duration(self.latency.max()),
            fmt_duration(self.uncorrected.max())
        )
    }

    /// The JSON report.
    pub fn to_json(&self) -> serde_json::Value {
        let c = &self.counts;
        // No answer, no latency: null rather than a 0 that reads as a fast server.
        let ms = |h: &LatencyHistogram| {
            let at = |d: Duration| match h.count() {
                0 => serde_json::Value::Null,
                _ => json!(millis(d)),
            };
            let mut m = serde_json::Map::new();
            for (name, q) in QUANTILES {
                m.insert(name.into(), at(h.quantile(q)));
            }
            m.insert("max".into(), at(h.max()));
            serde_json::Value::Object(m)
        };
        let interrupted = self.interrupted.map(|cut| {
            let (planned_s, planned_requests) = match cut.planned {
                Stop::After(d) => (Some(d.as_secs_f64()), None),
                Stop::Count(n) => (None, Some(n)),
                Stop::Cancelled => (None, None),
            };
            json!({
                "at_s": cut.at.as_secs_f64(),
                "planned_s": planned_s,
                "planned_requests": planned_requests,
                "signal": cut.signal.name(),
            })
        });
        let status: serde_json::Map<String, serde_json::Value> = c
            .statuses()
            .iter()
            .map(|(code, n)| (code.to_string(), json!(n)))
            .collect();
        let tls: serde_json::Map<String, serde_json::Value> = crate::TlsFailure::ALL
            .iter()
            .map(|f| (f.kind().name().to_owned(), json!(c.get(f.kind()))))
            .collect();
        json!({
            "requests": self.requests(),
            "correct": c.get(OutcomeKind::Correct),
            "wrong_answer": c.get(OutcomeKind::WrongAnswer),
            "status": status,
            "timeout": c.get(OutcomeKind::Timeout),
            "connect_error": c.connect_errors(),
            "reset": c.get(OutcomeKind::Reset),
            "too_large": c.get(OutcomeKind::TooLarge),
            "malformed": c.get(OutcomeKind::Malformed),
            "dropped": c.get(OutcomeKind::Dropped),
            "tls_error": c.tls_errors(),
            "tls": tls,
            "late_sends": self.late_sends,
            "latency_ms": ms(&self.latency),
            "uncorrected_latency_ms": ms(&self.uncorrected),
            "duration_s": self.duration.as_secs_f64(),
            "interrupted": interrupted,
            "rps": self.rps(),
            "wrong_examples": self.wrong_samples.iter().map(|s| json!({
                "key": s.key.to_string(),
                "got": String::from_utf8_lossy(&s.got),
                "expected": s.expected.as_str(),
            })).collect::<Vec<_>>(),
        })
    }
}

/// Milliseconds with microsecond precision (the histogram has no more).
fn millis(d: Duration) -> f64 {
    d.as_micros() as f64 / 1e3
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// A latency of `h`, or `n/a` when it recorded none.
fn fmt_latency(h: &LatencyHistogram, of: impl Fn(&LatencyHistogram) -> Duration) -> String {
    match h.count() {
        0 => "n/a".to_owned(),
        _ => fmt_duration(of(h)),
    }
}

/// A duration the way people read latencies: 812µs, 12.3ms, 4.01s.
pub fn fmt_duration(d: Duration) -> String {
    let us = d.as_micros();
    if us < 1000 {
        format!("{us}µs")
    } else if us < 1_000_000 {
        format!("{:.1}ms", us as f64 / 1e3)
    } else {
        format!("{:.2}s", us as f64 / 1e6)
    }
}

/// What a `--fail-if` condition looks at.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Metric {
    Requests,
    Correct,
    Wrong,
    Errors,
    ErrorRate,
    Timeouts,
    Dropped,
    Rps,
    /// Latency (from due) at a quantile.
    Latency(f64),
    MaxLatency,
}

impl Metric {
    fn parse(name: &str) -> Option<Metric> {
        Some(match name {
            "requests" => Metric::Requests,
            "correct" => Metric::Correct,
            "wrong" => Metric::Wrong,
            "errors" => Metric::Errors,
            "error_rate" => Metric::ErrorRate,
            "timeouts" | "timeout" => Metric::Timeouts,
            "dropped" => Metric::Dropped,
            "rps" => Metric::Rps,
            "p50" => Metric::Latency(0.5),
            "p90" => Metric::Latency(0.9),
            "p99" => Metric::Latency(0.99),
            "p999" => Metric::Latency(0.999),
            "max" => Metric::MaxLatency,
            _ => return None,
        })
    }

    fn is_latency(self) -> bool {
        matches!(self, Metric::Latency(_) | Metric::MaxLatency)
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
}

/// One condition, like `p99>5s`.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub text: String,
    metric: Metric,
    op: Op,
    value: f64,
}

impl Condition {
    /// Whether the run meets the condition.
    pub fn is_met(&self, summary: &RunSummary) -> bool {
        let v = summary.metric(self.metric);
        match self.op {
            Op::Gt => v > self.value,
            Op::Ge => v >= self.value,
            Op::Lt => v < self.value,
            Op::Le => v <= self.value,
            Op::Eq => v == self.value,
        }
    }
}

/// Conditions that fail a run (exit code 1) when any is met.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FailIf(pub Vec<Condition>);

const METRICS: &str = "requests, correct, wrong, errors, error_rate, timeouts, dropped, rps, p50, p90, p99, p999, max";

impl std::str::FromStr for FailIf {
    type Err = LoadgenError;

    /// Parses `error_rate>0.01,p99>5s,wrong>0`.
    fn from_str(text: &str) -> Result<FailIf, LoadgenError> {
        let mut conditions = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bad = |why: String| LoadgenError::FailIf(format!("{part:?}: {why}"));
            let at = part
                .find(['>', '<', '='])
                .ok_or_else(|| bad("expected METRIC>VALUE, METRIC<VALUE, >=, <= or ==".into()))?;
            let (name, rest) = part.split_at(at);
            let (op, value) = [
                (">=", Op::Ge),
                ("<=", Op::Le),
                ("==", Op::Eq),
                (">", Op::Gt),
                ("<", Op::Lt),
            ]
            .into_iter()
            .find_map(|(sym, op)| rest.strip_prefix(sym).map(|v| (op, v.trim())))
            .ok_or_else(|| bad("expected >, <, >=, <= or ==".into()))?;
            let metric = Metric::parse(name.trim()).ok_or_else(|| {
                bad(format!(
                    "unknown metric {:?}; known: {METRICS}",
                    name.trim()
                ))
            })?;
            let value = if metric.is_latency() {
                humantime::parse_duration(value)
                    .map_err(|_| bad(format!("{value:?} is not a duration like 5s or 250ms")))?
                    .as_secs_f64()
            } else {
                value
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| bad(format!("{value:?} is not a number")))?
            };
            conditions.push(Condition {
                text: part.to_owned(),
                metric,
                op,
                value,
            });
        }
        if conditions.is_empty() {
            return Err(LoadgenError::FailIf("no condition given".into()));
        }
        Ok(FailIf(conditions))
    }
}

impl FailIf {
    /// The conditions the run meets.
    pub fn met<'a>(&'a self, summary: &RunSummary) -> Vec<&'a Condition> {
        self.0.iter().filter(|c| c.is_met(summary)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Outcome;

    fn summary() -> RunSummary {
        let mut s = RunSummary::default();
        for _ in 0..98 {
            s.counts.record(&Outcome::Correct);
            s.latency.record(Duration::from_millis(100));
        }
        s.counts.record(&Outcome::WrongAnswer { got: vec![] });
        s.counts.record(&Outcome::HttpStatus(503));
        s.latency.record(Duration::from_secs(6));
        s.latency.record(Duration::from_secs(6));
        s.duration = Duration::from_secs(10);
        s
    }

    #[test]
    fn fail_if_parses_and_evaluates() {
        let f: FailIf = "error_rate>0.01, p99>5s,wrong>0".parse().unwrap();
        assert_eq!(f.0.len(), 3);
        let s = summary();
        let met: Vec<_> = f.met(&s).iter().map(|c| c.text.as_str()).collect();
        assert_eq!(met, ["error_rate>0.01", "p99>5s", "wrong>0"]);
        let f: FailIf = "error_rate>=0.5,p50>1s,rps<5".parse().unwrap();
        assert!(f.met(&s).is_empty());
    }

    #[test]
    fn fail_if_errors_say_what_was_expected() {
        for (text, why) in [
            ("p99", "expected METRIC>VALUE"),
            ("latency>1s", "unknown metric"),
            ("p99>5", "not a duration"),
            ("wrong>many", "not a number"),
            ("", "no condition"),
        ] {
            let err = text.parse::<FailIf>().unwrap_err().to_string();
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn json_has_the_documented_fields() {
        let j = summary().to_json();
        for field in [
            "requests",
            "correct",
            "wrong_answer",
            "status",
            "timeout",
            "connect_error",
            "dropped",
            "tls_error",
            "tls",
            "latency_ms",
            "uncorrected_latency_ms",
            "duration_s",
            "rps",
        ] {
            assert!(j.get(field).is_some(), "{field}");
        }
        assert_eq!(j["status"]["503"], 1);
        assert_eq!(j["requests"], 100);
        for q in ["p50", "p90", "p99", "p999", "max"] {
            assert!(j["latency_ms"][q].is_number(), "{q}");
        }
    }

    #[test]
    fn no_answers_read_as_no_latency_and_warn() {
        let mut s = RunSummary::default();
        for _ in 0..5 {
            s.counts.record(&Outcome::ConnectRefused {
                detail: "127.0.0.1:9: Connection refused".into(),
            });
        }
        s.duration = Duration::from_secs(1);
        let mut text = Vec::new();
        s.write_human(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("Latency       n/a (no answers)"), "{text}");
        assert!(!text.contains("0µs"), "{text}");
        assert!(
            text.contains("Warning: not one of the 5 requests was answered correctly"),
            "{text}"
        );
        assert!(s.status_line(Duration::from_secs(1)).ends_with("p99 n/a"));
        assert!(s.to_json()["latency_ms"]["p99"].is_null());
        // With answers, no warning and a table.
        let mut text = Vec::new();
        summary().write_human(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            !text.contains("Warning") && text.contains("from due"),
            "{text}"
        );
    }

    #[test]
    fn an_interrupted_run_says_so() {
        let mut s = summary();
        assert!(s.to_json()["interrupted"].is_null());
        s.interrupted = Some(Interruption {
            at: Duration::from_millis(3040),
            planned: Stop::After(Duration::from_secs(30)),
            signal: Signal::Interrupt,
        });
        let mut text = Vec::new();
        s.write_human(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.starts_with("Interrupted   at 3.0 s of 30 s (SIGINT)"),
            "{text}"
        );
        let j = s.to_json();
        assert_eq!(j["interrupted"]["at_s"], 3.04);
        assert_eq!(j["interrupted"]["planned_s"], 30.0);
        assert_eq!(j["interrupted"]["signal"], "SIGINT");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(fmt_duration(Duration::from_micros(812)), "812µs");
        assert_eq!(fmt_duration(Duration::from_micros(12_340)), "12.3ms");
        assert_eq!(fmt_duration(Duration::from_millis(4010)), "4.01s");
    }
}
