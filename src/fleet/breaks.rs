//! The instructor's breaks on a simulated team, with the fleet's own fault machinery: a
//! terminated or stopped instance is a killed server; a closed port refuses new connections
//! (the load is pointed at an address nothing listens on) and cuts off the open ones; a
//! network ACL, a dropped route or a detached gateway stalls every request (connections
//! hang, requests time out). Each lasts until the restore, or until the team mends it (its
//! `mend_after`).

use std::time::Duration;

use scoreboard_domain::GameTime;
use scoreboard_domain::breaks::{BreakAction, BreakOutcome};
use serde_json::json;

use super::{FleetError, TeamFleet, refusing_url};

/// A stall that lasts until lifted: longer than any game.
const UNTIL_LIFTED: Duration = Duration::from_secs(48 * 3600);

/// What a break did to the team's servers.
#[derive(Debug)]
pub(super) struct SimBreak {
    action: BreakAction,
    effect: SimEffect,
    /// Still in force (neither restored nor mended).
    in_force: bool,
}

#[derive(Debug)]
enum SimEffect {
    /// A server killed: the servers running before.
    Down { running_before: usize },
    /// New connections refused at this address, open ones cut off.
    Refused { url: String },
    /// Every request stalls.
    Dropped,
}

impl TeamFleet {
    /// Breaks the team's servers by `action` at `at` (the instance chosen with `seed`): what
    /// changed in words, and what was there before.
    pub fn break_stack(
        &mut self,
        id: &str,
        action: BreakAction,
        seed: u64,
        at: GameTime,
    ) -> BreakOutcome {
        let servers: Vec<String> = self.urls();
        let running = self.running();
        let of = if running == 1 {
            "its only server".to_owned()
        } else {
            format!("{running} servers")
        };
        let (effect, what, record) = match action {
            BreakAction::TerminateInstance | BreakAction::StopInstance => {
                let Some(n) = self
                    .live
                    .get(seed as usize % running.max(1))
                    .map(|(n, _)| *n)
                else {
                    return BreakOutcome::Failed {
                        reason: "no server is running: nothing to stop".to_owned(),
                    };
                };
                let instance = self.instances[n - 1].id.clone();
                self.stop_instance(n, at);
                let verb = if action == BreakAction::StopInstance {
                    "stopped"
                } else {
                    "terminated"
                };
                let what = format!("{verb} {instance} ({of}): its connections dropped");
                let record =
                    json!({ "instance": instance, "running": running, "servers": servers });
                let effect = SimEffect::Down {
                    running_before: running,
                };
                (effect, what, record)
            }
            BreakAction::ClosePort => {
                let url = refusing_url();
                self.knobs.set_refusing(true);
                let what =
                    format!("closed the port of {of}: new connections refused, open ones cut off");
                let record = json!({ "servers": servers, "refused_at": url });
                (SimEffect::Refused { url }, what, record)
            }
            BreakAction::DenyNacl | BreakAction::DropRoute | BreakAction::DetachIgw => {
                self.knobs.stall(UNTIL_LIFTED);
                let what =
                    format!("dropped the traffic to {of}: connections hang, requests time out");
                (SimEffect::Dropped, what, json!({ "servers": servers }))
            }
        };
        self.breaks.insert(
            id.to_owned(),
            SimBreak {
                action,
                effect,
                in_force: true,
            },
        );
        BreakOutcome::Done { what, record }
    }

    /// Puts back break `id` at `at`, unless the team mended it first.
    pub fn restore(&mut self, id: &str, at: GameTime) -> BreakOutcome {
        match self.undo(id, at) {
            Ok(Some((what, record))) => BreakOutcome::Done { what, record },
            Ok(None) => BreakOutcome::AlreadyMended {
                what: "its servers answer again".to_owned(),
            },
            Err(e) => BreakOutcome::Failed {
                reason: e.to_string(),
            },
        }
    }

    /// The team mends break `id` itself at `at`: what it did, if anything was broken.
    pub fn mend(&mut self, id: &str, at: GameTime) -> Result<Option<String>, FleetError> {
        Ok(self.undo(id, at)?.map(|(what, _)| what))
    }

    /// Undoes break `id` if it is still in force: what was done, and its record.
    fn undo(
        &mut self,
        id: &str,
        at: GameTime,
    ) -> Result<Option<(String, serde_json::Value)>, FleetError> {
        let Some(b) = self.breaks.get_mut(id).filter(|b| b.in_force) else {
            return Ok(None);
        };
        b.in_force = false;
        let action = b.action;
        let done = match b.effect {
            SimEffect::Down { running_before } => {
                let missing = running_before.saturating_sub(self.running());
                if missing == 0 {
                    return Ok(None);
                }
                let first = self.instances.len() + 1;
                for _ in 0..missing {
                    self.launch(at)?;
                }
                let started: Vec<String> = self.instances[first - 1..]
                    .iter()
                    .map(|i| i.id.clone())
                    .collect();
                let verb = if action == BreakAction::StopInstance {
                    "started again as"
                } else {
                    "replaced by"
                };
                let what = format!("the server {verb} {}", started.join(", "));
                (what, json!({ "started": started }))
            }
            SimEffect::Refused { .. } => {
                if !self.in_force(|e| matches!(e, SimEffect::Refused { .. })) {
                    self.knobs.set_refusing(false);
                }
                let what = "the port is open again".to_owned();
                (what, json!({ "servers": self.urls() }))
            }
            SimEffect::Dropped => {
                if !self.in_force(|e| matches!(e, SimEffect::Dropped)) {
                    self.knobs.lift_stall();
                }
                let what = "the traffic flows again".to_owned();
                (what, json!({ "servers": self.urls() }))
            }
        };
        Ok(Some(done))
    }

    /// Whether a break of this kind is still in force.
    fn in_force(&self, kind: impl Fn(&SimEffect) -> bool) -> bool {
        self.breaks.values().any(|b| b.in_force && kind(&b.effect))
    }

    /// The address the load is sent to while a closed port refuses it, if one does.
    pub(super) fn refused_at(&self) -> Option<String> {
        self.breaks.values().find_map(|b| match &b.effect {
            SimEffect::Refused { url } if b.in_force => Some(url.clone()),
            _ => None,
        })
    }
}
