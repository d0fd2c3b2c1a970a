//! EC2 inventory from the AWS API, for billing: `DescribeInstances` in each team's account,
//! through an assumed role or a named profile. Built only with gameday's `aws` feature (the
//! SDK takes minutes to build); it must never be a dependency of the domain, the ledger or
//! the views, which bill through the domain's [`Observation`] whatever the source.
//!
//! Pending and running instances count, from `LaunchTime`.
//! A failed poll is retried and reported (as the domain's [`ScoreError::Inventory`], the
//! failure every inventory reports); the next good poll charges every block since each
//! launch, so nothing is skipped and (blocks being keyed) nothing is charged twice.
//!
//! The instructor's breaks on a team's account (find, plan, apply, restore) are in [`chaos`].
//!
//! Empty without the `sdk` feature (see Cargo.toml): the everyday build never builds the SDK.
#![cfg(feature = "sdk")]

pub mod chaos;

use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ec2::types::Filter;
use serde::{Deserialize, Serialize};

use scoreboard_domain::{GameTime, InstanceRun, Observation, ScoreError};

/// Attempts per team and poll before the failure is reported.
const ATTEMPTS: u32 = 3;

/// Where one team's instances are, and how to read them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsAccount {
    pub team: String,
    pub region: String,
    /// A role in the team's account that the organizer may assume (read-only EC2).
    pub role_arn: Option<String>,
    /// The external id the role's trust policy asks for.
    pub external_id: Option<String>,
    /// A named profile of the organizer's AWS configuration, instead of a role.
    pub profile: Option<String>,
}

/// An EC2 client per team.
pub struct AwsInventory {
    teams: Vec<(AwsAccount, aws_sdk_ec2::Client)>,
}

impl std::fmt::Debug for AwsInventory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let teams: Vec<&str> = self.teams.iter().map(|(a, _)| a.team.as_str()).collect();
        f.debug_struct("AwsInventory")
            .field("teams", &teams)
            .finish()
    }
}

impl AwsInventory {
    /// Clients from the organizer's default AWS configuration (environment, profiles,
    /// instance role), one per team account.
    pub async fn connect(accounts: Vec<AwsAccount>) -> AwsInventory {
        let mut teams = Vec::with_capacity(accounts.len());
        for account in accounts {
            let mut loader = aws_config::defaults(BehaviorVersion::latest())
                .region(Region::new(account.region.clone()));
            if let Some(profile) = &account.profile {
                loader = loader.profile_name(profile);
            }
            let base = loader.load().await;
            let client = client_for(&account, &base).await;
            teams.push((account, client));
        }
        AwsInventory { teams }
    }

    /// Clients derived from an explicit base configuration (an EC2 emulator's endpoint and
    /// credentials in tests, or a VPC endpoint).
    pub async fn with_config(accounts: Vec<AwsAccount>, base: &SdkConfig) -> AwsInventory {
        let mut teams = Vec::with_capacity(accounts.len());
        for account in accounts {
            let client = client_for(&account, base).await;
            teams.push((account, client));
        }
        AwsInventory { teams }
    }

    /// Every team's pending and running instances, as runs from their launch (in game time:
    /// `now_unix_ms` is the wall clock at game time `at`) to `at`. Teams whose poll failed
    /// after retries are reported in the errors and simply absent from the runs.
    pub async fn observe(&self, at: GameTime, now_unix_ms: u64) -> (Observation, Vec<ScoreError>) {
        let mut observation = Observation {
            at,
            runs: Vec::new(),
        };
        let mut errors = Vec::new();
        for (account, client) in &self.teams {
            let mut attempt = 0;
            loop {
                attempt += 1;
                match team_runs(account, client, at, now_unix_ms).await {
                    Ok(runs) => {
                        observation.runs.extend(runs);
                        break;
                    }
                    Err(reason) if attempt >= ATTEMPTS => {
                        errors.push(ScoreError::Inventory {
                            team: account.team.clone(),
                            reason: format!("{reason} (after {ATTEMPTS} attempts; charges catch up at the next good poll)"),
                        });
                        break;
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(200 << attempt)).await,
                }
            }
        }
        (observation, errors)
    }
}

async fn client_for(account: &AwsAccount, base: &SdkConfig) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&config_for(account, base, "gameday-billing").await)
}

/// The configuration for one team's account: `base`, through the account's role when it
/// names one (assumed as `session`, with its external id).
pub(crate) async fn config_for(account: &AwsAccount, base: &SdkConfig, session: &str) -> SdkConfig {
    let Some(role) = &account.role_arn else {
        return base.clone();
    };
    let mut provider = aws_config::sts::AssumeRoleProvider::builder(role)
        .configure(base)
        .region(Region::new(account.region.clone()))
        .session_name(session);
    if let Some(id) = &account.external_id {
        provider = provider.external_id(id);
    }
    let provider = provider.build().await;
    base.to_builder()
        .region(Region::new(account.region.clone()))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(provider),
        )
        .build()
}

async fn team_runs(
    account: &AwsAccount,
    client: &aws_sdk_ec2::Client,
    at: GameTime,
    now_unix_ms: u64,
) -> Result<Vec<InstanceRun>, String> {
    let filter = Filter::builder()
        .name("instance-state-name")
        .values("pending")
        .values("running")
        .build();
    let mut pages = client
        .describe_instances()
        .filters(filter)
        .into_paginator()
        .send();
    let mut runs = Vec::new();
    // Wall-clock launch times map onto the game clock by the current offset.
    let offset = now_unix_ms.saturating_sub(at.0);
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws_sdk_ec2::error::DisplayErrorContext(e).to_string())?;
        for instance in page.reservations().iter().flat_map(|r| r.instances()) {
            let Some(id) = instance.instance_id() else {
                continue;
            };
            let launch_ms = instance.launch_time().map_or(now_unix_ms, |t| {
                u64::try_from(t.secs()).unwrap_or(0) * 1000
                    + u64::from(t.subsec_nanos() / 1_000_000)
            });
            runs.push(InstanceRun {
                team: account.team.clone(),
                instance: id.to_owned(),
                instance_type: instance
                    .instance_type()
                    .map_or("unknown", |t| t.as_str())
                    .to_owned(),
                since: GameTime(launch_ms.saturating_sub(offset).min(at.0)),
                until: at,
            });
        }
    }
    Ok(runs)
}
