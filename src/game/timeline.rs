//! What happens at set moments of a game: simulated teams' steps and the scenario's
//! timeline (announcements, faults, hooks), in one sorted list the core walks, and the
//! words that describe them. Descriptions only: the shell carries them out (a hook runs in
//! hook.rs).

use std::time::Duration;

use crate::fleet::Fleet;
use crate::scenario::{Action, Endpoint, Fault, Misbehaviour, Scenario, SimStep};

/// One thing due at a moment.
#[derive(Clone, Debug)]
pub enum Happening {
    /// A simulated team carries out a step of its plan.
    Step { team: String, step: SimStep },
    /// An entry of the scenario's timeline.
    Timeline(Action),
}

/// The game's happenings in time order, and how far the game has got.
#[derive(Debug)]
pub struct Timeline {
    items: Vec<(Duration, Happening)>,
    next: usize,
}

impl Timeline {
    /// Every step and timeline entry of `scenario`; those before `offset` (a resumed game)
    /// are passed over: the fleet starts as the steps left it.
    pub fn new(scenario: &Scenario, offset: Duration) -> Timeline {
        let mut items: Vec<(Duration, Happening)> = scenario
            .teams
            .iter()
            .filter_map(|t| match &t.endpoint {
                Endpoint::Simulate(sim) => Some((t.name.clone(), sim)),
                Endpoint::Urls(_) | Endpoint::Registers => None,
            })
            .flat_map(|(team, sim)| {
                sim.steps.iter().map(move |step| {
                    let team = team.clone();
                    (
                        step.at,
                        Happening::Step {
                            team,
                            step: step.clone(),
                        },
                    )
                })
            })
            .chain(
                scenario
                    .timeline
                    .iter()
                    .map(|e| (e.at, Happening::Timeline(e.action.clone()))),
            )
            .collect();
        // Stable: at one moment, steps come before the timeline, each in file order.
        items.sort_by_key(|(at, _)| *at);
        let next = items.iter().take_while(|(at, _)| *at < offset).count();
        Timeline { items, next }
    }

    /// The happenings due by `now`, each once.
    pub fn due(&mut self, now: Duration) -> Vec<(Duration, Happening)> {
        let start = self.next;
        while self.items.get(self.next).is_some_and(|(at, _)| *at <= now) {
            self.next += 1;
        }
        self.items[start..self.next].to_vec()
    }
}

/// Says what a fault does, for the log.
pub fn describe_fault(fault: &Fault) -> String {
    match fault {
        Fault::Kill => "a server is killed".to_owned(),
        Fault::Flavor(f) => format!("every server now runs {f}"),
        Fault::Latency { extra, lasting } => match lasting {
            Some(l) => format!(
                "answers take {} longer for {}",
                humantime::format_duration(*extra),
                humantime::format_duration(*l)
            ),
            None => format!("answers take {} longer", humantime::format_duration(*extra)),
        },
        Fault::Stall { lasting } => format!(
            "servers stop answering for {}",
            humantime::format_duration(*lasting)
        ),
        Fault::Misbehave { how, lasting } => format!(
            "servers answer {} for {}",
            match how {
                Misbehaviour::Garbage => "with bytes that are not HTTP",
                Misbehaviour::Oversize => "far too much",
                Misbehaviour::Reset => "half an answer, then drop the connection",
            },
            humantime::format_duration(*lasting)
        ),
    }
}

/// Says what a step does, for the log.
pub fn describe_step(step: &SimStep, fleet: &Fleet, team: &str) -> String {
    let now = fleet
        .teams
        .iter()
        .find(|t| t.team() == team)
        .map_or(0, |t| t.running());
    describe_step_from(step, Some(now))
}

/// Says what a step does, given the servers running before it when known (the debrief
/// reads a scenario, not a fleet).
pub fn describe_step_from(step: &SimStep, running: Option<usize>) -> String {
    let mut parts = Vec::new();
    if let Some(n) = step.servers {
        parts.push(match running {
            Some(now) => format!("scales from {now} to {n} servers"),
            None => format!("scales to {n} servers"),
        });
    }
    if let Some(f) = step.flavor {
        parts.push(format!("deploys {f}"));
    }
    if let Some(c) = step.cache {
        parts.push(
            if c {
                "puts a cache in front"
            } else {
                "removes its cache"
            }
            .to_owned(),
        );
    }
    parts.join(", ")
}
