//! What happens at set moments of a game: simulated teams' steps and the scenario's
//! timeline (announcements, faults, hooks), in one sorted list walked by the game loop.

use std::time::Duration;

use scoreboard::GameTime;
use serde::Serialize;

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

/// A hook's run, as recorded in the report.
#[derive(Clone, Debug, Serialize)]
pub struct HookRun {
    /// Game time it started, in milliseconds.
    pub at_ms: u64,
    pub command: String,
    /// Its exit code; `None` when it was killed at its time limit or could not start.
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    /// The start of what it wrote on stdout and stderr.
    pub output: String,
}

/// Output kept from a hook.
const HOOK_OUTPUT: usize = 2048;

/// Runs `command` with `sh -c`, killing it at `timeout`.
pub async fn run_hook(command: String, timeout: Duration, at: GameTime) -> HookRun {
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(&command)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let result = tokio::time::timeout(timeout, cmd.output()).await;
    let (exit_code, timed_out, output) = match result {
        Err(_) => (
            None,
            true,
            format!("killed after {}", humantime::format_duration(timeout)),
        ),
        Ok(Err(e)) => (None, false, format!("could not start: {e}")),
        Ok(Ok(out)) => {
            let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&out.stderr));
            if text.len() > HOOK_OUTPUT {
                let mut cut = HOOK_OUTPUT;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
                text.push('…');
            }
            (out.status.code(), false, text)
        }
    };
    HookRun {
        at_ms: at.0,
        command,
        exit_code,
        timed_out,
        output,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn run(command: &str, timeout: Duration) -> HookRun {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(run_hook(command.to_owned(), timeout, GameTime(4_000)))
    }

    #[test]
    fn a_hook_keeps_its_exit_code_and_output() {
        let hook = run(
            "echo to stdout; echo to stderr >&2; exit 3",
            Duration::from_secs(10),
        );
        assert_eq!(hook.exit_code, Some(3));
        assert!(!hook.timed_out);
        assert_eq!(hook.output, "to stdout\nto stderr\n");
        assert_eq!(
            (hook.at_ms, hook.command.as_str()),
            (4_000, "echo to stdout; echo to stderr >&2; exit 3")
        );
    }

    #[test]
    fn a_hook_past_its_timeout_is_killed_and_says_so() {
        let started = std::time::Instant::now();
        let hook = run("sleep 30", Duration::from_millis(300));
        assert!(started.elapsed() < Duration::from_secs(10), "not killed");
        assert_eq!(hook.exit_code, None);
        assert!(hook.timed_out);
        assert_eq!(hook.output, "killed after 300ms");
    }

    #[test]
    fn a_long_output_is_cut_on_a_character_boundary() {
        let hook = run("printf 'é%.0s' $(seq 1 3000)", Duration::from_secs(10));
        assert_eq!(hook.exit_code, Some(0));
        assert!(hook.output.ends_with('…'));
        assert!(hook.output.len() <= HOOK_OUTPUT + '…'.len_utf8());
    }
}
