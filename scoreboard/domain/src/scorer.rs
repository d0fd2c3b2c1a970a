//! The scorer: recorded causes in, score events with reasons out. A pure function of the
//! cause and the rules, so a game can always be rescored.

use loadgen_outcome::{Outcome, OutcomeKind};

use crate::billing::BillingBlock;
use crate::event::{Adjustment, Cause, EventKind, ScoreEvent, SegmentVoid, Source};
use crate::record::{BatchFacts, RecordedBatch};
use crate::{Points, Rules, ScoreError};

/// Characters of an answer shown in a reason.
const SHOWN: usize = 8;

/// Turns causes into events under one set of rules.
#[derive(Clone, Debug)]
pub struct Scorer {
    rules: Rules,
}

/// Events of one cause, numbered as they are added.
struct Events<'a> {
    out: Vec<ScoreEvent>,
    template: (&'a str, crate::GameTime, String),
}

impl Events<'_> {
    /// Adds an event about `count` outcomes (or blocks, adjustments, ticks) of `kind`.
    fn push(
        &mut self,
        source: Source,
        kind: EventKind,
        count: u64,
        points: Points,
        reason: String,
    ) {
        let (team, at, cause) = &self.template;
        let seq = self.out.len() as u32;
        self.out.push(ScoreEvent {
            at: *at,
            team: (*team).to_owned(),
            source,
            points,
            reason,
            kind,
            count,
            cause: cause.clone(),
            seq,
        });
    }
}

