//! The live [`Snapshot`] of a game, drawn from its projection for the terminal and web views,
//! with what only the runner knows: the offered load and its phase, the flags (the teams'
//! URLs are the projection's, as the notes tell them).

use loadgen::Pacing;
use scoreboard::live::{LedgerHealth, LoadNow, Snapshot};
use scoreboard_domain::{GameProjection, GameTime, SnapshotFacts};

use crate::scenario::Scenario;

/// The game's switches and the ledger's health, as the views show them.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    pub paused: bool,
    pub over: bool,
    pub ledger: LedgerHealth,
}

/// What the views show now (the public board kept at a freeze is the projection's).
pub fn snapshot(scenario: &Scenario, projection: &GameProjection, flags: Flags) -> Snapshot {
    let (offered, phase) = load_now(&scenario.load.pacing, projection.now);
    projection.snapshot(SnapshotFacts {
        name: &scenario.game.name,
        duration: scenario.game.duration,
        load: LoadNow { offered, phase },
        paused: flags.paused,
        over: flags.over,
        ledger: flags.ledger,
    })
}

/// The offered load at `now` and the phase it is in.
pub fn load_now(pacing: &Pacing, now: GameTime) -> (String, String) {
    match pacing {
        Pacing::Open(schedule) => {
            let now = now.as_duration();
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
