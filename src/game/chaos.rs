//! The instructor's breaks on real teams' AWS accounts (`[[chaos.aws]]`), off the game loop:
//! each break or restore runs in a task of its own through `scoreboard_aws::chaos`, and
//! reports back as an [`Input`] the loop hands to the core. Without the `aws` feature a
//! scenario that names chaos accounts is refused before the game, as one billed from AWS is.

use tokio::sync::mpsc;

use scoreboard_domain::breaks::BreakOutcome;

use super::core::Input;
use super::core::breaks::{BreakOrder, RestoreOrder};
use super::error::GameError;
use crate::scenario::{AwsTeam, Scenario};

/// Why a gameday built without the `aws` feature refuses a game with chaos accounts.
const NO_AWS: &str = "this scenario breaks real teams' AWS accounts ([[chaos.aws]]), but this \
                      gameday was built without the AWS SDK: rebuild with `cargo build \
                      --release --features aws`";

/// Whether this build can break the accounts of `chaos` (`gameday check` says so first).
pub fn supported(chaos: &[AwsTeam]) -> Result<(), GameError> {
    if !cfg!(feature = "aws") && !chaos.is_empty() {
        return Err(GameError::Unsupported(NO_AWS.to_owned()));
    }
    Ok(())
}

/// The real teams' chaos accounts, and where their breaks' answers report.
pub(crate) struct RealBreaks {
    #[cfg_attr(not(feature = "aws"), allow(dead_code))]
    accounts: Vec<AwsTeam>,
    #[cfg_attr(not(feature = "aws"), allow(dead_code))]
    tx: mpsc::UnboundedSender<Input>,
    rx: Option<mpsc::UnboundedReceiver<Input>>,
}

impl RealBreaks {
    pub(crate) fn new(scenario: &Scenario) -> Result<RealBreaks, GameError> {
        supported(&scenario.chaos)?;
        let (tx, rx) = mpsc::unbounded_channel();
        Ok(RealBreaks {
            accounts: scenario.chaos.clone(),
            tx,
            rx: Some(rx),
        })
    }

    /// Where breaks and restores report (taken once, by the game loop).
    pub(crate) fn take_answers(&mut self) -> Option<mpsc::UnboundedReceiver<Input>> {
        self.rx.take()
    }

    /// Breaks a real team's account in a task of its own; the answer comes on the channel.
    /// `Err`: it cannot be started (no account for the team), with the outcome to note.
    pub(crate) fn start_break(&self, order: BreakOrder) -> Result<(), BreakOutcome> {
        #[cfg(feature = "aws")]
        return self.spawn(&order.team, order.url.clone(), |target| async move {
            let outcome = aws::apply(target, order.action, order.seed).await;
            Input::Broken {
                id: order.id,
                at: order.at,
                outcome,
            }
        });
        #[cfg(not(feature = "aws"))]
        Err(no_aws(&order.team))
    }

    /// Puts back what a real team's break recorded, in a task of its own.
    pub(crate) fn start_restore(&self, order: RestoreOrder) -> Result<(), BreakOutcome> {
        #[cfg(feature = "aws")]
        return self.spawn(&order.team, order.url.clone(), |target| async move {
            let outcome = aws::restore(target, &order.record).await;
            Input::Restored {
                id: order.id,
                at: order.at,
                outcome,
            }
        });
        #[cfg(not(feature = "aws"))]
        Err(no_aws(&order.team))
    }

    /// Runs `job` on the team's account in a task of its own; its answer goes to the loop.
    #[cfg(feature = "aws")]
    fn spawn<F>(
        &self,
        team: &str,
        url: Option<String>,
        job: impl FnOnce(scoreboard_aws::chaos::ChaosTarget) -> F,
    ) -> Result<(), BreakOutcome>
    where
        F: std::future::Future<Output = Input> + Send + 'static,
    {
        let job = job(self.target(team, url)?);
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let _ = tx.send(job.await);
        });
        Ok(())
    }

    /// The team's chaos account and registered URL (none yet: its stack's tags find it).
    #[cfg(feature = "aws")]
    fn target(
        &self,
        team: &str,
        url: Option<String>,
    ) -> Result<scoreboard_aws::chaos::ChaosTarget, BreakOutcome> {
        let account = self
            .accounts
            .iter()
            .find(|a| a.team == team)
            .ok_or_else(|| BreakOutcome::Failed {
                reason: format!("{team} has no [[chaos.aws]] account to act on"),
            })?;
        Ok(target_of(account, url.unwrap_or_default()))
    }
}

/// The target of a break on `account`'s stack, found from `url` (empty: by its tags).
#[cfg(feature = "aws")]
pub(crate) fn target_of(account: &AwsTeam, url: String) -> scoreboard_aws::chaos::ChaosTarget {
    scoreboard_aws::chaos::ChaosTarget {
        account: scoreboard_aws::AwsAccount {
            team: account.team.clone(),
            region: account.region.clone(),
            role_arn: account.role_arn.clone(),
            external_id: account.external_id.clone(),
            profile: account.profile.clone(),
        },
        url,
    }
}

#[cfg(not(feature = "aws"))]
fn no_aws(team: &str) -> BreakOutcome {
    BreakOutcome::Failed {
        reason: format!("{team} is a real team: {NO_AWS}"),
    }
}

/// The calls to `scoreboard_aws::chaos`, their results in the ledger's words.
#[cfg(feature = "aws")]
pub(crate) mod aws {
    use scoreboard_aws::chaos::{Action, Applied, Chaos, ChaosError, ChaosTarget, Restored};
    use scoreboard_domain::breaks::BreakOutcome;

    /// Plans and applies `action`: what changed and the record of what was there before.
    /// A failure after some changes is noted with those changes (restore puts them back).
    pub(super) async fn apply(target: ChaosTarget, action: Action, seed: u64) -> BreakOutcome {
        let chaos = Chaos::connect(target).await;
        let applied = match chaos.plan(action, seed).await {
            Ok(plan) => chaos.apply(&plan).await,
            Err(e) => Err(e),
        };
        match applied {
            Ok(applied) => done(&applied, String::new()),
            Err(ChaosError::Partial {
                done: applied,
                source,
            }) => done(&applied, format!("; then it failed: {source}")),
            Err(e) => BreakOutcome::Failed {
                reason: e.to_string(),
            },
        }
    }

    fn done(applied: &Applied, then: String) -> BreakOutcome {
        let changes: Vec<String> = applied.changes.iter().map(ToString::to_string).collect();
        BreakOutcome::Done {
            what: format!("{}{then}", changes.join("; ")),
            record: serde_json::to_value(applied).expect("a record serializes"),
        }
    }

    /// Puts back what `record` (an [`Applied`]) holds, unless the team mended it.
    pub(crate) async fn restore(target: ChaosTarget, record: &serde_json::Value) -> BreakOutcome {
        let applied: Applied = match serde_json::from_value(record.clone()) {
            Ok(applied) => applied,
            Err(e) => {
                return BreakOutcome::Failed {
                    reason: format!("the break's record cannot be read back: {e}"),
                };
            }
        };
        let chaos = Chaos::connect(target).await;
        match chaos.restore(&applied).await {
            Ok(Restored::AlreadyMended { what }) => BreakOutcome::AlreadyMended {
                what: what.join("; "),
            },
            Ok(Restored::CannotUndo { what }) => BreakOutcome::Failed { reason: what },
            Ok(restored) => BreakOutcome::Done {
                what: restored.to_string(),
                record: serde_json::to_value(&restored).expect("a record serializes"),
            },
            Err(e) => BreakOutcome::Failed {
                reason: e.to_string(),
            },
        }
    }
}
