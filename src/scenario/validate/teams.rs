//! `[[team]]`: names, URLs (and whether they may be private), simulated teams and their steps.

use std::collections::HashMap;
use std::net::IpAddr;
use std::ops::Range;
use std::time::Duration;

use hashref::HashParams;
use hashref::unicorn::Flavor;
use loadgen::{LoadgenError, Target};
use toml::Spanned;

use super::super::check::Checker;
use super::super::duration::show;
use super::super::raw::{OneOrMany, RawSimulate, RawStep, RawTeam, items};
use super::super::{
    CacheKey, Endpoint, GameSettings, ScenarioError, SimStep, SimulatedTeam, TeamSpec,
};
use super::{HOUR, MILLISECOND};

/// Every team, checked: unique names, one endpoint each.
pub(super) fn teams(
    c: &Checker<'_>,
    raw: &[Spanned<RawTeam>],
    game: &GameSettings,
    hash: &HashParams,
    instance_type: &str,
) -> Result<Vec<TeamSpec>, ScenarioError> {
    if raw.is_empty() {
        let message = "expected at least one [[team]] with a name (and a url, or simulate)";
        return Err(c.error(0..0, "team", message));
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut teams = Vec::with_capacity(raw.len());
    for (i, t) in raw.iter().enumerate() {
        let f = format!("team[{i}]");
        let name = team_name(c, &t.get_ref().name, &format!("{f}.name"))?;
        if let Some(first) = seen.insert(t.get_ref().name.get_ref(), i) {
            let message =
                format!("team[{first}] already has the name {name:?}: expected a unique name");
            return Err(c.error(t.get_ref().name.span(), &format!("{f}.name"), message));
        }
        let endpoint = match (&t.get_ref().url, &t.get_ref().simulate) {
            (Some(_), Some(sim)) => {
                let message =
                    "set either url (a real team) or simulate (a simulated team), not both";
                return Err(c.error(sim.span(), &format!("{f}.simulate"), message));
            }
            // A real team that registers its own endpoint during the game.
            (None, None) => Endpoint::Registers,
            (Some(url), None) => Endpoint::Urls(urls(c, url, &f, game.allow_private_targets)?),
            (None, Some(sim)) => {
                Endpoint::Simulate(simulate(c, sim, &f, game, hash, instance_type)?)
            }
        };
        teams.push(TeamSpec { name, endpoint });
    }
    Ok(teams)
}

fn team_name(c: &Checker<'_>, raw: &Spanned<String>, field: &str) -> Result<String, ScenarioError> {
    let name = c.text(raw, field, "a team name")?;
    let allowed = |ch: char| ch.is_ascii_alphanumeric() || " _.-".contains(ch);
    if name.chars().count() > 40 || !name.chars().all(allowed) {
        let message = format!(
            "expected a name of at most 40 letters, digits, spaces, `_`, `.` or `-`, got {name:?}"
        );
        return Err(c.error(raw.span(), field, message));
    }
    Ok(name)
}

/// A team's base URLs: usable by the load engine, and public unless the game allows
/// private targets.
fn urls(
    c: &Checker<'_>,
    raw: &Spanned<OneOrMany<String>>,
    team: &str,
    allow_private: bool,
) -> Result<Vec<String>, ScenarioError> {
    let list = items(raw);
    if list.is_empty() {
        let message = "expected at least one URL, like \"http://203.0.113.10:8080\"";
        return Err(c.error(raw.span(), &format!("{team}.url"), message));
    }
    let many = matches!(raw.get_ref(), OneOrMany::Many(_));
    list.into_iter()
        .enumerate()
        .map(|(j, (url, span))| {
            let field = if many {
                format!("{team}.url[{j}]")
            } else {
                format!("{team}.url")
            };
            check_url(c, url, span, &field, allow_private).map(|()| url.clone())
        })
        .collect()
}

fn check_url(
    c: &Checker<'_>,
    url: &str,
    span: Range<usize>,
    field: &str,
    allow_private: bool,
) -> Result<(), ScenarioError> {
    url_problem(url, field, allow_private)
        .map_or(Ok(()), |message| Err(c.error(span, field, message)))
}

/// What is wrong with a team URL, if anything: the load engine's own check (what passes
/// here, the engine can connect to), then the private-address rule.
pub(crate) fn url_problem(url: &str, name: &str, allow_private: bool) -> Option<String> {
    if let Err(e) = Target::new(name, vec![url.to_owned()]).check() {
        let like = format!("expected a URL like http(s)://host[:port][/path], got {url:?}");
        return Some(match e {
            LoadgenError::BadUrl { reason, .. } if reason.starts_with("expected") => like,
            LoadgenError::BadUrl { reason, .. } => format!("{like}: {reason}"),
            other => format!("{like}: {other}"),
        });
    }
    let host = url
        .parse::<axum::http::Uri>()
        .ok()
        .and_then(|u| u.host().map(str::to_owned))
        .unwrap_or_default();
    if allow_private {
        return None;
    }
    non_public_host(&host).map(|what| {
        format!(
            "{url:?} is {what}: teams' servers must have public addresses \
             (set game.allow_private_targets = true to allow it)"
        )
    })
}

/// What `localhost` or a literal non-public address is (loopback, private, link-local,
/// multicast, unspecified, or one of these mapped into IPv6). A name is checked again at
/// every connection, on every address it resolves to then.
fn non_public_host(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return Some("a loopback name".into());
    }
    let ip: IpAddr = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    loadgen::non_public(ip).map(|what| format!("a {what} address"))
}

