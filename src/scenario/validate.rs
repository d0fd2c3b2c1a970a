//! Checks a raw scenario and builds the [`Scenario`]: every default is applied here, every
//! bound and cross-reference checked, each failure placed at its field in the file.

mod billing;
mod expect;
mod notify;
mod teams;
mod timeline;
pub(crate) use notify::check_url as check_hook_url;
pub(crate) use teams::url_problem;

use std::path::Path;
use std::time::Duration;

use hashref::{HashParams, MAX_KEYSET, ZipfPicker};
use loadgen::{MAX_RATE, Pacing, Phase, RateSchedule, TargetLimits};
use scoreboard_domain::{BillingRules, Points, Rules, ScoreError};
use toml::Spanned;

use super::check::{Checker, Decimal};
use super::duration::show;
use super::raw::{RawGame, RawHash, RawKeyset, RawLoad, RawPhase, RawScenario, RawScoring};
use super::{GameSettings, KeysetSettings, LoadSettings, Scenario, ScenarioError, TeamSpec};

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
const MILLISECOND: Duration = Duration::from_millis(1);

/// A raw scenario with the file it was read from, which errors point into.
pub(crate) struct RawDocument<'a> {
    pub scenario: RawScenario,
    pub text: &'a str,
    pub path: &'a Path,
}

pub(crate) fn validate(
    raw: RawScenario,
    text: &str,
    path: &Path,
) -> Result<Scenario, ScenarioError> {
    Scenario::try_from(RawDocument {
        scenario: raw,
        text,
        path,
    })
}

impl TryFrom<RawDocument<'_>> for Scenario {
    type Error = ScenarioError;

    fn try_from(doc: RawDocument<'_>) -> Result<Scenario, ScenarioError> {
        let c = Checker::new(doc.text, doc.path);
        let raw = doc.scenario;
        let game = game(&c, &raw.game)?;
        let keyset = keyset(&c, raw.keyset.as_ref())?;
        let hash = hash(&c, raw.hash.as_ref())?;
        let load = load(&c, &raw.load, game.duration)?;
        let instance_type = billing::instance_type(&c, raw.billing.as_ref())?;
        let teams = teams::teams(&c, &raw.team, &game, &hash, &instance_type)?;
        let (billing_rules, billing) =
            billing::billing(&c, raw.billing.as_ref(), &game, &teams, &instance_type)?;
        let rules = scoring(&c, raw.scoring.as_ref(), billing_rules)?;
        let chaos = match &raw.chaos {
            Some(chaos) => billing::aws_accounts(&c, &chaos.aws, &teams, "chaos.aws")?,
            None => Vec::new(),
        };
        let timeline = timeline::timeline(&c, &raw.timeline, &game, &teams, &chaos)?;
        let expect = expect::expectations(&c, &raw.expect, &teams)?;
        let notify = notify::hooks(&c, &raw.notify, |name| std::env::var(name).ok())?;
        Ok(Scenario {
            path: doc.path.to_owned(),
            game,
            keyset,
            hash,
            load,
            rules,
            billing,
            teams,
            timeline,
            expect,
            notify,
            chaos,
        })
    }
}

fn game(c: &Checker<'_>, raw: &Spanned<RawGame>) -> Result<GameSettings, ScenarioError> {
    let g = raw.get_ref();
    let name = c.text(&g.name, "game.name", "a name for the game")?;
    if name.chars().count() > 80 {
        let message = format!(
            "expected a name of at most 80 characters, got {} characters",
            name.chars().count()
        );
        return Err(c.error(g.name.span(), "game.name", message));
    }
    let duration = c.duration(&g.duration, "game.duration", SECOND..=24 * HOUR)?;
    let seed = c.int_or(g.seed.as_ref(), "game.seed", "a seed", 0..=i64::MAX, 1)?;
    let tick = c.duration_or(
        g.tick.as_ref(),
        "game.tick",
        Duration::from_millis(100)..=MINUTE,
        SECOND,
    )?;
    if tick > duration {
        let span = g.tick.as_ref().map_or(raw.span(), Spanned::span);
        let message = format!(
            "expected a tick no longer than the game ({}), got {}",
            show(duration),
            show(tick)
        );
        return Err(c.error(span, "game.tick", message));
    }
    Ok(GameSettings {
        name,
        duration,
        seed,
        tick,
        allow_private_targets: g.allow_private_targets.unwrap_or(false),
    })
}

fn keyset(c: &Checker<'_>, raw: Option<&RawKeyset>) -> Result<KeysetSettings, ScenarioError> {
    let count = raw.and_then(|k| k.count.as_ref());
    let zipf = raw.and_then(|k| k.zipf.as_ref());
    let max = i64::try_from(MAX_KEYSET).unwrap_or(i64::MAX);
    Ok(KeysetSettings {
        count: c.int_or(count, "keyset.count", "a number of keys", 1..=max, 1000)?,
        zipf: zipf.map_or(Ok(ZipfPicker::DEFAULT_EXPONENT), |z| {
            c.number(
                z,
                "keyset.zipf",
                "a Zipf exponent",
                0.0..=ZipfPicker::MAX_EXPONENT,
                "",
            )
        })?,
    })
}

