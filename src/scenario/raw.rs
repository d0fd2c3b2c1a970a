//! The scenario file as serde reads it: its shape and types, before any range or cross-field
//! check. Values that checks must point at are kept [`Spanned`]; optional fields stay
//! `Option` so that defaults are applied (and documented) in one place, `validate`.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use hashref::unicorn::Flavor;
use loadgen::OutcomeKind;
use scoreboard_domain::Source;
use scoreboard_domain::breaks::BreakAction;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::check::Checker;
use super::locate::{field_at, join};
use super::{CacheKey, ScenarioError};

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScenario {
    pub game: Spanned<RawGame>,
    pub keyset: Option<RawKeyset>,
    pub hash: Option<RawHash>,
    pub load: Spanned<RawLoad>,
    pub scoring: Option<Spanned<RawScoring>>,
    pub billing: Option<Spanned<RawBilling>>,
    #[serde(default)]
    pub team: Vec<Spanned<RawTeam>>,
    #[serde(default)]
    pub timeline: Vec<Spanned<RawTimeline>>,
    #[serde(default)]
    pub expect: Vec<Spanned<RawExpect>>,
    #[serde(default)]
    pub notify: Vec<Spanned<RawNotify>>,
    pub chaos: Option<RawChaos>,
}

/// `[chaos]`: the accounts breaks act on, `[[chaos.aws]]` declared as `[[billing.aws]]` is
/// (the chaos role, not the billing one).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawChaos {
    #[serde(default)]
    pub aws: Vec<Spanned<RawAws>>,
}

/// `[[notify]]`: a webhook, its URL written or (better: it is a secret) in the environment.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNotify {
    pub url: Option<Spanned<String>>,
    pub url_env: Option<Spanned<String>>,
    pub kind: Option<scoreboard::notify::HookKind>,
    pub audience: Option<scoreboard::notify::Audience>,
}

/// `[game]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGame {
    pub name: Spanned<String>,
    pub duration: Spanned<Parsed<Duration>>,
    pub seed: Option<Spanned<i64>>,
    pub tick: Option<Spanned<Parsed<Duration>>>,
    pub allow_private_targets: Option<bool>,
}

/// `[keyset]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawKeyset {
    pub count: Option<Spanned<i64>>,
    pub zipf: Option<Spanned<f64>>,
}

/// `[hash]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHash {
    pub salt: Option<String>,
    pub iterations: Option<Spanned<i64>>,
}

/// `[load]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLoad {
    pub phases: Option<Spanned<Vec<Spanned<RawPhase>>>>,
    pub clients: Option<Spanned<i64>>,
    pub timeout: Option<Spanned<Parsed<Duration>>>,
    pub connect_timeout: Option<Spanned<Parsed<Duration>>>,
    pub max_in_flight: Option<Spanned<i64>>,
    pub max_body: Option<Spanned<i64>>,
    pub max_headers: Option<Spanned<i64>>,
    pub ca_cert: Option<Spanned<String>>,
}

/// `{ at = "0s", rate = 5.0, ramp = "30s" }`.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a phase like { at = \"0s\", rate = 5 }"
)]
pub(crate) struct RawPhase {
    pub at: Spanned<Parsed<Duration>>,
    pub rate: Spanned<f64>,
    pub ramp: Option<Spanned<Parsed<Duration>>>,
}

/// `[scoring]`: the fields of `scoreboard_domain::Rules` but billing, which `[billing]` holds.
/// One field per key of the flat table, as the file has them: a sub-struct would need
/// `serde(flatten)`, which loses `deny_unknown_fields` and the file:line of every error.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScoring {
    pub correct: Option<Spanned<f64>>,
    pub sla: Option<Spanned<Parsed<Duration>>>,
    pub correct_slow: Option<Spanned<f64>>,
    pub wrong_answer: Option<Spanned<f64>>,
    pub status_5xx: Option<Spanned<f64>>,
    pub status_4xx: Option<Spanned<f64>>,
    pub status_other: Option<Spanned<f64>>,
    pub timeout: Option<Spanned<f64>>,
    pub connect_error: Option<Spanned<f64>>,
    pub tls_error: Option<Spanned<f64>>,
    pub reset: Option<Spanned<f64>>,
    pub too_large: Option<Spanned<f64>>,
    pub malformed: Option<Spanned<f64>>,
    pub dropped: Option<Spanned<f64>>,
    pub void_late_per_mille: Option<Spanned<i64>>,
}

/// `[billing]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBilling {
    pub source: Option<Spanned<BillingKind>>,
    pub price: Option<Spanned<f64>>,
    pub block: Option<Spanned<Parsed<Duration>>>,
    pub points_per_dollar: Option<Spanned<i64>>,
    pub instance_type: Option<Spanned<String>>,
    #[serde(default)]
    pub instance: Vec<Spanned<RawInstance>>,
    #[serde(default)]
    pub aws: Vec<Spanned<RawAws>>,
}

/// `[billing] source`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum BillingKind {
    None,
    Scripted,
    Aws,
    Fleet,
}

