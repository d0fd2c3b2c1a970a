//! The instructor's breaks in words every part shares without the AWS SDK: the actions
//! (`close_port`, …) as the scenario writes them, what each does to a team, and the record
//! a break or a restore leaves in the ledger (a note's text, as JSON), which the views read.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{GameTime, Note, NoteKind};

/// What an instructor does to a team's stack (a real team's AWS account, or a simulated
/// team's servers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakAction {
    /// Terminate one of the team's running instances (chosen from the seed).
    TerminateInstance,
    /// Stop one of the team's running instances (chosen from the seed).
    StopInstance,
    /// Revoke the ingress rules that let the load reach the service's port.
    ClosePort,
    /// A deny entry for the service's port, first in the subnets' network ACLs.
    DenyNacl,
    /// Delete the default route to the internet gateway from the subnets' route tables.
    DropRoute,
    /// Detach the internet gateway from the team's VPC.
    DetachIgw,
}

impl BreakAction {
    /// Every action, in the scenario's words' order.
    pub const ALL: [BreakAction; 6] = [
        BreakAction::TerminateInstance,
        BreakAction::StopInstance,
        BreakAction::ClosePort,
        BreakAction::DenyNacl,
        BreakAction::DropRoute,
        BreakAction::DetachIgw,
    ];

    /// The scenario's word for it (`terminate_instance`, …).
    pub fn name(self) -> &'static str {
        match self {
            BreakAction::TerminateInstance => "terminate_instance",
            BreakAction::StopInstance => "stop_instance",
            BreakAction::ClosePort => "close_port",
            BreakAction::DenyNacl => "deny_nacl",
            BreakAction::DropRoute => "drop_route",
            BreakAction::DetachIgw => "detach_igw",
        }
    }

    /// What it does to a team, in the team's words, and what to look at (a told break's
    /// line on the team's page).
    pub fn describe(self) -> &'static str {
        match self {
            BreakAction::TerminateInstance => {
                "one of your instances was terminated: check that your Auto Scaling group \
                 replaces it and that the load balancer's targets are healthy"
            }
            BreakAction::StopInstance => {
                "one of your instances was stopped: start it again, or let your Auto Scaling \
                 group replace it"
            }
            BreakAction::ClosePort => {
                "the ingress rules that let the load reach your service's port were revoked: \
                 check the security groups of your load balancer and instances"
            }
            BreakAction::DenyNacl => {
                "a network ACL entry denies your service's port: check the inbound rules of \
                 your subnets' network ACLs"
            }
            BreakAction::DropRoute => {
                "the default route to the internet gateway was deleted: check your subnets' \
                 route tables (0.0.0.0/0 to the igw)"
            }
            BreakAction::DetachIgw => {
                "the internet gateway was detached from your VPC: attach it again"
            }
        }
    }

    /// Whether the load's connections are refused (else they hang and time out, or the
    /// server is gone).
    pub fn refuses(self) -> bool {
        self == BreakAction::ClosePort
    }
}

impl fmt::Display for BreakAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for BreakAction {
    type Err = String;
    fn from_str(s: &str) -> Result<BreakAction, String> {
        BreakAction::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = BreakAction::ALL.iter().map(|a| a.name()).collect();
                format!("expected a break action ({}), got {s:?}", names.join(", "))
            })
    }
}

/// Who asked for a break or a restore.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AskedBy {
    /// The scenario's `[[timeline]]` (a restore: its `for`).
    Timeline,
    /// The organizer, live.
    Organizer,
}

/// How a break or a restore went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum BreakOutcome {
    /// Done: what changed in words, and the record of exactly what was there before (a
    /// restore's: what it put back), as JSON.
    Done {
        what: String,
        record: serde_json::Value,
    },
    /// A restore that found the team had mended it already: nothing changed.
    AlreadyMended { what: String },
    /// The team mended it itself (a simulated team, after its `mend_after`): what it did.
    /// Noted as the break's restore, at the mend's time: no restore runs after it.
    Mended { what: String },
    /// It failed, and why (said once; the game goes on).
    Failed { reason: String },
}