impl Scorer {
    pub fn new(rules: Rules) -> Result<Scorer, ScoreError> {
        rules.validate()?;
        Ok(Scorer { rules })
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The events of one outcome batch: one per reason, in a fixed order.
    pub fn batch_events(&self, recorded: &RecordedBatch) -> Vec<ScoreEvent> {
        self.facts_events(&BatchFacts::of(recorded))
    }

    /// The events of what the scorer reads of a batch (see [`Scorer::batch_events`]).
    pub fn facts_events(&self, b: &BatchFacts) -> Vec<ScoreEvent> {
        let r = &self.rules;
        let mut ev = Events {
            out: Vec::new(),
            template: (&b.team, b.at, Cause::batch_key(b.id)),
        };
        self.answer_events(b, &mut ev);
        let c = &b.counts;
        for (&code, &n) in c.statuses() {
            let points = r.status_points(code);
            ev.push(
                Source::LoadGen,
                EventKind::Status(code),
                n,
                points.times(n),
                format!("{n} × {}", status_text(code)),
            );
        }
        // Every failure without an answer: the kinds after a wrong answer and a status.
        let failures = OutcomeKind::ALL.into_iter().filter(|k| {
            !matches!(
                k,
                OutcomeKind::Correct | OutcomeKind::WrongAnswer | OutcomeKind::HttpStatus
            )
        });
        for kind in failures {
            let n = c.get(kind);
            if n > 0 {
                let detail = b
                    .error_samples
                    .iter()
                    .find(|s| s.outcome.kind() == kind)
                    .map(|s| &s.outcome);
                let points = r.error_points(kind).unwrap_or_default();
                ev.push(
                    Source::LoadGen,
                    EventKind::Failure(kind),
                    n,
                    points.times(n),
                    failure_text(kind, n, detail),
                );
            }
        }
        if b.sends > 0 && b.late_sends * 1000 > b.sends * u64::from(r.void_late_per_mille) {
            ev.out.retain(|e| e.points.0 >= 0);
            let share = 100.0 * b.late_sends as f64 / b.sends as f64;
            ev.push(
                Source::Engine,
                EventKind::Void,
                1,
                Points(0),
                format!(
                    "tick {} voided: our load generator fell behind ({share:.1} % of sends late); no points lost",
                    b.id.tick
                ),
            );
            for (i, e) in ev.out.iter_mut().enumerate() {
                e.seq = i as u32;
            }
        }
        ev.out
    }

    /// The events of a batch's answers: correct ones within and past the SLA, wrong ones.
    fn answer_events(&self, b: &BatchFacts, ev: &mut Events) {
        let r = &self.rules;
        let correct = b.counts.get(OutcomeKind::Correct);
        let slow = b.correct_latency.count_above(r.sla).min(correct);
        let fast = correct - slow;
        if fast > 0 {
            let p99 = fmt_secs(b.correct_latency.quantile(0.99));
            ev.push(
                Source::LoadGen,
                EventKind::Correct,
                fast,
                r.correct.times(fast),
                format!("{fast} correct {} (p99 {p99})", plural(fast, "answer")),
            );
        }
        if slow > 0 {
            let sla = fmt_secs(r.sla);
            ev.push(
                Source::LoadGen,
                EventKind::CorrectSlow,
                slow,
                r.correct_slow.times(slow),
                format!(
                    "{slow} correct {} slower than the {sla} SLA",
                    plural(slow, "answer")
                ),
            );
        }
        let wrong = b.counts.get(OutcomeKind::WrongAnswer);
        if wrong > 0 {
            let example = b.wrong_samples.first().map_or(String::new(), |s| {
                format!(
                    ", e.g. key {}: got {:?}, expected {:?}",
                    s.key,
                    shorten(&String::from_utf8_lossy(&s.got)),
                    shorten(s.expected.as_str())
                )
            });
            let verb = if wrong == 1 {
                "answer did"
            } else {
                "answers did"
            };
            ev.push(
                Source::LoadGen,
                EventKind::WrongAnswer,
                wrong,
                r.wrong_answer.times(wrong),
                format!("{wrong} {verb} not match{example}"),
            );
        }
    }

    /// The event of one billing block.
    pub fn block_events(&self, block: &BillingBlock) -> Vec<ScoreEvent> {
        let billing = &self.rules.billing;
        let cause = Cause::Block {
            team: block.team.clone(),
            instance: block.instance.clone(),
            block: block.block,
        };
        let mut ev = Events {
            out: Vec::new(),
            template: (&block.team, block.at, cause.key()),
        };
        let minutes = billing.block.as_secs() / 60;
        let length = if minutes > 0 && billing.block.as_secs().is_multiple_of(60) {
            format!("{minutes}-minute")
        } else {
            format!("{}-second", billing.block.as_secs())
        };
        ev.push(
            Source::Billing,
            EventKind::Billing,
            1,
            billing.block_points(),
            format!(
                "EC2 {} ({}) running: {length} block #{} started ({})",
                block.instance, block.instance_type, block.block, billing.price
            ),
        );
        ev.out
    }

    /// The event of a tick whose load segments did not all arrive: 0 points, and why.
    pub fn void_events(&self, void: &SegmentVoid) -> Vec<ScoreEvent> {
        let cause = Cause::Void {
            team: void.team.clone(),
            run: void.run,
            tick: void.tick,
        };
        let mut ev = Events {
            out: Vec::new(),
            template: (&void.team, void.at, cause.key()),
        };
        let reason = if void.segments == 0 || void.missing.len() as u32 >= void.segments {
            format!(
                "tick {} voided: no load worker sent its requests; no points lost",
                void.tick
            )
        } else {
            let names: Vec<String> = void
                .missing
                .iter()
                .map(|s| format!("{s}/{}", void.segments))
                .collect();
            let share = 100 * void.missing.len() as u32 / void.segments;
            format!(
                "tick {}: load {} {} lost: {share} % of this tick's requests voided; no points lost",
                void.tick,
                if names.len() == 1 {
                    "worker"
                } else {
                    "workers"
                },
                names.join(", ")
            )
        };
        ev.push(Source::Engine, EventKind::Void, 1, Points(0), reason);
        ev.out
    }

    /// The event of one organizer adjustment.
    pub fn adjustment_events(&self, adj: &Adjustment) -> Vec<ScoreEvent> {
        let mut ev = Events {
            out: Vec::new(),
            template: (&adj.team, adj.at, Cause::Adjustment(adj.id.clone()).key()),
        };
        ev.push(
            Source::Organizer,
            EventKind::Organizer,
            1,
            adj.points,
            format!("{} (by {})", adj.reason, adj.by),
        );
        ev.out
    }
}

/// `word`, or `words` unless `n` is 1 (written where it is used: no string of its own).
fn plural(n: u64, word: &str) -> Plural<'_> {
    Plural(n, word)
}

struct Plural<'a>(u64, &'a str);

