//! Where a game's billed instances come from: nothing, the scenario's script, the simulated
//! fleet, or the AWS API (with the `aws` feature).

use scoreboard_domain::{GameTime, Observation, ScoreError, ScriptedInventory};

use super::error::GameError;
use crate::fleet::Fleet;
use crate::scenario::BillingSource;

/// Why a gameday built without the `aws` feature refuses a game billed from the AWS API.
const NO_AWS: &str = "this scenario bills from the AWS API, but this gameday was built without \
                      it: rebuild with `cargo build --release --features aws`";

/// Whether this build can bill from `source` (`gameday check` says so before a game).
pub fn supported(source: &BillingSource) -> Result<(), GameError> {
    if !cfg!(feature = "aws") && matches!(source, BillingSource::Aws(_)) {
        return Err(GameError::Unsupported(NO_AWS.to_owned()));
    }
    Ok(())
}

/// A game's inventory, ready to be looked at.
pub(crate) enum Inventory {
    None,
    Scripted(ScriptedInventory),
    Fleet,
    #[cfg(feature = "aws")]
    Aws(scoreboard_aws::AwsInventory),
}

impl Inventory {
    pub(crate) async fn new(source: &BillingSource) -> Result<Inventory, GameError> {
        Ok(match source {
            BillingSource::None => Inventory::None,
            BillingSource::Scripted(instances) => Inventory::Scripted(ScriptedInventory {
                instances: instances.clone(),
            }),
            BillingSource::Fleet => Inventory::Fleet,
            #[cfg(feature = "aws")]
            BillingSource::Aws(teams) => {
                let accounts = teams
                    .iter()
                    .map(|t| scoreboard_aws::AwsAccount {
                        team: t.team.clone(),
                        region: t.region.clone(),
                        role_arn: t.role_arn.clone(),
                        external_id: t.external_id.clone(),
                        profile: t.profile.clone(),
                    })
                    .collect();
                Inventory::Aws(scoreboard_aws::AwsInventory::connect(accounts).await)
            }
            #[cfg(not(feature = "aws"))]
            BillingSource::Aws(_) => return Err(GameError::Unsupported(NO_AWS.to_owned())),
        })
    }

    /// How often to look, in game time: the AWS API is polled once a minute, the rest at
    /// every look of the game loop.
    pub(crate) fn period_ms(&self) -> u64 {
        match self {
            #[cfg(feature = "aws")]
            Inventory::Aws(_) => 60_000,
            _ => 0,
        }
    }

    /// What is pending or running at `at`; `None` when there is nothing to bill.
    pub(crate) async fn observe(
        &self,
        fleet: &Fleet,
        at: GameTime,
        now_unix_ms: u64,
    ) -> (Option<Observation>, Vec<ScoreError>) {
        let _ = now_unix_ms;
        match self {
            Inventory::None => (None, Vec::new()),
            Inventory::Scripted(s) => (Some(s.observe(at)), Vec::new()),
            Inventory::Fleet => (Some(fleet.inventory().observe(at)), Vec::new()),
            #[cfg(feature = "aws")]
            Inventory::Aws(aws) => {
                let (obs, errors) = aws.observe(at, now_unix_ms).await;
                (Some(obs), errors)
            }
        }
    }
}