fn simulate(
    c: &Checker<'_>,
    raw: &Spanned<RawSimulate>,
    team: &str,
    game: &GameSettings,
    hash: &HashParams,
    instance_type: &str,
) -> Result<SimulatedTeam, ScenarioError> {
    let f = format!("{team}.simulate");
    if !game.allow_private_targets {
        let message = "a simulated team runs on this machine's loopback: set \
                       game.allow_private_targets = true";
        return Err(c.error(raw.span(), &f, message));
    }
    let s = raw.get_ref();
    let field = |name: &str| format!("{f}.{name}");
    let servers = "a number of servers";
    Ok(SimulatedTeam {
        flavor: s.flavor.map_or(Flavor::V2, |p| p.0),
        servers: c.int_or(s.servers.as_ref(), &field("servers"), servers, 0..=64, 1)?,
        cache: s.cache.unwrap_or(false),
        cache_key: s.cache_key.map_or(CacheKey::Query, |k| k.0),
        hash: HashParams {
            iterations: c.int_or(
                s.iterations.as_ref(),
                &field("iterations"),
                "a number of iterations",
                1..=10_000_000,
                hash.iterations,
            )?,
            salt: s.salt.clone().unwrap_or_else(|| hash.salt.clone()),
        },
        min_latency: c.duration_or(
            s.min_latency.as_ref(),
            &field("min_latency"),
            Duration::ZERO..=HOUR,
            Duration::from_millis(500),
        )?,
        workers: c.int_or(
            s.workers.as_ref(),
            &field("workers"),
            "a number of workers",
            1..=4096,
            5,
        )?,
        queue: c.int_or(
            s.queue.as_ref(),
            &field("queue"),
            "a queue length",
            0..=1_000_000,
            10,
        )?,
        error_rate: s.error_rate.as_ref().map_or(Ok(0.05), |e| {
            c.number(e, &field("error_rate"), "a share of answers", 0.0..=1.0, "")
        })?,
        memcache: s
            .memcache
            .as_ref()
            .map(|m| memcache(c, m, &field("memcache")))
            .transpose()?,
        instance_type: match &s.instance_type {
            Some(t) => c.text(
                t,
                &field("instance_type"),
                "an instance type like \"t2.micro\"",
            )?,
            None => instance_type.to_owned(),
        },
        steps: steps(c, &s.steps, &f, game.duration)?,
        mend_after: s
            .mend_after
            .as_ref()
            .map(|d| c.duration(d, &field("mend_after"), MILLISECOND..=24 * HOUR))
            .transpose()?,
    })
}

/// `host:port` of a memcached.
fn memcache(c: &Checker<'_>, raw: &Spanned<String>, field: &str) -> Result<String, ScenarioError> {
    let text = raw.get_ref();
    let usable = text
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0));
    if !usable {
        let message = format!("expected \"host:port\", like \"127.0.0.1:11211\", got {text:?}");
        return Err(c.error(raw.span(), field, message));
    }
    Ok(text.clone())
}

/// Changes during the game: each changes something, in time order, before the end.
fn steps(
    c: &Checker<'_>,
    raw: &[Spanned<RawStep>],
    sim: &str,
    game: Duration,
) -> Result<Vec<SimStep>, ScenarioError> {
    let mut steps: Vec<SimStep> = Vec::with_capacity(raw.len());
    for (j, step) in raw.iter().enumerate() {
        let (f, s) = (format!("{sim}.steps[{j}]"), step.get_ref());
        let at = c.moment(&s.at, &format!("{f}.at"), game)?;
        if let Some(prev) = steps.last().filter(|prev| at <= prev.at) {
            let message = format!(
                "expected a time after the previous step ({}), got {}",
                show(prev.at),
                show(at)
            );
            return Err(c.error(s.at.span(), &format!("{f}.at"), message));
        }
        let servers = s
            .servers
            .as_ref()
            .map(|n| c.int(n, &format!("{f}.servers"), "a number of servers", 0..=64))
            .transpose()?;
        if servers.is_none() && s.flavor.is_none() && s.cache.is_none() {
            let message = "expected at least one change: servers, flavor or cache";
            return Err(c.error(step.span(), &f, message));
        }
        steps.push(SimStep {
            at,
            servers,
            flavor: s.flavor.map(|p| p.0),
            cache: s.cache,
        });
    }
    Ok(steps)
}
