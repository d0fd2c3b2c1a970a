//! Scoring rules: points for each outcome kind, the latency SLA, billing, engine fairness.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::billing::BillingRules;
use crate::{Points, ScoreError};

/// How outcomes become points. Defaults follow the story and the economics of the design:
/// a correct answer earns 1 point, a wrong one costs 1, a dollar is worth 50 points.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Rules {
    /// A correct answer within the SLA.
    #[serde(with = "points_text")]
    pub correct: Points,
    /// Latency (from due) within which a correct answer earns full points.
    #[serde(with = "duration_text")]
    pub sla: Duration,
    /// A correct answer slower than the SLA.
    #[serde(with = "points_text")]
    pub correct_slow: Points,
    /// A 2xx answer that is not the hash.
    #[serde(with = "points_text")]
    pub wrong_answer: Points,
    /// Statuses 500–599.
    #[serde(with = "points_text")]
    pub status_5xx: Points,
    /// Statuses 400–499.
    #[serde(with = "points_text")]
    pub status_4xx: Points,
    /// Other non-2xx statuses (1xx, 3xx: redirects are not followed).
    #[serde(with = "points_text")]
    pub status_other: Points,
    /// No full answer within the timeout.
    #[serde(with = "points_text")]
    pub timeout: Points,
    /// Connection refused or not accepted in time.
    #[serde(with = "points_text")]
    pub connect_error: Points,
    /// TLS went wrong: a certificate not trusted, expired or for another host, a
    /// handshake refused or not finished in time, plain HTTP on one side.
    #[serde(with = "points_text")]
    pub tls_error: Points,
    /// Connection closed or reset before a full answer.
    #[serde(with = "points_text")]
    pub reset: Points,
    /// An answer past the body cap.
    #[serde(with = "points_text")]
    pub too_large: Points,
    /// An answer that is not HTTP.
    #[serde(with = "points_text")]
    pub malformed: Points,
    /// A request not sent because the team had too many in flight.
    #[serde(with = "points_text")]
    pub dropped: Points,
    /// A tick is voided for a team (no points lost) when more than this many per mille of
    /// its sends left late: the load generator's fault, not the team's.
    pub void_late_per_mille: u32,
    /// EC2 billing.
    pub billing: BillingRules,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            correct: Points::whole(1),
            sla: Duration::from_secs(5),
            correct_slow: Points(250),
            wrong_answer: Points::whole(-1),
            status_5xx: Points(-500),
            status_4xx: Points(-500),
            status_other: Points(-500),
            timeout: Points(-500),
            connect_error: Points(-500),
            tls_error: Points(-500),
            reset: Points(-500),
            too_large: Points(-500),
            malformed: Points(-500),
            dropped: Points(-500),
            void_late_per_mille: 10,
            billing: BillingRules::default(),
        }
    }
}

impl Rules {
    /// What one failed answer of `kind` costs (an HTTP status: by its class, see
    /// [`Rules::status_points`]); `None` for a correct answer.
    pub fn error_points(&self, kind: loadgen_outcome::OutcomeKind) -> Option<Points> {
        use loadgen_outcome::OutcomeKind as K;
        Some(match kind {
            K::Correct => return None,
            K::WrongAnswer => self.wrong_answer,
            K::HttpStatus => self.status_other,
            K::Timeout => self.timeout,
            K::ConnectRefused | K::ConnectTimeout | K::DnsError => self.connect_error,
            K::Reset => self.reset,
            K::TooLarge => self.too_large,
            K::Malformed => self.malformed,
            K::Dropped => self.dropped,
            K::TlsUntrusted
            | K::TlsExpired
            | K::TlsWrongHost
            | K::TlsHandshakeTimeout
            | K::TlsRefused
            | K::PlainHttpOnTlsPort
            | K::TlsOnPlainPort => self.tls_error,
        })
    }

    /// What one answer with HTTP status `code` costs.
    pub fn status_points(&self, code: u16) -> Points {
        match code {
            500..=599 => self.status_5xx,
            400..=499 => self.status_4xx,
            _ => self.status_other,
        }
    }

