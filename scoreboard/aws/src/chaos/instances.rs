//! `terminate_instance` and `stop_instance`: one of the team's running instances, chosen
//! from the seed; restore starts a stopped one, and finds what replaced a terminated one.

use std::time::Duration;

use aws_sdk_ec2::types::Filter;

use super::change::{Change, Undone};
use super::find::Resources;
use super::{Chaos, ChaosError};

/// How long restore waits for a stopping instance to be stopped before starting it.
const STOPPING_WAIT: Duration = Duration::from_secs(120);

/// The instance `seed` chooses among the team's running, tagged instances (sorted by id).
pub(crate) fn plan(
    found: &Resources,
    team: &str,
    seed: u64,
    terminate: bool,
) -> (Vec<Change>, Vec<String>) {
    let mut untouchable = Vec::new();
    let mut ours = Vec::new();
    for i in &found.instances {
        match i.found.untouchable(team, &["instance"]) {
            Some(why) => untouchable.push(why),
            None => ours.push(i),
        }
    }
    if ours.is_empty() {
        return (Vec::new(), untouchable);
    }
    let chosen = ours[(seed % ours.len() as u64) as usize];
    let change = if terminate {
        Change::TerminateInstance {
            instance_id: chosen.found.id.clone(),
            state: chosen.state.clone(),
            auto_scaling_group: chosen.auto_scaling_group.clone(),
            others: found
                .instances
                .iter()
                .filter(|i| i.found.id != chosen.found.id)
                .map(|i| i.found.id.clone())
                .collect(),
        }
    } else {
        Change::StopInstance {
            instance_id: chosen.found.id.clone(),
            state: chosen.state.clone(),
        }
    };
    (vec![change], untouchable)
}

pub(crate) async fn make(chaos: &Chaos, change: &Change) -> Result<(), ChaosError> {
    match change {
        Change::TerminateInstance { instance_id, .. } => chaos
            .ec2
            .terminate_instances()
            .instance_ids(instance_id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| ChaosError::from_sdk("ec2:TerminateInstances", instance_id, e)),
        Change::StopInstance { instance_id, .. } => chaos
            .ec2
            .stop_instances()
            .instance_ids(instance_id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| ChaosError::from_sdk("ec2:StopInstances", instance_id, e)),
        _ => unreachable!("instances::make takes instance changes only"),
    }
}

pub(crate) async fn undo(chaos: &Chaos, change: &Change) -> Result<Undone, ChaosError> {
    match change {
        Change::TerminateInstance {
            instance_id,
            auto_scaling_group,
            others,
            ..
        } => replacement(chaos, instance_id, auto_scaling_group.as_deref(), others).await,
        Change::StopInstance { instance_id, .. } => start(chaos, instance_id).await,
        _ => unreachable!("instances::undo takes instance changes only"),
    }
}

async fn state_of(chaos: &Chaos, id: &str) -> Result<Option<String>, ChaosError> {
    let out = chaos
        .ec2
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .map_err(|e| ChaosError::from_sdk("ec2:DescribeInstances", id, e))?;
    Ok(out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .find_map(|i| i.state().and_then(|s| s.name()))
        .map(|n| n.as_str().to_owned()))
}

/// Starts a stopped instance, unless the team already did (or it is gone).
async fn start(chaos: &Chaos, id: &str) -> Result<Undone, ChaosError> {
    let deadline = tokio::time::Instant::now() + STOPPING_WAIT;
    loop {
        match state_of(chaos, id).await?.as_deref() {
            Some(s @ ("running" | "pending")) => {
                return Ok(Undone::Mended(format!("{id} is {s} again")));
            }
            Some("stopping") if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
            Some("stopped") | Some("stopping") => break,
            Some(s) => {
                return Ok(Undone::Lost(format!(
                    "{id} is {s}: it cannot be started again (the team or its Auto Scaling \
                     group replaced it?)"
                )));
            }
            None => return Ok(Undone::Lost(format!("{id} no longer exists"))),
        }
    }
    chaos
        .ec2
        .start_instances()
        .instance_ids(id)
        .send()
        .await
        .map_err(|e| ChaosError::from_sdk("ec2:StartInstances", id, e))?;
    Ok(Undone::PutBack)
}

/// What replaced a terminated instance: a running instance of its Auto Scaling group that
/// was not running when it was terminated.
async fn replacement(
    chaos: &Chaos,
    id: &str,
    group: Option<&str>,
    others: &[String],
) -> Result<Undone, ChaosError> {
    let Some(group) = group else {
        return Ok(Undone::Lost(format!(
            "{id} was terminated and cannot come back; no Auto Scaling group launched it, so \
             nothing replaces it"
        )));
    };
    let out = chaos
        .ec2
        .describe_instances()
        .filters(
            Filter::builder()
                .name("tag:aws:autoscaling:groupName")
                .values(group)
                .build(),
        )
        .filters(
            Filter::builder()
                .name("instance-state-name")
                .values("pending")
                .values("running")
                .build(),
        )
        .send()
        .await
        .map_err(|e| ChaosError::from_sdk("ec2:DescribeInstances", group, e))?;
    let mut new: Vec<&str> = out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter_map(|i| i.instance_id())
        .filter(|i| *i != id && !others.iter().any(|o| o == i))
        .collect();
    new.sort();
    Ok(if new.is_empty() {
        Undone::Lost(format!(
            "{id} was terminated and cannot come back; its Auto Scaling group {group} has not \
             replaced it yet"
        ))
    } else {
        Undone::Mended(format!(
            "{id} was terminated; its Auto Scaling group {group} replaced it with {}",
            new.join(", ")
        ))
    })
}
