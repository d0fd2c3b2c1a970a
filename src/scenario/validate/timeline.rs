//! `[[timeline]]`: announcements, faults on simulated teams, organizer hooks, teams'
//! registrations, the public board's freeze and the instructor's breaks, sorted by time.

use std::ops::Range;
use std::time::Duration;

use toml::Spanned;

use super::super::check::Checker;
use super::super::duration::show;
use super::super::raw::{FaultKind, RawBreak, RawFault, RawHook, RawRegister, RawTimeline};
use super::super::{
    Action, AwsTeam, Break, Endpoint, Fault, GameSettings, Misbehaviour, ScenarioError, TeamSpec,
    TimelineEntry,
};
use super::{HOUR, MILLISECOND, MINUTE, SECOND, known_team};

/// Every entry, checked, in time order (entries at the same time keep the file's order).
pub(super) fn timeline(
    c: &Checker<'_>,
    raw: &[Spanned<RawTimeline>],
    game: &GameSettings,
    teams: &[TeamSpec],
    chaos: &[AwsTeam],
) -> Result<Vec<TimelineEntry>, ScenarioError> {
    let mut entries = Vec::with_capacity(raw.len());
    for (i, entry) in raw.iter().enumerate() {
        let (f, e) = (format!("timeline[{i}]"), entry.get_ref());
        let at = c.moment(&e.at, &format!("{f}.at"), game.duration)?;
        let written: Vec<(&str, Range<usize>)> = [
            ("announce", e.announce.as_ref().map(Spanned::span)),
            ("fault", e.fault.as_ref().map(Spanned::span)),
            ("hook", e.hook.as_ref().map(Spanned::span)),
            ("register", e.register.as_ref().map(Spanned::span)),
            ("freeze", e.freeze.as_ref().map(Spanned::span)),
            ("break", e.breaks.as_ref().map(Spanned::span)),
        ]
        .into_iter()
        .filter_map(|(name, span)| span.map(|s| (name, s)))
        .collect();
        if let Some((name, span)) = written.get(1) {
            let message = "set one of announce, fault, hook, register, freeze or break per \
                           [[timeline]] entry, not several";
            return Err(c.error(span.clone(), &format!("{f}.{name}"), message));
        }
        if let Some(raw) = &e.breaks {
            let f = format!("{f}.break");
            let when = (at, game.duration);
            let action = Action::Break(self::breaks(c, raw.get_ref(), &f, when, (teams, chaos))?);
            entries.push(TimelineEntry { at, action });
            continue;
        }
        if let Some(freeze) = &e.freeze {
            entries.push(TimelineEntry {
                at,
                action: Action::Freeze(*freeze.get_ref()),
            });
            continue;
        }
        let action = match (&e.announce, &e.fault, &e.hook, &e.register) {
            (Some(text), ..) => {
                Action::Announce(c.text(text, &format!("{f}.announce"), "a message")?)
            }
            (_, Some(fault), ..) => self::fault(c, fault, &format!("{f}.fault"), teams)?,
            (_, _, Some(hook), _) => self::hook(c, hook.get_ref(), &format!("{f}.hook"))?,
            (.., Some(register)) => {
                let f = format!("{f}.register");
                self::register(c, register.get_ref(), &f, teams, game.allow_private_targets)?
            }
            (None, None, None, None) => {
                let message = "expected announce = \"…\", fault = { … }, hook = { … }, \
                               register = { … }, freeze = true or break = { … }";
                return Err(c.error(entry.span(), &f, message));
            }
        };
        entries.push(TimelineEntry { at, action });
    }
    entries.sort_by_key(|e| e.at);
    Ok(entries)
}

fn fault(
    c: &Checker<'_>,
    raw: &Spanned<RawFault>,
    f: &str,
    teams: &[TeamSpec],
) -> Result<Action, ScenarioError> {
    let r = raw.get_ref();
    let field = |name: &str| format!("{f}.{name}");
    let team = known_team(c, &r.team, &field("team"), teams)?;
    if !matches!(team.endpoint, Endpoint::Simulate(_)) {
        let message = format!(
            "team {:?} is a real team, not simulate: faults apply only to simulated teams",
            team.name
        );
        return Err(c.error(r.team.span(), &field("team"), message));
    }
    let kind = match r.kind {
        FaultKind::Kill => "kill",
        FaultKind::Flavor => "flavor",
        FaultKind::Latency => "latency",
        FaultKind::Stall => "stall",
        FaultKind::Garbage => "garbage",
        FaultKind::Oversize => "oversize",
        FaultKind::Reset => "reset",
    };
    refuse_unread(c, r, f, kind)?;
    let required = |name: &str| {
        let message = format!("required with kind = {kind:?}");
        c.error(raw.span(), &field(name), message)
    };
    let lasting = r
        .lasting
        .as_ref()
        .map(|d| c.duration(d, &field("for"), MILLISECOND..=24 * HOUR))
        .transpose()?;
    let fault = match r.kind {
        FaultKind::Kill => Fault::Kill,
        FaultKind::Flavor => Fault::Flavor(
            r.flavor
                .as_ref()
                .ok_or_else(|| required("flavor"))?
                .get_ref()
                .0,
        ),
        FaultKind::Latency => Fault::Latency {
            extra: match &r.extra {
                Some(extra) => c.duration(extra, &field("extra"), MILLISECOND..=HOUR)?,
                None => return Err(required("extra")),
            },
            lasting,
        },
        FaultKind::Stall => Fault::Stall {
            lasting: lasting.ok_or_else(|| required("for"))?,
        },
        FaultKind::Garbage | FaultKind::Oversize | FaultKind::Reset => Fault::Misbehave {
            how: match r.kind {
                FaultKind::Garbage => Misbehaviour::Garbage,
                FaultKind::Oversize => Misbehaviour::Oversize,
                _ => Misbehaviour::Reset,
            },
            lasting: lasting.ok_or_else(|| required("for"))?,
        },
    };
    Ok(Action::Fault {
        team: team.name.clone(),
        fault,
    })
}

