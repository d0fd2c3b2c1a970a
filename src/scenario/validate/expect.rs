//! `[[expect]]`: what `gameday replay` checks at the end, an order of teams or one team's
//! score, cost and counts.

use std::collections::HashSet;
use std::ops::Range;

use scoreboard_domain::{Cents, Points};
use toml::Spanned;

use super::super::check::{Checker, Decimal};
use super::super::raw::{OneOrMany, RawEventCount, RawExpect, items};
use super::super::{Counted, EventCount, Expectation, ScenarioError, TeamExpectation, TeamSpec};
use super::known_team;

/// Every expectation, checked, in file order.
pub(super) fn expectations(
    c: &Checker<'_>,
    raw: &[Spanned<RawExpect>],
    teams: &[TeamSpec],
) -> Result<Vec<Expectation>, ScenarioError> {
    raw.iter()
        .enumerate()
        .map(|(i, entry)| {
            let (f, e) = (format!("expect[{i}]"), entry.get_ref());
            match (&e.order, &e.team) {
                (Some(_), Some(team)) => {
                    let message = "set either order = [ … ] or team = \"…\", not both";
                    Err(c.error(team.span(), &format!("{f}.team"), message))
                }
                (Some(order), None) => {
                    refuse_team_fields(c, e, &f)?;
                    Ok(Expectation::Order(self::order(c, order, &f, teams)?))
                }
                (None, Some(team)) => Ok(Expectation::Team(self::team(c, e, team, &f, teams)?)),
                (None, None) => {
                    let message = "expected order = [\"a\", \"b\"] or team = \"a\" with what to \
                                   check";
                    Err(c.error(entry.span(), &f, message))
                }
            }
        })
        .collect()
}

/// The spans of the fields about one team that are written.
fn team_fields(e: &RawExpect) -> Vec<(&'static str, Range<usize>)> {
    [
        ("rank", e.rank.as_ref().map(Spanned::span)),
        ("score_min", e.score_min.as_ref().map(Spanned::span)),
        ("score_max", e.score_max.as_ref().map(Spanned::span)),
        ("cost_dollars", e.cost_dollars.as_ref().map(Spanned::span)),
        ("correct_min", e.correct_min.as_ref().map(Spanned::span)),
        ("events", e.events.as_ref().map(Spanned::span)),
    ]
    .into_iter()
    .filter_map(|(name, span)| span.map(|s| (name, s)))
    .collect()
}

fn refuse_team_fields(c: &Checker<'_>, e: &RawExpect, f: &str) -> Result<(), ScenarioError> {
    match team_fields(e).into_iter().next() {
        Some((name, span)) => {
            let message = "read only with team = \"…\", not with order";
            Err(c.error(span, &format!("{f}.{name}"), message))
        }
        None => Ok(()),
    }
}

/// At least two known teams, each once.
fn order(
    c: &Checker<'_>,
    raw: &Spanned<Vec<Spanned<String>>>,
    f: &str,
    teams: &[TeamSpec],
) -> Result<Vec<String>, ScenarioError> {
    let list = raw.get_ref();
    if list.len() < 2 {
        let message = format!(
            "expected at least two teams, best first, got {}",
            list.len()
        );
        return Err(c.error(raw.span(), &format!("{f}.order"), message));
    }
    let mut seen = HashSet::new();
    list.iter()
        .enumerate()
        .map(|(j, name)| {
            let field = format!("{f}.order[{j}]");
            let team = known_team(c, name, &field, teams)?.name.clone();
            if !seen.insert(team.clone()) {
                let message = format!("team {team:?} is already in the order");
                return Err(c.error(name.span(), &field, message));
            }
            Ok(team)
        })
        .collect()
}