/// A break or a restore as the ledger keeps it: a note's text (`NoteKind::Break` or
/// `NoteKind::Restore`), with the note's team and game time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakRecord {
    /// The break's id (its restore carries the same).
    pub id: String,
    pub action: BreakAction,
    pub asked_by: AskedBy,
    /// The team reads it on its page.
    pub tell: bool,
    /// When it is to be put back (a break's `at + for`; `None`: only when asked). A game
    /// resumed from its ledger restores it then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_at: Option<GameTime>,
    pub outcome: BreakOutcome,
}

impl BreakRecord {
    /// The note's text.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("a break record serializes")
    }

    /// A note's text read back (`None`: not a break record).
    pub fn from_text(text: &str) -> Option<BreakRecord> {
        serde_json::from_str(text).ok()
    }

    /// What it did, in words, for the organizer and the log.
    pub fn words(&self) -> String {
        match &self.outcome {
            BreakOutcome::Done { what, .. } => what.clone(),
            BreakOutcome::AlreadyMended { what } => {
                format!("already mended by the team, nothing changed: {what}")
            }
            BreakOutcome::Mended { what } => format!("mended by the team itself: {what}"),
            BreakOutcome::Failed { reason } => format!("failed: {reason}"),
        }
    }
}

/// A break or a restore as the views read it: the note's time and team, and its record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BreakNote {
    pub at: GameTime,
    pub team: String,
    /// A restore (else the break).
    pub restore: bool,
    pub record: BreakRecord,
}

impl BreakNote {
    /// A break's or a restore's note read back (`None`: another kind, or not a record).
    pub fn of(note: &Note) -> Option<BreakNote> {
        let restore = match note.kind {
            NoteKind::Break => false,
            NoteKind::Restore => true,
            _ => return None,
        };
        Some(BreakNote {
            at: note.at,
            team: note.team.clone()?,
            restore,
            record: BreakRecord::from_text(&note.text)?,
        })
    }

    /// What the team reads when the break tells it: what broke and what to look at, or
    /// that it was put back.
    pub fn team_words(&self) -> String {
        let action = self.record.action;
        match (&self.record.outcome, self.restore) {
            (BreakOutcome::Failed { .. }, false) => {
                format!("the organizer tried to break your stack ({action}), and could not")
            }
            (_, false) => format!("The organizer broke your stack: {}", action.describe()),
            (BreakOutcome::Done { .. }, true) => format!(
                "The organizer put back what it broke ({action}): your service should answer \
                 again; if it does not, look where the break said"
            ),
            (BreakOutcome::AlreadyMended { .. } | BreakOutcome::Mended { .. }, true) => {
                format!("You mended the break ({action}) before the organizer put it back")
            }
            (BreakOutcome::Failed { .. }, true) => format!(
                "The organizer could not put back what it broke ({action}): {}",
                action.describe()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_read_and_write_as_the_scenario_names_them() {
        for a in BreakAction::ALL {
            assert_eq!(a.name().parse::<BreakAction>(), Ok(a));
            assert_eq!(a.to_string(), a.name());
            let json = serde_json::to_string(&a).unwrap();
            assert_eq!(json, format!("\"{}\"", a.name()));
            assert!(!a.describe().is_empty());
        }
        let err = "unplug".parse::<BreakAction>().unwrap_err();
        assert!(err.contains("close_port"), "{err}");
    }

    #[test]
    fn a_record_reads_back_from_its_text() {
        let record = BreakRecord {
            id: "b0-blue".into(),
            action: BreakAction::DropRoute,
            asked_by: AskedBy::Timeline,
            tell: true,
            restore_at: Some(GameTime(65_000)),
            outcome: BreakOutcome::Done {
                what: "drop every connection".into(),
                record: serde_json::json!({"servers": 2}),
            },
        };
        let text = record.to_text();
        assert!(text.contains("\"drop_route\""), "{text}");
        assert_eq!(BreakRecord::from_text(&text), Some(record));
        assert_eq!(BreakRecord::from_text("lunch at noon"), None);
    }
}