    /// Checks the rules make sense: rewards are not negative, penalties not positive.
    pub fn validate(&self) -> Result<(), ScoreError> {
        let bad = |m: String| Err(ScoreError::Rules(m));
        if self.correct.0 < 0 || self.correct_slow.0 < 0 {
            return bad("correct and correct_slow must not be negative".into());
        }
        let penalties = [
            ("wrong_answer", self.wrong_answer),
            ("status_5xx", self.status_5xx),
            ("status_4xx", self.status_4xx),
            ("status_other", self.status_other),
            ("timeout", self.timeout),
            ("connect_error", self.connect_error),
            ("tls_error", self.tls_error),
            ("reset", self.reset),
            ("too_large", self.too_large),
            ("malformed", self.malformed),
            ("dropped", self.dropped),
        ];
        for (name, p) in penalties {
            if p.0 > 0 {
                return bad(format!(
                    "{name} is a penalty: it must be 0 or negative, not {p}"
                ));
            }
        }
        if self.sla.is_zero() {
            return bad("sla must be above zero".into());
        }
        if self.void_late_per_mille > 1000 {
            return bad("void_late_per_mille is at most 1000".into());
        }
        self.billing.validate()
    }
}

/// Points as a number of points (decimals allowed to the thousandth) in rule files.
pub(crate) mod points_text {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::Points;

    pub fn serialize<S: Serializer>(p: &Points, s: S) -> Result<S::Ok, S::Error> {
        if p.0 % 1000 == 0 {
            s.serialize_i64(p.0 / 1000)
        } else {
            s.serialize_f64(p.0 as f64 / 1000.0)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Points, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Number {
            Int(i64),
            Float(f64),
        }
        match Number::deserialize(d)? {
            Number::Int(i) => i
                .checked_mul(1000)
                .map(Points)
                .ok_or_else(|| serde::de::Error::custom("points out of range")),
            Number::Float(f) => {
                let milli = (f * 1000.0).round();
                if !f.is_finite() || (f * 1000.0 - milli).abs() > 1e-6 || milli.abs() > 1e15 {
                    return Err(serde::de::Error::custom(format!(
                        "{f} points: use at most three decimals"
                    )));
                }
                Ok(Points(milli as i64))
            }
        }
    }
}

/// Durations as text like `5s` or `15m` in rule files.
pub(crate) mod duration_text {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_duration(&text).map_err(|e| {
            serde::de::Error::custom(format!(
                "{text:?} is not a duration like 90s, 15m or 2h: {e}"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_round_trip_through_json_exactly() {
        let rules = Rules {
            correct_slow: Points(125),
            ..Rules::default()
        };
        let text = serde_json::to_string(&rules).unwrap();
        assert!(text.contains(r#""correct":1"#), "{text}");
        assert!(text.contains(r#""sla":"5s""#), "{text}");
        let back: Rules = serde_json::from_str(&text).unwrap();
        assert_eq!(back, rules);
    }

    #[test]
    fn partial_rules_fill_in_defaults_and_bad_ones_say_why() {
        let r: Rules = serde_json::from_str(r#"{"wrong_answer": -2.5}"#).unwrap();
        assert_eq!(r.wrong_answer, Points(-2500));
        assert_eq!(r.correct, Points::whole(1));
        let err = serde_json::from_str::<Rules>(r#"{"wrong": -2}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `wrong`"), "{err}");
        let err = serde_json::from_str::<Rules>(r#"{"correct": 0.0001}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("three decimals"), "{err}");
        let err = serde_json::from_str::<Rules>(r#"{"sla": "soon"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a duration"), "{err}");
        let r: Rules = serde_json::from_str(r#"{"timeout": 3}"#).unwrap();
        assert!(
            r.validate()
                .unwrap_err()
                .to_string()
                .contains("timeout is a penalty")
        );
        Rules::default().validate().unwrap();
    }
}
