//! `gameday report`: the post-game report of a ledger, drawn by scoreboard's debrief from
//! the game's projection. Each kind of marker has one source: the ledger gives the pauses,
//! the announcements (the scenario's and those made live) and the teams' URL changes, its
//! organizer events the adjustments and renames; the scenario, when given, adds only its
//! faults and simulated teams' steps (worded as the game's log words them).

use scoreboard::debrief::{Audience, Debrief, DebriefError, Marker, MarkerKind};
use scoreboard::follower::Follower;
use scoreboard_domain::GameTime;
use scoreboard_ledger::{LedgerAt, LedgerError};

use crate::game::{describe_fault, describe_step_from};
use crate::scenario::{Action, Endpoint, Scenario};

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
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
    let game = Follower::read(&*ledger)?.ok_or_else(|| ReportError::NoGame(at.to_string()))?;
    let mut all = game.markers();
    if let Some(scenario) = scenario {
        all.extend(markers(scenario));
        if !all.iter().any(|m| m.kind == MarkerKind::Announcement) {
            all.extend(announcements_made(scenario, game.projection.now));
        }
    }
    let html = Debrief {
        game: &game.meta.name,
        projection: &game.projection,
        rules: &game.meta.rules,
        markers: all,
        audience,
        until: None,
        workers: game.workers,
    }
    .render()?;
    Ok(html)
}

/// The scenario's announcements the game made by `until` (its last moment), for a ledger
/// recorded before the ledger kept announcements (schema 7): one that holds none, though
/// the scenario made some before the game ended. (A newer ledger holds every announcement
/// the game made, so a game that made none has none of these either.)
fn announcements_made(scenario: &Scenario, until: GameTime) -> Vec<Marker> {
    scenario
        .timeline
        .iter()
        .filter(|e| GameTime::from_duration(e.at) <= until)
        .filter_map(|e| match &e.action {
            Action::Announce(text) => Some(Marker {
                at: GameTime::from_duration(e.at),
                kind: MarkerKind::Announcement,
                team: None,
                text: text.clone(),
            }),
            _ => None,
        })
        .collect()
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
        // Announcements, registrations, freezes and breaks are the ledger's notes.
        Action::Announce(_)
        | Action::Hook { .. }
        | Action::Register { .. }
        | Action::Freeze(_)
        | Action::Break(_) => None,
    });
    let steps = scenario.teams.iter().flat_map(|t| {
        let steps = match &t.endpoint {
            Endpoint::Simulate(sim) => sim.steps.as_slice(),
            Endpoint::Urls(_) | Endpoint::Registers => &[],
        };
        let mut running = match &t.endpoint {
            Endpoint::Simulate(sim) => Some(sim.servers),
            Endpoint::Urls(_) | Endpoint::Registers => None,
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

#[cfg(test)]
mod tests {
    use super::*;
    use scoreboard_domain::{Adjustment, Points, Rules, Scorer};
    use scoreboard_ledger::prelude::*;
    use scoreboard_ledger::{GameMeta, Recorded, SqliteLedger};

    /// A ledger of a game that got to `at_ms`, with no notes (as one recorded before the
    /// ledger kept announcements).
    fn old_ledger(path: &std::path::Path, scenario: &Scenario, at_ms: u64) {
        let mut ledger = SqliteLedger::open(path).unwrap();
        let meta = GameMeta {
            name: scenario.game.name.clone(),
            seed: scenario.game.seed,
            rules: Rules::default(),
            teams: scenario.teams.iter().map(|t| t.name.clone()).collect(),
            registering: Vec::new(),
            duration_ms: scenario.game.duration.as_millis() as u64,
        };
        ledger.start_or_resume(&meta, 0).unwrap();
        let recorded = Recorded::Adjustment(Adjustment {
            id: "late".into(),
            at: GameTime(at_ms),
            team: meta.teams[0].clone(),
            points: Points(1000),
            reason: "a point".into(),
            by: "admin".into(),
        });
        let events = Scorer::new(Rules::default()).unwrap().events(&recorded);
        ledger.record(&[(recorded, events)]).unwrap();
    }

    #[test]
    fn a_ledger_without_notes_takes_the_announcements_its_game_made() {
        let file = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/ci/fault-recovery.toml"
        );
        let scenario = crate::scenario::load(std::path::Path::new(file)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (past, before) = (dir.path().join("past.db"), dir.path().join("before.db"));
        // The scenario announces "Chaos at 6 s" at 1 s.
        old_ledger(&past, &scenario, 10_000);
        old_ledger(&before, &scenario, 500);
        let html = |path: &std::path::Path| {
            report(
                &LedgerAt::File(path.into()),
                Some(&scenario),
                Audience::Organizer,
            )
            .unwrap()
        };
        assert!(html(&past).contains("Chaos at 6 s"), "made by 10 s");
        assert!(!html(&before).contains("Chaos at 6 s"), "not made by 0.5 s");
        assert!(
            !report(&LedgerAt::File(past), None, Audience::Organizer)
                .unwrap()
                .contains("Chaos at 6 s")
        );
    }
}
