//! `[billing]`: the price rules, where instances come from, and the scripted instances or
//! AWS accounts of the teams it names.

use std::collections::HashSet;

use scoreboard_domain::{BillingRules, Cents, GameTime, ScriptedInstance};
use toml::Spanned;

use super::super::check::{Checker, Decimal};
use super::super::duration::show;
use super::super::raw::{BillingKind, RawAws, RawBilling, RawInstance};
use super::super::{AwsTeam, BillingSource, Endpoint, GameSettings, ScenarioError, TeamSpec};
use super::{HOUR, SECOND, known_team};

/// The instance type billed when none is written.
const DEFAULT_INSTANCE_TYPE: &str = "t2.micro";

/// `[billing] instance_type`: the default of scripted instances and simulated servers.
pub(super) fn instance_type(
    c: &Checker<'_>,
    raw: Option<&Spanned<RawBilling>>,
) -> Result<String, ScenarioError> {
    match raw.and_then(|b| b.get_ref().instance_type.as_ref()) {
        Some(t) => c.text(
            t,
            "billing.instance_type",
            "an instance type like \"t2.micro\"",
        ),
        None => Ok(DEFAULT_INSTANCE_TYPE.to_owned()),
    }
}

/// The billing rules (price, block, points per dollar) and the source of instances.
pub(super) fn billing(
    c: &Checker<'_>,
    raw: Option<&Spanned<RawBilling>>,
    game: &GameSettings,
    teams: &[TeamSpec],
    instance_type: &str,
) -> Result<(BillingRules, BillingSource), ScenarioError> {
    let simulated = teams
        .iter()
        .any(|t| matches!(t.endpoint, Endpoint::Simulate(_)));
    let default_kind = if simulated {
        BillingKind::Fleet
    } else {
        BillingKind::None
    };
    let Some(raw) = raw else {
        let source = if simulated {
            BillingSource::Fleet
        } else {
            BillingSource::None
        };
        return Ok((BillingRules::default(), source));
    };
    let b = raw.get_ref();
    let rules = rules(c, b)?;
    let kind = b.source.as_ref().map_or(default_kind, |s| *s.get_ref());
    if let (Some(first), false) = (b.instance.first(), kind == BillingKind::Scripted) {
        let message = "[[billing.instance]] is read only with source = \"scripted\"";
        return Err(c.error(first.span(), "billing.instance[0]", message));
    }
    if let (Some(first), false) = (b.aws.first(), kind == BillingKind::Aws) {
        let message = "[[billing.aws]] is read only with source = \"aws\"";
        return Err(c.error(first.span(), "billing.aws[0]", message));
    }
    let source_span = b.source.as_ref().map_or(raw.span(), Spanned::span);
    let source = match kind {
        BillingKind::None => BillingSource::None,
        BillingKind::Fleet if !simulated => {
            let message = "\"fleet\" bills the servers of simulated teams, and no team is \
                           simulated: expected \"none\", \"scripted\" or \"aws\"";
            return Err(c.error(source_span, "billing.source", message));
        }
        BillingKind::Fleet => BillingSource::Fleet,
        BillingKind::Scripted if b.instance.is_empty() => {
            let message = "\"scripted\" bills the [[billing.instance]] entries, and there are none";
            return Err(c.error(source_span, "billing.source", message));
        }
        BillingKind::Scripted => {
            BillingSource::Scripted(instances(c, &b.instance, game, teams, instance_type)?)
        }
        BillingKind::Aws if b.aws.is_empty() => {
            let message = "\"aws\" bills the accounts of the [[billing.aws]] entries, and there \
                           are none";
            return Err(c.error(source_span, "billing.source", message));
        }
        BillingKind::Aws => BillingSource::Aws(aws_accounts(c, &b.aws, teams, "billing.aws")?),
    };
    Ok((rules, source))
}

