//! The live [`Snapshot`] of a game, drawn from its state for the terminal and web views.

use loadgen::{OutcomeKind, Pacing};
use scoreboard::live::{Announcement, Snapshot, TeamRow};

use super::state::GameState;
use crate::scenario::Scenario;

/// What a snapshot says of the game beyond its state: the scenario when there is one (a
/// read-only replica has only the ledger).
#[derive(Clone, Copy, Debug)]
pub struct GameFacts<'a> {
    pub name: &'a str,
    pub duration: std::time::Duration,
    pub pacing: Option<&'a Pacing>,
    /// Team names in scenario order, and each team's URLs.
    pub teams: &'a [String],
    pub urls: &'a [Vec<String>],
}

impl<'a> GameFacts<'a> {
    pub fn of(scenario: &'a Scenario, teams: &'a [String], urls: &'a [Vec<String>]) -> Self {
        GameFacts {
            name: &scenario.game.name,
            duration: scenario.game.duration,
            pacing: Some(&scenario.load.pacing),
            teams,
            urls,
        }
    }
}

/// What the views show now. `frozen` is the public board kept at the freeze, if any.
pub fn snapshot(
    facts: GameFacts<'_>,
    state: &GameState,
    flags: Flags,
    frozen: Option<&[TeamRow]>,
) -> Snapshot {
    let teams = rows(&facts, state);
    let public = frozen.map_or_else(|| teams.clone(), <[TeamRow]>::to_vec);
    let (offered, phase) = facts
        .pacing
        .map_or_else(|| (String::new(), String::new()), |p| load_now(p, state));
    Snapshot {
        game: facts.name.to_owned(),
        now: state.now,
        duration: facts.duration,
        paused: flags.paused,
        frozen: frozen.is_some(),
        over: flags.over,
        offered,
        phase,
        announcements: state
            .announcements
            .iter()
            .map(|(at, text)| Announcement {
                at: *at,
                text: text.clone(),
            })
            .collect(),
        teams,
        public,
        ledger_writes: state.ledger_writes,
        ledger_write_seconds: state.ledger_write_seconds,
    }
}

/// The game's switches, as the views show them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flags {
    pub paused: bool,
    pub over: bool,
}

fn rows(facts: &GameFacts<'_>, state: &GameState) -> Vec<TeamRow> {
    state
        .leaderboard()
        .standings
        .into_iter()
        .map(|s| {
            let t = &state.teams[&s.team];
            let index = facts.teams.iter().position(|x| *x == s.team);
            let (correct_per_s, error_pct, p50, p99) = match &t.last_tick {
                Some(tick) => {
                    let secs = tick.length.as_secs_f64().max(0.001);
                    let total = tick.counts.total();
                    let err = if total == 0 {
                        0.0
                    } else {
                        100.0 * tick.counts.errors() as f64 / total as f64
                    };
                    (
                        tick.counts.get(OutcomeKind::Correct) as f64 / secs,
                        err,
                        tick.p50,
                        tick.p99,
                    )
                }
                None => (0.0, 0.0, Default::default(), Default::default()),
            };
            TeamRow {
                rank: s.rank,
                team: s.team.clone(),
                score: s.score,
                trend: s.trend,
                correct_per_s,
                error_pct,
                p50,
                p99,
                instances: t.instances,
                cost: t.cost,
                urls: index
                    .and_then(|i| facts.urls.get(i))
                    .cloned()
                    .unwrap_or_default(),
                score_series: t.score_series.iter().copied().collect(),
                p99_series: t.p99_series.iter().copied().collect(),
                recent: t.recent.iter().rev().cloned().collect(),
                sends: t.sends,
                late_sends: t.late_sends,
                outcomes: OutcomeKind::ALL
                    .iter()
                    .map(|k| (k.name().to_owned(), t.counts.get(*k)))
                    .collect(),
            }
        })
        .collect()
}

/// The offered load now and the phase it is in.
fn load_now(pacing: &Pacing, state: &GameState) -> (String, String) {
    match pacing {
        Pacing::Open(schedule) => {
            let now = state.now.as_duration();
            let rate = schedule.rate_at(now);
            let phases = schedule.phases();
            let current = phases.iter().rposition(|p| p.at <= now).unwrap_or(0);
            let phase = &phases[current];
            let ramp = match phase.ramp {
                Some(r) if now < phase.at + r => format!(" (ramp to {} req/s)", phase.rate),
                _ => String::new(),
            };
            (
                format!("{rate:.1} req/s"),
                format!("phase {} of {}{ramp}", current + 1, phases.len()),
            )
        }
        Pacing::Closed { clients } => (format!("{clients} clients"), "closed model".to_owned()),
    }
}