/// Fields another kind of fault reads are refused rather than ignored: they would not do
/// anything.
fn refuse_unread(c: &Checker<'_>, r: &RawFault, f: &str, kind: &str) -> Result<(), ScenarioError> {
    let reads = |name: &str| match r.kind {
        FaultKind::Kill => false,
        FaultKind::Flavor => name == "flavor",
        FaultKind::Latency => name == "extra" || name == "for",
        FaultKind::Stall | FaultKind::Garbage | FaultKind::Oversize | FaultKind::Reset => {
            name == "for"
        }
    };
    let written = [
        ("flavor", r.flavor.as_ref().map(Spanned::span)),
        ("extra", r.extra.as_ref().map(Spanned::span)),
        ("for", r.lasting.as_ref().map(Spanned::span)),
    ];
    for (name, span) in written {
        if let (Some(span), false) = (span, reads(name)) {
            let message = format!("not read with kind = {kind:?}");
            return Err(c.error(span, &format!("{f}.{name}"), message));
        }
    }
    Ok(())
}

/// `register = { team, url }`: a real team's endpoint, checked as a scenario URL is.
fn register(
    c: &Checker<'_>,
    raw: &RawRegister,
    f: &str,
    teams: &[TeamSpec],
    allow_private: bool,
) -> Result<Action, ScenarioError> {
    let team = known_team(c, &raw.team, &format!("{f}.team"), teams)?;
    if let Endpoint::Simulate(_) = team.endpoint {
        let message = format!(
            "team {:?} is simulated: the engine runs its servers, it registers no endpoint",
            team.name
        );
        return Err(c.error(raw.team.span(), &format!("{f}.team"), message));
    }
    let field = format!("{f}.url");
    let url = c.text(&raw.url, &field, "a URL like \"http://203.0.113.10:8080\"")?;
    if let Some(message) = super::teams::url_problem(&url, &field, allow_private) {
        return Err(c.error(raw.url.span(), &field, message));
    }
    Ok(Action::Register {
        team: team.name.clone(),
        url,
    })
}

/// `break = { team, action, for, tell }` at `at` of a game that ends at `end`: a known team
/// (or `"*"`, every team), each one simulated or with a `[[chaos.aws]]` account to act on,
/// restored (if `for` is given) by the end.
fn breaks(
    c: &Checker<'_>,
    raw: &RawBreak,
    f: &str,
    (at, end): (Duration, Duration),
    (teams, chaos): (&[TeamSpec], &[AwsTeam]),
) -> Result<Break, ScenarioError> {
    let field = format!("{f}.team");
    let broken: Vec<&TeamSpec> = if raw.team.get_ref() == "*" {
        teams.iter().collect()
    } else {
        vec![known_team(c, &raw.team, &field, teams)?]
    };
    for team in &broken {
        let simulated = matches!(team.endpoint, Endpoint::Simulate(_));
        if !simulated && !chaos.iter().any(|a| a.team == team.name) {
            let message = format!(
                "team {:?} is neither simulated nor in a [[chaos.aws]] entry: expected \
                 [[chaos.aws]] team = {:?} with its region and the chaos role (role_arn, \
                 external_id) or a profile, for the break to act on its account",
                team.name, team.name
            );
            return Err(c.error(raw.team.span(), &field, message));
        }
    }
    let field = format!("{f}.for");
    let lasting = match &raw.lasting {
        Some(d) => Some(c.duration(d, &field, MILLISECOND..=24 * HOUR)?),
        None => None,
    };
    if let (Some(lasting), Some(written)) = (lasting, &raw.lasting)
        && at + lasting > end
    {
        let message = format!(
            "expected the restore (at {} + for {}) by the game's end ({}): a break still in \
             place when the game ends stays broken",
            show(at),
            show(lasting),
            show(end)
        );
        return Err(c.error(written.span(), &field, message));
    }
    Ok(Break {
        teams: broken.into_iter().map(|t| t.name.clone()).collect(),
        action: raw.action.get_ref().0,
        lasting,
        tell: raw.tell.unwrap_or(false),
    })
}

fn hook(c: &Checker<'_>, raw: &RawHook, f: &str) -> Result<Action, ScenarioError> {
    Ok(Action::Hook {
        command: c.text(&raw.command, &format!("{f}.command"), "a command to run")?,
        timeout: c.duration_or(
            raw.timeout.as_ref(),
            &format!("{f}.timeout"),
            MILLISECOND..=10 * MINUTE,
            30 * SECOND,
        )?,
    })
}