/// `[[billing.instance]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawInstance {
    pub team: Spanned<String>,
    pub id: Spanned<String>,
    #[serde(rename = "type")]
    pub instance_type: Option<Spanned<String>>,
    pub start: Spanned<Parsed<Duration>>,
    pub stop: Option<Spanned<Parsed<Duration>>>,
}

/// `[[billing.aws]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAws {
    pub team: Spanned<String>,
    pub region: Spanned<String>,
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    pub profile: Option<String>,
}

/// `[[team]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTeam {
    pub name: Spanned<String>,
    pub url: Option<Spanned<OneOrMany<String>>>,
    pub simulate: Option<Spanned<RawSimulate>>,
}

/// `simulate = { … }`, one field per key (flat for the same reason as [`RawScoring`]; the
/// model groups the hash's salt and iterations).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSimulate {
    pub flavor: Option<Parsed<Flavor>>,
    pub servers: Option<Spanned<i64>>,
    pub cache: Option<bool>,
    pub cache_key: Option<Parsed<CacheKey>>,
    pub iterations: Option<Spanned<i64>>,
    pub salt: Option<String>,
    pub min_latency: Option<Spanned<Parsed<Duration>>>,
    pub workers: Option<Spanned<i64>>,
    pub queue: Option<Spanned<i64>>,
    pub error_rate: Option<Spanned<f64>>,
    pub memcache: Option<Spanned<String>>,
    pub instance_type: Option<Spanned<String>>,
    #[serde(default)]
    pub steps: Vec<Spanned<RawStep>>,
    /// How long after a break the team mends it itself (its reaction time).
    pub mend_after: Option<Spanned<Parsed<Duration>>>,
}

/// `steps = [ { at = "10m", servers = 4 } ]`.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a step like { at = \"10m\", servers = 4 }"
)]
pub(crate) struct RawStep {
    pub at: Spanned<Parsed<Duration>>,
    pub servers: Option<Spanned<i64>>,
    pub flavor: Option<Parsed<Flavor>>,
    pub cache: Option<bool>,
}

/// `[[timeline]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTimeline {
    pub at: Spanned<Parsed<Duration>>,
    pub announce: Option<Spanned<String>>,
    pub fault: Option<Spanned<RawFault>>,
    pub hook: Option<Spanned<RawHook>>,
    pub register: Option<Spanned<RawRegister>>,
    pub freeze: Option<Spanned<bool>>,
    #[serde(rename = "break")]
    pub breaks: Option<Spanned<RawBreak>>,
}

/// `break = { team = "blue", action = "close_port", for = "2m", tell = false }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBreak {
    pub team: Spanned<String>,
    pub action: Spanned<Parsed<BreakAction>>,
    #[serde(rename = "for")]
    pub lasting: Option<Spanned<Parsed<Duration>>>,
    pub tell: Option<bool>,
}

/// `register = { team = "x", url = "http://…" }`: a team registers its endpoint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRegister {
    pub team: Spanned<String>,
    pub url: Spanned<String>,
}

/// `fault = { team = "x", kind = "latency", extra = "2s", for = "20s" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFault {
    pub team: Spanned<String>,
    pub kind: FaultKind,
    pub flavor: Option<Spanned<Parsed<Flavor>>>,
    pub extra: Option<Spanned<Parsed<Duration>>>,
    #[serde(rename = "for")]
    pub lasting: Option<Spanned<Parsed<Duration>>>,
}

/// `fault.kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum FaultKind {
    Kill,
    Flavor,
    Latency,
    Stall,
    Garbage,
    Oversize,
    Reset,
}

/// `hook = { command = "…", timeout = "30s" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHook {
    pub command: Spanned<String>,
    pub timeout: Option<Spanned<Parsed<Duration>>>,
}

/// `[[expect]]`: an order, or one team's expectations.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExpect {
    pub order: Option<Spanned<Vec<Spanned<String>>>>,
    pub team: Option<Spanned<String>>,
    pub rank: Option<Spanned<i64>>,
    pub score_min: Option<Spanned<f64>>,
    pub score_max: Option<Spanned<f64>>,
    pub cost_dollars: Option<Spanned<f64>>,
    pub correct_min: Option<Spanned<i64>>,
    pub events: Option<Spanned<OneOrMany<RawEventCount>>>,
}

/// `events = { kind = "timeout", min = 5 }`.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a count like { kind = \"timeout\", min = 5 }"
)]
pub(crate) struct RawEventCount {
    pub source: Option<Spanned<Parsed<Source>>>,
    pub kind: Option<Spanned<Parsed<OutcomeKind>>>,
    pub min: Option<Spanned<i64>>,
    pub max: Option<Spanned<i64>>,
}

/// A value written as a string and read by its own parser, like `"90s"` or `"v2"`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Parsed<T>(pub T);

/// A type read from a string in scenario files.
pub(crate) trait FromText: Sized {
    /// What the string should be, for serde's "expected …" messages.
    const EXPECTING: &'static str;
    fn from_text(text: &str) -> Result<Self, String>;
}

