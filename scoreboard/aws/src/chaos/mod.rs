//! The instructor's breaks on a real team's AWS account: find the resources a break touches
//! (from the team's registered URL, or the stack's tags), plan it without changing anything,
//! apply it recording exactly what was there before, and restore what was recorded unless the
//! team has already mended it. deploy/aws/README.md ("How a break finds and changes each
//! resource") says what each action touches.
//!
//! The game calls it from a shell: [`Chaos::plan`], then [`Chaos::apply`], whose [`Applied`]
//! goes in the ledger (serde), later [`Chaos::restore`] with that record.

mod change;
mod error;
mod find;
mod instances;
mod network;

use std::fmt;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use serde::{Deserialize, Serialize};

use crate::AwsAccount;

pub use change::{Change, IngressRule, RuleSource};
pub use error::ChaosError;
pub use find::{Found, FoundBy, Instance, NetworkAcl, Resources, RouteTable, SecurityGroup};
/// The actions' one definition (the scenario and the game's core name them without the SDK).
pub use scoreboard_domain::breaks::BreakAction as Action;

/// The tag every resource of the team's stack carries, with the team's name.
pub const TEAM_TAG: &str = "gameday:team";
/// The tag that says what a resource is to the breaks (`instance`, `alb-sg`, `nacl`, …).
pub const ROLE_TAG: &str = "gameday:role";

/// A team to break: its account (region, and the chaos role or a profile) and the URL it
/// registered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChaosTarget {
    /// `[[chaos.aws]]`: the team's name (the value of its stack's `gameday:team` tags), the
    /// region and how to reach the account.
    pub account: AwsAccount,
    /// The team's registered URL (the stack's `Url` output: its load balancer).
    pub url: String,
}

/// What a break would change, read from the account and changing nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub team: String,
    pub action: Action,
    /// How the resources were found: the URL's load balancer, or the stack's tags alone.
    pub found_by: FoundBy,
    /// Each change, with what is there now (what restore would put back).
    pub changes: Vec<Change>,
    /// Resources the break would act on but may not: not tagged as the team's stack (the
    /// team replaced them with its own), each with why.
    pub untouchable: Vec<String>,
}

impl fmt::Display for Plan {
    /// One line for `gameday chaos plan`: the team, the action, how its resources were found,
    /// each change, and what it may not touch.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let by = match &self.found_by {
            FoundBy::LoadBalancer { dns_name, .. } => format!("from its load balancer {dns_name}"),
            FoundBy::Tags => "by its stack's tags".to_owned(),
        };
        let changes: Vec<String> = self.changes.iter().map(ToString::to_string).collect();
        let changes = if changes.is_empty() {
            "nothing to change".to_owned()
        } else {
            changes.join("; ")
        };
        write!(f, "{} {} (found {by}): {changes}", self.team, self.action)?;
        if !self.untouchable.is_empty() {
            write!(f, "; out of reach: {}", self.untouchable.join("; "))?;
        }
        Ok(())
    }
}

/// What a break changed, exactly as it was before: the ledger's record, restore's input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    pub team: String,
    pub action: Action,
    pub changes: Vec<Change>,
}

/// What restore did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "restored")]
pub enum Restored {
    /// Everything recorded was put back.
    PutBack { what: Vec<Change> },
    /// The team had mended all of it already (or its Auto Scaling group replaced the
    /// terminated instance): nothing was changed. `what` says how each stands.
    AlreadyMended { what: Vec<String> },
    /// Some was put back, the team had mended the rest.
    Partly {
        put_back: Vec<Change>,
        mended: Vec<String>,
    },
    /// A terminated instance does not come back, and nothing has replaced it yet.
    CannotUndo { what: String },
}

impl fmt::Display for Restored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |c: &[Change]| c.iter().map(ToString::to_string).collect::<Vec<_>>();
        match self {
            Restored::PutBack { what } => write!(f, "undone: {}", list(what).join("; ")),
            Restored::AlreadyMended { what } => {
                write!(
                    f,
                    "already mended by the team, nothing changed: {}",
                    what.join("; ")
                )
            }
            Restored::Partly { put_back, mended } => write!(
                f,
                "undone: {}; already mended by the team: {}",
                list(put_back).join("; "),
                mended.join("; ")
            ),
            Restored::CannotUndo { what } => f.write_str(what),
        }
    }
}

/// One team's account, ready to break: EC2 and Elastic Load Balancing clients through the
/// chaos role (or the profile).
#[derive(Clone, Debug)]
pub struct Chaos {
    target: ChaosTarget,
    ec2: aws_sdk_ec2::Client,
    elb: aws_sdk_elasticloadbalancingv2::Client,
}

