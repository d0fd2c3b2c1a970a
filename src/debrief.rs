//! `gameday report`: the post-game report of a ledger, drawn by scoreboard's debrief from
//! the game's projection. Each kind of marker has one source: the ledger gives the pauses,
//! the announcements (the scenario's and those made live) and the teams' URL changes, its
//! organizer events the adjustments and renames; the scenario, when given, adds only its
//! faults and simulated teams' steps (worded as the game's log words them).

use scoreboard::debrief::{Audience, Debrief, DebriefError, LedgerGame, Marker, MarkerKind};
use scoreboard::{GameTime, LedgerAt, ScoreError};

use crate::game::{describe_fault, describe_step_from};
use crate::scenario::{Action, Endpoint, Scenario};

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Ledger(#[from] ScoreError),
    #[error("{0} holds no game")]
    NoGame(String),
    #[error(transparent)]
    Draw(#[from] DebriefError),
}

/// The report of the game at `at`, for `audience`, with the markers of `scenario`.
pub fn report(
    at: &LedgerAt,
    scenario: Option<&Scenario>,
    audience: Audience,
) -> Result<String, ReportError> {
    let ledger = at.open_existing()?;
    let game = LedgerGame::read(&*ledger)?.ok_or_else(|| ReportError::NoGame(at.to_string()))?;
    let html = Debrief {
        game: &game.meta.name,
        projection: &game.projection,
        rules: &game.meta.rules,
        markers: game
            .markers()
            .into_iter()
            .chain(scenario.map(markers).unwrap_or_default())
            .collect(),
        audience,
        until: None,
        workers: game.workers,
        names: ledger
            .team_names()?
            .into_iter()
            .map(|n| (n.team, n.name))
            .collect(),
    }
    .render()?;
    Ok(html)
}

/// The scenario's faults and its simulated teams' steps. Its announcements are not here:
/// the game records each one it makes in the ledger, the one source of announcements.
pub fn markers(scenario: &Scenario) -> Vec<Marker> {
    let at = |d: std::time::Duration| GameTime::from_duration(d);
    let timeline = scenario.timeline.iter().filter_map(|e| match &e.action {
        Action::Fault { team, fault } => Some(Marker {
            at: at(e.at),
            kind: MarkerKind::Fault,
            team: Some(team.clone()),
            text: describe_fault(fault),
        }),
        Action::Announce(_) | Action::Hook { .. } => None,
    });
    let steps = scenario.teams.iter().flat_map(|t| {
        let steps = match &t.endpoint {
            Endpoint::Simulate(sim) => sim.steps.as_slice(),
            Endpoint::Urls(_) => &[],
        };
        let mut running = match &t.endpoint {
            Endpoint::Simulate(sim) => Some(sim.servers),
            Endpoint::Urls(_) => None,
        };
        steps
            .iter()
            .map(|step| {
                let text = describe_step_from(step, running);
                running = step.servers.or(running);
                Marker {
                    at: at(step.at),
                    kind: MarkerKind::Step,
                    team: Some(t.name.clone()),
                    text,
                }
            })
            .collect::<Vec<_>>()
    });
    timeline.chain(steps).collect()
}