fn rules(c: &Checker<'_>, b: &RawBilling) -> Result<BillingRules, ScenarioError> {
    let d = BillingRules::default();
    let price = match &b.price {
        Some(p) => Cents(c.decimal(p, "billing.price", Decimal::Dollars, 0..=1_000_000)?),
        None => d.price,
    };
    Ok(BillingRules {
        price,
        block: c.duration_or(
            b.block.as_ref(),
            "billing.block",
            SECOND..=24 * HOUR,
            d.block,
        )?,
        points_per_dollar: c.int_or(
            b.points_per_dollar.as_ref(),
            "billing.points_per_dollar",
            "points per dollar",
            0..=1_000_000,
            d.points_per_dollar,
        )?,
    })
}

/// `[[billing.instance]]`: known teams, one id per team at most once, start before stop.
fn instances(
    c: &Checker<'_>,
    raw: &[Spanned<RawInstance>],
    game: &GameSettings,
    teams: &[TeamSpec],
    instance_type: &str,
) -> Result<Vec<ScriptedInstance>, ScenarioError> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(raw.len());
    for (i, inst) in raw.iter().enumerate() {
        let (f, r) = (format!("billing.instance[{i}]"), inst.get_ref());
        let team = known_team(c, &r.team, &format!("{f}.team"), teams)?
            .name
            .clone();
        let id = c.text(&r.id, &format!("{f}.id"), "an instance id like \"i-0abc\"")?;
        if !seen.insert((team.clone(), id.clone())) {
            let message =
                format!("team {team:?} already has an instance {id:?}: expected a unique id");
            return Err(c.error(r.id.span(), &format!("{f}.id"), message));
        }
        let instance_type = match &r.instance_type {
            Some(t) => c.text(
                t,
                &format!("{f}.type"),
                "an instance type like \"t2.micro\"",
            )?,
            None => instance_type.to_owned(),
        };
        let start = c.moment(&r.start, &format!("{f}.start"), game.duration)?;
        let stop = match &r.stop {
            Some(stop) if stop.get_ref().0 <= start => {
                let message = format!(
                    "expected a stop after the start ({}), got {}",
                    show(start),
                    show(stop.get_ref().0)
                );
                return Err(c.error(stop.span(), &format!("{f}.stop"), message));
            }
            Some(stop) => Some(GameTime::from_duration(stop.get_ref().0)),
            None => None,
        };
        out.push(ScriptedInstance {
            team,
            id,
            instance_type,
            start: GameTime::from_duration(start),
            stop,
        });
    }
    Ok(out)
}

/// `[[billing.aws]]` or `[[chaos.aws]]` (`section`: `billing.aws`, `chaos.aws`): a known
/// team at most once, a region, and a role or a profile.
pub(super) fn aws_accounts(
    c: &Checker<'_>,
    raw: &[Spanned<RawAws>],
    teams: &[TeamSpec],
    section: &str,
) -> Result<Vec<AwsTeam>, ScenarioError> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(raw.len());
    for (i, entry) in raw.iter().enumerate() {
        let (f, r) = (format!("{section}[{i}]"), entry.get_ref());
        let team = known_team(c, &r.team, &format!("{f}.team"), teams)?
            .name
            .clone();
        if !seen.insert(team.clone()) {
            let message = format!("team {team:?} already has a [[{section}]] entry");
            return Err(c.error(r.team.span(), &format!("{f}.team"), message));
        }
        let region = c.text(
            &r.region,
            &format!("{f}.region"),
            "a region like \"us-east-1\"",
        )?;
        if r.role_arn.is_none() && r.profile.is_none() {
            let message = "expected role_arn (a role to assume) or profile (a named AWS profile)";
            return Err(c.error(entry.span(), &f, message));
        }
        out.push(AwsTeam {
            team,
            region,
            role_arn: r.role_arn.clone(),
            external_id: r.external_id.clone(),
            profile: r.profile.clone(),
        });
    }
    Ok(out)
}