impl Chaos {
    /// Clients from the organizer's default AWS configuration (environment, profiles,
    /// instance role), through the target's role or profile.
    pub async fn connect(target: ChaosTarget) -> Chaos {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(target.account.region.clone()));
        if let Some(profile) = &target.account.profile {
            loader = loader.profile_name(profile);
        }
        let base = loader.load().await;
        Chaos::with_config(target, &base).await
    }

    /// Clients from an explicit base configuration (an emulator's endpoint in tests).
    pub async fn with_config(target: ChaosTarget, base: &SdkConfig) -> Chaos {
        let config = crate::config_for(&target.account, base, "gameday-chaos").await;
        Chaos {
            ec2: aws_sdk_ec2::Client::new(&config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
            target,
        }
    }

    pub fn target(&self) -> &ChaosTarget {
        &self.target
    }

    fn team(&self) -> &str {
        &self.target.account.team
    }

    /// The team's resources, from its URL (or its stack's tags when the URL is not one of
    /// its load balancers).
    pub async fn find(&self) -> Result<Resources, ChaosError> {
        find::find(self).await
    }

    /// What `action` would change now, changing nothing. `seed` chooses the instance of
    /// `terminate_instance` and `stop_instance` (the same seed, the same instance).
    pub async fn plan(&self, action: Action, seed: u64) -> Result<Plan, ChaosError> {
        let found = self.find().await?;
        let team = self.team();
        let (changes, untouchable) = match action {
            Action::TerminateInstance => instances::plan(&found, team, seed, true),
            Action::StopInstance => instances::plan(&found, team, seed, false),
            Action::ClosePort => network::plan_close_port(&found, team),
            Action::DenyNacl => network::plan_deny_nacl(&found, team),
            Action::DropRoute => network::plan_drop_route(&found, team),
            Action::DetachIgw => network::plan_detach_igw(&found, team),
        };
        Ok(Plan {
            team: self.team().to_owned(),
            action,
            found_by: found.found_by,
            changes,
            untouchable,
        })
    }

    /// Makes the plan's changes. An empty plan is refused ([`ChaosError::NothingToBreak`]);
    /// a failure after some changes returns them in [`ChaosError::Partial`].
    pub async fn apply(&self, plan: &Plan) -> Result<Applied, ChaosError> {
        if plan.changes.is_empty() {
            let why = match (&plan.found_by, plan.untouchable.is_empty()) {
                (_, false) => plan.untouchable.join("; "),
                (FoundBy::Tags, true) => format!(
                    "no load balancer of the account has the URL's host, and nothing tagged \
                     {TEAM_TAG}={} is what it acts on: are [[chaos.aws]]'s region and team the \
                     stack's?",
                    plan.team
                ),
                (FoundBy::LoadBalancer { .. }, true) => {
                    "the team's stack has none of what it acts on".to_owned()
                }
            };
            return Err(ChaosError::NothingToBreak {
                team: plan.team.clone(),
                action: plan.action.name(),
                why,
            });
        }
        let mut done = Applied {
            team: plan.team.clone(),
            action: plan.action,
            changes: Vec::new(),
        };
        for change in &plan.changes {
            if let Err(e) = change::make(self, change).await {
                if done.changes.is_empty() {
                    return Err(e);
                }
                return Err(ChaosError::Partial {
                    done: Box::new(done),
                    source: Box::new(e),
                });
            }
            done.changes.push(change.clone());
        }
        Ok(done)
    }

    /// Puts back what `applied` recorded, change by change, leaving alone what the team has
    /// already mended.
    pub async fn restore(&self, applied: &Applied) -> Result<Restored, ChaosError> {
        let mut put_back = Vec::new();
        let mut mended = Vec::new();
        let mut lost = Vec::new();
        for change in &applied.changes {
            match change::undo(self, change).await? {
                change::Undone::PutBack => put_back.push(change.clone()),
                change::Undone::Mended(how) => mended.push(how),
                change::Undone::Lost(how) => lost.push(how),
            }
        }
        Ok(match (put_back.is_empty(), mended.is_empty()) {
            _ if !lost.is_empty() => Restored::CannotUndo {
                what: lost.join("; "),
            },
            (true, _) => Restored::AlreadyMended { what: mended },
            (false, true) => Restored::PutBack { what: put_back },
            (false, false) => Restored::Partly { put_back, mended },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The game may spawn a break on its runtime: every future is Send, the error too.
    #[test]
    fn the_futures_and_the_error_can_cross_threads() {
        fn send<T: Send>(_: &T) {}
        fn send_sync<T: Send + Sync + 'static>() {}
        #[allow(dead_code)]
        fn futures(chaos: &Chaos, plan: &Plan, applied: &Applied, target: ChaosTarget) {
            send(&Chaos::connect(target));
            send(&chaos.find());
            send(&chaos.plan(Action::ClosePort, 0));
            send(&chaos.apply(plan));
            send(&chaos.restore(applied));
        }
        send_sync::<ChaosError>();
        send_sync::<Chaos>();
    }
}