impl FromText for Duration {
    const EXPECTING: &'static str = "a duration in quotes, like \"90s\"";
    fn from_text(text: &str) -> Result<Self, String> {
        super::duration::parse(text)
    }
}

impl FromText for Flavor {
    const EXPECTING: &'static str = "a flavor: \"v1\", \"v2\" or \"v3\"";
    fn from_text(text: &str) -> Result<Self, String> {
        text.parse()
    }
}

impl FromText for CacheKey {
    const EXPECTING: &'static str = "a cache key: \"query\" or \"path\"";
    fn from_text(text: &str) -> Result<Self, String> {
        text.parse()
    }
}

impl FromText for BreakAction {
    const EXPECTING: &'static str = "a break like \"close_port\" or \"stop_instance\"";
    fn from_text(text: &str) -> Result<Self, String> {
        text.parse()
    }
}

impl FromText for Source {
    const EXPECTING: &'static str = "a source: LoadGen, Billing, Organizer or Engine";
    fn from_text(text: &str) -> Result<Self, String> {
        Source::parse(text).ok_or_else(|| {
            format!("expected a source: LoadGen, Billing, Organizer or Engine, got {text:?}")
        })
    }
}

impl FromText for OutcomeKind {
    const EXPECTING: &'static str = "an outcome kind like \"correct\" or \"timeout\"";
    fn from_text(text: &str) -> Result<Self, String> {
        OutcomeKind::ALL
            .into_iter()
            .find(|k| k.name() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = OutcomeKind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "expected an outcome kind ({}), got {text:?}",
                    names.join(", ")
                )
            })
    }
}

impl<'de, T: FromText> Deserialize<'de> for Parsed<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TextVisitor<T>(PhantomData<T>);
        impl<T: FromText> Visitor<'_> for TextVisitor<T> {
            type Value = Parsed<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(T::EXPECTING)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Parsed<T>, E> {
                T::from_text(v).map(Parsed).map_err(E::custom)
            }
        }
        d.deserialize_str(TextVisitor(PhantomData))
    }
}

/// A value or an array of them: `url = "http://a"` or `url = ["http://a", "http://b"]`.
#[derive(Debug)]
pub(crate) enum OneOrMany<T> {
    One(T),
    Many(Vec<Spanned<T>>),
}

/// A type that may be written once or as an array (see [`OneOrMany`]).
pub(crate) trait Listable {
    const EXPECTING: &'static str;
}

impl Listable for String {
    const EXPECTING: &'static str = "a string or an array of strings";
}

impl Listable for RawEventCount {
    const EXPECTING: &'static str = "an inline table or an array of them";
}

impl<'de, T: Deserialize<'de> + Listable> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Listable> Visitor<'de> for ListVisitor<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(T::EXPECTING)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(OneOrMany::One)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(OneOrMany::One)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::deserialize(SeqAccessDeserializer::new(seq)).map(OneOrMany::Many)
            }
        }
        d.deserialize_any(ListVisitor(PhantomData))
    }
}

/// Every item of a [`OneOrMany`] with its span (a lone item spans the whole value).
pub(crate) fn items<T>(value: &Spanned<OneOrMany<T>>) -> Vec<(&T, Range<usize>)> {
    match value.get_ref() {
        OneOrMany::One(item) => vec![(item, value.span())],
        OneOrMany::Many(list) => list.iter().map(|i| (i.get_ref(), i.span())).collect(),
    }
}

/// Reads `text` as a scenario file; syntax and type errors name `path`, line, column and
/// the field.
pub(crate) fn read(text: &str, path: &Path) -> Result<RawScenario, ScenarioError> {
    toml::from_str(text).map_err(|e| toml_error(&e, text, path))
}

/// One line in our format from toml's error: its message (without toml's rendering of the
/// source) and its span, with the field found at that span.
fn toml_error(e: &toml::de::Error, text: &str, path: &Path) -> ScenarioError {
    let span = e.span().unwrap_or(0..0);
    let message = plain_words(e.message());
    let (field, message) = match missing_field(&message) {
        // The span of a missing field is its table's header, or nothing at the top.
        Some(name) => {
            let table = if span.is_empty() {
                String::new()
            } else {
                field_at(text, &span)
            };
            (join(&table, name), "required, but missing".to_owned())
        }
        None => (field_at(text, &span), message),
    };
    let field = if field.is_empty() { "(file)" } else { &field };
    Checker::new(text, path).error(span, field, message)
}

/// serde's message on one line, with Rust's type names in words.
fn plain_words(message: &str) -> String {
    message
        .trim()
        .replace('\n', "; ")
        .replace("expected i64", "expected an integer")
        .replace("expected f64", "expected a number")
        .replace("expected a sequence", "expected an array")
        .replace("invalid type: sequence", "invalid type: array")
        .replace("invalid type: map", "invalid type: table")
}

/// `name` of serde's "missing field `name`".
fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")?
        .strip_suffix('`')
        .filter(|name| !name.contains('`'))
}