fn hash(c: &Checker<'_>, raw: Option<&RawHash>) -> Result<HashParams, ScenarioError> {
    let default = HashParams::default();
    let iterations = raw.and_then(|h| h.iterations.as_ref());
    Ok(HashParams {
        iterations: c.int_or(
            iterations,
            "hash.iterations",
            "a number of iterations",
            1..=10_000_000,
            default.iterations,
        )?,
        salt: raw.and_then(|h| h.salt.clone()).unwrap_or(default.salt),
    })
}

fn load(
    c: &Checker<'_>,
    raw: &Spanned<RawLoad>,
    game: Duration,
) -> Result<LoadSettings, ScenarioError> {
    let l = raw.get_ref();
    let pacing = match (&l.phases, &l.clients) {
        (Some(_), Some(clients)) => {
            let message = "set either phases (an open model) or clients (a closed model), not both";
            return Err(c.error(clients.span(), "load.clients", message));
        }
        (None, None) => {
            let message = "expected phases = [ { at = \"0s\", rate = 5 } ] (an open model) or \
                           clients = 10 (a closed model)";
            return Err(c.error(raw.span(), "load", message));
        }
        (Some(phases), None) => Pacing::Open(schedule(c, phases, game)?),
        (None, Some(clients)) => Pacing::Closed {
            clients: c.int(clients, "load.clients", "a number of clients", 1..=100_000)?,
        },
    };
    let timeouts = MILLISECOND..=10 * MINUTE;
    let max_in_flight = max_in_flight(c, l, &pacing)?;
    let ca_cert = l
        .ca_cert
        .as_ref()
        .map(|raw| {
            let path = c.relative(raw.get_ref());
            match loadgen::read_ca_cert(&path) {
                Ok(_) => Ok(path),
                Err(e) => Err(c.error(raw.span(), "load.ca_cert", e.to_string())),
            }
        })
        .transpose()?;
    Ok(LoadSettings {
        pacing,
        timeout: c.duration_or(
            l.timeout.as_ref(),
            "load.timeout",
            timeouts.clone(),
            loadgen::DEFAULT_TIMEOUT,
        )?,
        connect_timeout: c.duration_or(
            l.connect_timeout.as_ref(),
            "load.connect_timeout",
            timeouts,
            loadgen::DEFAULT_CONNECT_TIMEOUT,
        )?,
        max_in_flight,
        ca_cert,
        max_body: c.int_or(
            l.max_body.as_ref(),
            "load.max_body",
            "a number of bytes",
            64..=64 << 20,
            TargetLimits::default().body_cap,
        )?,
        max_headers: c.int_or(
            l.max_headers.as_ref(),
            "load.max_headers",
            "a number of headers",
            1..=loadgen::MAX_HEADERS as i64,
            TargetLimits::default().max_headers,
        )?,
    })
}

/// `load.max_in_flight`: 1000 by default, or as many as the closed clients, each of which
/// holds one request in flight. A cap set below the clients is refused: they could never
/// all send (such a game used to spin its engine and never end).
fn max_in_flight(c: &Checker<'_>, l: &RawLoad, pacing: &Pacing) -> Result<usize, ScenarioError> {
    let clients = match pacing {
        Pacing::Closed { clients } => *clients,
        Pacing::Open(_) => 0,
    };
    let field = "load.max_in_flight";
    let cap = c.int_or(
        l.max_in_flight.as_ref(),
        field,
        "a number of requests",
        1..=1_000_000,
        clients.max(1000),
    )?;
    match &l.max_in_flight {
        Some(raw) if cap < clients => {
            let message = format!(
                "expected at least load.clients ({clients}): each closed client holds one \
                 request in flight, got {cap} (raise load.max_in_flight or lower load.clients)"
            );
            Err(c.error(raw.span(), field, message))
        }
        _ => Ok(cap),
    }
}

/// The open model's phases: the first at 0s, each after the previous and before the end.
fn schedule(
    c: &Checker<'_>,
    raw: &Spanned<Vec<Spanned<RawPhase>>>,
    game: Duration,
) -> Result<RateSchedule, ScenarioError> {
    if raw.get_ref().is_empty() {
        let message = "expected at least one phase, like { at = \"0s\", rate = 5 }";
        return Err(c.error(raw.span(), "load.phases", message));
    }
    let mut phases: Vec<Phase> = Vec::new();
    for (i, p) in raw.get_ref().iter().enumerate() {
        let (f, p) = (format!("load.phases[{i}]"), p.get_ref());
        let at = c.moment(&p.at, &format!("{f}.at"), game)?;
        if i == 0 && !at.is_zero() {
            let message = format!("expected the first phase at \"0s\", got {}", show(at));
            return Err(c.error(p.at.span(), &format!("{f}.at"), message));
        }
        if let Some(prev) = phases.last().filter(|prev| at <= prev.at) {
            let message = format!(
                "expected a time after the previous phase ({}), got {}",
                show(prev.at),
                show(at)
            );
            return Err(c.error(p.at.span(), &format!("{f}.at"), message));
        }
        let rate = c.number(
            &p.rate,
            &format!("{f}.rate"),
            "a rate",
            0.0..=MAX_RATE,
            " requests per second",
        )?;
        let ramp = p
            .ramp
            .as_ref()
            .map(|r| c.duration(r, &format!("{f}.ramp"), Duration::ZERO..=24 * HOUR))
            .transpose()?;
        phases.push(Phase { at, rate, ramp });
    }
    check_ramps(c, raw.get_ref(), &phases)?;
    RateSchedule::new(phases).map_err(|e| c.error(raw.span(), "load.phases", e.to_string()))
}