fn team(
    c: &Checker<'_>,
    e: &RawExpect,
    name: &Spanned<String>,
    f: &str,
    teams: &[TeamSpec],
) -> Result<TeamExpectation, ScenarioError> {
    let field = |name: &str| format!("{f}.{name}");
    let team = known_team(c, name, &field("team"), teams)?.name.clone();
    if team_fields(e).is_empty() {
        let message = "expected at least one of rank, score_min, score_max, cost_dollars, \
                       correct_min or events";
        return Err(c.error(name.span(), &field("team"), message));
    }
    let max_rank = i64::try_from(teams.len()).unwrap_or(i64::MAX);
    let score = |v: &Option<Spanned<f64>>, name: &str| {
        v.as_ref()
            .map(|v| {
                c.decimal(
                    v,
                    &field(name),
                    Decimal::Points,
                    -1_000_000_000..=1_000_000_000,
                )
            })
            .transpose()
    };
    let (score_min, score_max) = (
        score(&e.score_min, "score_min")?,
        score(&e.score_max, "score_max")?,
    );
    if let (Some(raw_min), Some(raw_max)) = (&e.score_min, &e.score_max)
        && score_max < score_min
    {
        let message = format!(
            "expected at least score_min ({}), got {}",
            raw_min.get_ref(),
            raw_max.get_ref()
        );
        return Err(c.error(raw_max.span(), &field("score_max"), message));
    }
    Ok(TeamExpectation {
        team,
        rank: e
            .rank
            .as_ref()
            .map(|r| c.int(r, &field("rank"), "a rank", 1..=max_rank))
            .transpose()?,
        score_min: score_min.map(Points),
        score_max: score_max.map(Points),
        cost: e
            .cost_dollars
            .as_ref()
            .map(|d| {
                c.decimal(
                    d,
                    &field("cost_dollars"),
                    Decimal::Dollars,
                    0..=1_000_000_000,
                )
            })
            .transpose()?
            .map(Cents),
        correct_min: e
            .correct_min
            .as_ref()
            .map(|n| c.int(n, &field("correct_min"), "a count", 0..=i64::MAX))
            .transpose()?,
        events: match &e.events {
            Some(events) => event_counts(c, events, &field("events"))?,
            None => Vec::new(),
        },
    })
}

fn event_counts(
    c: &Checker<'_>,
    raw: &Spanned<OneOrMany<RawEventCount>>,
    f: &str,
) -> Result<Vec<EventCount>, ScenarioError> {
    let many = matches!(raw.get_ref(), OneOrMany::Many(_));
    items(raw)
        .into_iter()
        .enumerate()
        .map(|(j, (count, span))| {
            let field = if many {
                format!("{f}[{j}]")
            } else {
                f.to_owned()
            };
            event_count(c, count, span, &field)
        })
        .collect()
}

/// One source or kind, and a minimum, a maximum or both, in order.
fn event_count(
    c: &Checker<'_>,
    raw: &RawEventCount,
    span: Range<usize>,
    f: &str,
) -> Result<EventCount, ScenarioError> {
    let field = |name: &str| format!("{f}.{name}");
    let what = match (&raw.source, &raw.kind) {
        (Some(source), None) => Counted::Source(source.get_ref().0),
        (None, Some(kind)) => Counted::Kind(kind.get_ref().0),
        (Some(_), Some(kind)) => {
            let message = "set either source (score events) or kind (outcomes), not both";
            return Err(c.error(kind.span(), &field("kind"), message));
        }
        (None, None) => {
            let message = "expected source = \"Billing\" or kind = \"timeout\": what to count";
            return Err(c.error(span, f, message));
        }
    };
    let bound = |v: &Option<Spanned<i64>>, name: &str| {
        v.as_ref()
            .map(|n| c.int::<u64>(n, &field(name), "a count", 0..=i64::MAX))
            .transpose()
    };
    let (min, max) = (bound(&raw.min, "min")?, bound(&raw.max, "max")?);
    match (min, max, &raw.max) {
        (None, None, _) => {
            let message = "expected min, max or both";
            Err(c.error(span, f, message))
        }
        (Some(min), Some(max), Some(raw_max)) if max < min => {
            let message = format!("expected at least min ({min}), got {max}");
            Err(c.error(raw_max.span(), &field("max"), message))
        }
        _ => Ok(EventCount { what, min, max }),
    }
}