impl std::fmt::Display for Plural<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.1)?;
        if self.0 != 1 {
            f.write_str("s")?;
        }
        Ok(())
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= SHOWN {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(SHOWN).collect::<String>())
    }
}

/// `1.2 s`, `35 ms`: a latency as a reason shows it.
fn fmt_secs(d: std::time::Duration) -> Secs {
    Secs(d)
}

struct Secs(std::time::Duration);

impl std::fmt::Display for Secs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.0.as_secs_f64();
        if s >= 1.0 || s == 0.0 {
            write!(f, "{s:.1} s")
        } else {
            write!(f, "{:.0} ms", s * 1e3)
        }
    }
}

/// `503 Service Unavailable (your queue is full)`: the code, its name, and a hint.
fn status_text(code: u16) -> String {
    let name = http::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let hint = match code {
        500 => " (your server failed)",
        502 | 504 => " (your load balancer could not get an answer from a server)",
        503 => " (your queue is full)",
        404 => " (we ask GET /calc?input=KEY)",
        301 | 302 | 307 | 308 => " (redirects are not followed)",
        _ => "",
    };
    format!("{code} {name}{hint}").replace("  ", " ")
}

fn failure_text(kind: OutcomeKind, n: u64, example: Option<&Outcome>) -> String {
    let detail = example
        .and_then(Outcome::detail)
        .map(|detail| format!(", e.g. {detail}"))
        .unwrap_or_default();
    match kind {
        OutcomeKind::Timeout => format!(
            "{n} {} timed out (no full answer in time)",
            plural(n, "request")
        ),
        OutcomeKind::ConnectRefused => format!(
            "{n} {} refused (is the server up?){detail}",
            plural(n, "connection")
        ),
        OutcomeKind::DnsError => format!(
            "{n} {} not made: the host name did not resolve (is the URL's DNS record \
             there?){detail}",
            plural(n, "connection")
        ),
        OutcomeKind::ConnectTimeout => format!(
            "{n} {} not accepted in time (security group, network ACL, or a full backlog?)",
            plural(n, "connection")
        ),
        OutcomeKind::Reset => format!(
            "{n} {} cut before the answer was complete{detail}",
            plural(n, "connection")
        ),
        OutcomeKind::TooLarge => format!(
            "{n} {} too large: body or headers past the cap (an answer is 44 bytes)",
            plural(n, "answer")
        ),
        OutcomeKind::Malformed => format!(
            "{n} {} not HTTP{detail}",
            if n == 1 { "answer was" } else { "answers were" }
        ),
        OutcomeKind::Dropped => format!(
            "{n} {} not sent: too many already in flight (your site was too slow to take {})",
            plural(n, "request"),
            if n == 1 { "it" } else { "them" }
        ),
        OutcomeKind::TlsUntrusted => format!(
            "{n} TLS {} refused by us: your certificate is not trusted (self-signed, or \
             a CA the organizers were not given){detail}",
            plural(n, "connection")
        ),
        OutcomeKind::TlsExpired => format!(
            "{n} TLS {} refused by us: your certificate has expired or is not valid yet{detail}",
            plural(n, "connection")
        ),
        OutcomeKind::TlsWrongHost => format!(
            "{n} TLS {} refused by us: your certificate is not for the host in your URL{detail}",
            plural(n, "connection")
        ),
        OutcomeKind::TlsHandshakeTimeout => format!(
            "{n} TLS {} not finished in time (is the port TLS? is the terminator overloaded?)",
            plural(n, "handshake")
        ),
        OutcomeKind::TlsRefused => format!("{n} TLS {} failed{detail}", plural(n, "handshake")),
        OutcomeKind::PlainHttpOnTlsPort => format!(
            "{n} plain HTTP {} sent to a port that speaks TLS: register an https:// URL",
            plural(n, "request")
        ),
        OutcomeKind::TlsOnPlainPort => format!(
            "{n} TLS {} sent to a port that speaks plain HTTP: register an http:// URL, or \
             put TLS in front",
            plural(n, "handshake")
        ),
        OutcomeKind::Correct | OutcomeKind::WrongAnswer | OutcomeKind::HttpStatus => {
            format!("{n} × {}", kind.name())
        }
    }
}