/// A ramp ends by the next phase (the schedule would refuse it, without saying where).
fn check_ramps(
    c: &Checker<'_>,
    raw: &[Spanned<RawPhase>],
    phases: &[Phase],
) -> Result<(), ScenarioError> {
    for (i, pair) in phases.windows(2).enumerate() {
        let (this, next) = (&pair[0], &pair[1]);
        let (Some(ramp), Some(raw_ramp)) = (this.ramp, raw[i].get_ref().ramp.as_ref()) else {
            continue;
        };
        if this.at + ramp > next.at {
            let message = format!(
                "expected a ramp of at most {} (the next phase starts at {}), got {}",
                show(next.at - this.at),
                show(next.at),
                show(ramp)
            );
            return Err(c.error(raw_ramp.span(), &format!("load.phases[{i}].ramp"), message));
        }
    }
    Ok(())
}

/// `[scoring]` over scoreboard's defaults, with `[billing]`'s rules, checked by
/// [`Rules::validate`].
fn scoring(
    c: &Checker<'_>,
    raw: Option<&Spanned<RawScoring>>,
    billing: BillingRules,
) -> Result<Rules, ScenarioError> {
    let d = Rules::default();
    let rules = match raw {
        None => Rules { billing, ..d },
        Some(s) => scoring_fields(c, s.get_ref(), d, billing)?,
    };
    rules.validate().map_err(|e| {
        let message = match e {
            ScoreError::Rules(m) => m,
            other => other.to_string(),
        };
        c.error(raw.map_or(0..0, Spanned::span), "scoring", message)
    })?;
    Ok(rules)
}

fn scoring_fields(
    c: &Checker<'_>,
    s: &RawScoring,
    d: Rules,
    billing: BillingRules,
) -> Result<Rules, ScenarioError> {
    let points = |value: &Option<Spanned<f64>>, name: &str, default: Points| {
        value.as_ref().map_or(Ok(default), |v| {
            let field = format!("scoring.{name}");
            c.decimal(v, &field, Decimal::Points, -1_000_000..=1_000_000)
                .map(Points)
        })
    };
    Ok(Rules {
        correct: points(&s.correct, "correct", d.correct)?,
        sla: c.duration_or(s.sla.as_ref(), "scoring.sla", MILLISECOND..=HOUR, d.sla)?,
        correct_slow: points(&s.correct_slow, "correct_slow", d.correct_slow)?,
        wrong_answer: points(&s.wrong_answer, "wrong_answer", d.wrong_answer)?,
        status_5xx: points(&s.status_5xx, "status_5xx", d.status_5xx)?,
        status_4xx: points(&s.status_4xx, "status_4xx", d.status_4xx)?,
        status_other: points(&s.status_other, "status_other", d.status_other)?,
        timeout: points(&s.timeout, "timeout", d.timeout)?,
        connect_error: points(&s.connect_error, "connect_error", d.connect_error)?,
        tls_error: points(&s.tls_error, "tls_error", d.tls_error)?,
        reset: points(&s.reset, "reset", d.reset)?,
        too_large: points(&s.too_large, "too_large", d.too_large)?,
        malformed: points(&s.malformed, "malformed", d.malformed)?,
        dropped: points(&s.dropped, "dropped", d.dropped)?,
        void_late_per_mille: c.int_or(
            s.void_late_per_mille.as_ref(),
            "scoring.void_late_per_mille",
            "a share per mille",
            0..=1000,
            d.void_late_per_mille,
        )?,
        billing,
    })
}

/// The team named `name`, or an error listing the teams there are.
fn known_team<'t>(
    c: &Checker<'_>,
    name: &Spanned<String>,
    field: &str,
    teams: &'t [TeamSpec],
) -> Result<&'t TeamSpec, ScenarioError> {
    teams
        .iter()
        .find(|t| t.name == *name.get_ref())
        .ok_or_else(|| {
            let names: Vec<&str> = teams.iter().map(|t| t.name.as_str()).collect();
            let message = format!(
                "expected the name of a [[team]] ({}), got {:?}",
                names.join(", "),
                name.get_ref()
            );
            c.error(name.span(), field, message)
        })
}

#[cfg(test)]
mod tests;
