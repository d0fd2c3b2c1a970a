//! `close_port`, `deny_nacl`, `drop_route` and `detach_igw`: what each would change, how it
//! changes it, and how restore puts it back unless the team already has.

use aws_sdk_ec2::types::{Filter, PortRange, RuleAction};

use super::change::{Change, Undone, rules_of};
use super::find::{Found, Resources};
use super::{Chaos, ChaosError};

fn check(team: &str, found: &Found, roles: &[&str], untouchable: &mut Vec<String>) -> bool {
    match found.untouchable(team, roles) {
        Some(why) => {
            untouchable.push(why);
            false
        }
        None => true,
    }
}

/// The ingress rules covering the service's port, on the load balancer's groups (or the
/// instances' groups when there is no load balancer).
pub(crate) fn plan_close_port(found: &Resources, team: &str) -> (Vec<Change>, Vec<String>) {
    let groups = if found.load_balancer_groups.is_empty() {
        &found.instance_groups
    } else {
        &found.load_balancer_groups
    };
    let mut changes = Vec::new();
    let mut untouchable = Vec::new();
    for g in groups {
        if !check(team, &g.found, &["alb-sg", "instance-sg"], &mut untouchable) {
            continue;
        }
        for rule in g.ingress.iter().filter(|r| r.covers(found.port)) {
            changes.push(Change::RevokeIngress {
                group_id: g.found.id.clone(),
                rule: rule.clone(),
            });
        }
    }
    (changes, untouchable)
}

/// The rule number for the deny entry: just below the lowest inbound entry, so that it is
/// evaluated first (100 when there is none but the default `*`).
pub(crate) fn deny_rule_number(used: &[i32]) -> Option<i32> {
    match used.iter().copied().filter(|n| *n < 32767).min() {
        None => Some(100),
        Some(lowest) => (lowest > 1).then_some(lowest - 1),
    }
}

pub(crate) fn plan_deny_nacl(found: &Resources, team: &str) -> (Vec<Change>, Vec<String>) {
    let mut changes = Vec::new();
    let mut untouchable = Vec::new();
    for acl in &found.network_acls {
        if !check(team, &acl.found, &["nacl"], &mut untouchable) {
            continue;
        }
        match deny_rule_number(&acl.ingress_rule_numbers) {
            Some(rule_number) => changes.push(Change::DenyNaclEntry {
                network_acl_id: acl.found.id.clone(),
                rule_number,
                port: found.port,
                cidr_block: "0.0.0.0/0".to_owned(),
            }),
            None => untouchable.push(format!(
                "{} has an inbound entry numbered 1: no number is left before it",
                acl.found.id
            )),
        }
    }
    (changes, untouchable)
}

pub(crate) fn plan_drop_route(found: &Resources, team: &str) -> (Vec<Change>, Vec<String>) {
    let mut changes = Vec::new();
    let mut untouchable = Vec::new();
    for table in &found.route_tables {
        if table.default_routes.is_empty()
            || !check(team, &table.found, &["route-table"], &mut untouchable)
        {
            continue;
        }
        for (destination, gateway) in &table.default_routes {
            changes.push(Change::DeleteRoute {
                route_table_id: table.found.id.clone(),
                destination: destination.clone(),
                gateway_id: gateway.clone(),
            });
        }
    }
    (changes, untouchable)
}

pub(crate) fn plan_detach_igw(found: &Resources, team: &str) -> (Vec<Change>, Vec<String>) {
    let mut untouchable = Vec::new();
    let (Some(igw), Some(vpc)) = (&found.internet_gateway, &found.vpc) else {
        return (Vec::new(), untouchable);
    };
    let igw_ok = check(team, igw, &["igw"], &mut untouchable);
    let vpc_ok = check(team, vpc, &["vpc"], &mut untouchable);
    if !(igw_ok && vpc_ok) {
        return (Vec::new(), untouchable);
    }
    let change = Change::DetachInternetGateway {
        internet_gateway_id: igw.id.clone(),
        vpc_id: vpc.id.clone(),
    };
    (vec![change], untouchable)
}

pub(crate) async fn make(chaos: &Chaos, change: &Change) -> Result<(), ChaosError> {
    let ec2 = &chaos.ec2;
    match change {
        Change::RevokeIngress { group_id, rule } => ec2
            .revoke_security_group_ingress()
            .group_id(group_id)
            .ip_permissions(rule.permission(false))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| ChaosError::from_sdk("ec2:RevokeSecurityGroupIngress", group_id, e)),
        Change::DenyNaclEntry {
            network_acl_id,
            rule_number,
            port,
            cidr_block,
        } => ec2
            .create_network_acl_entry()
            .network_acl_id(network_acl_id)
            .rule_number(*rule_number)
            .protocol("6")
            .rule_action(RuleAction::Deny)
            .egress(false)
            .cidr_block(cidr_block)
            .port_range(
                PortRange::builder()
                    .from(i32::from(*port))
                    .to(i32::from(*port))
                    .build(),
            )
            .send()
            .await
            .map(|_| ())
            .map_err(|e| ChaosError::from_sdk("ec2:CreateNetworkAclEntry", network_acl_id, e)),
        Change::DeleteRoute {
            route_table_id,
            destination,
            ..
        } => ec2
            .delete_route()
            .route_table_id(route_table_id)
            .destination_cidr_block(destination)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| ChaosError::from_sdk("ec2:DeleteRoute", route_table_id, e)),
        Change::DetachInternetGateway {
            internet_gateway_id,
            vpc_id,
        } => ec2
            .detach_internet_gateway()
            .internet_gateway_id(internet_gateway_id)
            .vpc_id(vpc_id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| ChaosError::from_sdk("ec2:DetachInternetGateway", internet_gateway_id, e)),
        _ => unreachable!("network::make takes network changes only"),
    }
}

pub(crate) async fn undo(chaos: &Chaos, change: &Change) -> Result<Undone, ChaosError> {
    match change {
        Change::RevokeIngress { group_id, rule } => {
            let out = chaos
                .ec2
                .describe_security_groups()
                .group_ids(group_id)
                .send()
                .await
                .map_err(|e| ChaosError::from_sdk("ec2:DescribeSecurityGroups", group_id, e))?;
            let now: Vec<_> = out
                .security_groups()
                .iter()
                .flat_map(|g| rules_of(g.ip_permissions()))
                .collect();
            if now.iter().any(|r| r.same_as(rule)) {
                return Ok(Undone::Mended(format!("{rule} is back on {group_id}")));
            }
            chaos
                .ec2
                .authorize_security_group_ingress()
                .group_id(group_id)
                .ip_permissions(rule.permission(true))
                .send()
                .await
                .map_err(|e| {
                    ChaosError::from_sdk("ec2:AuthorizeSecurityGroupIngress", group_id, e)
                })?;
            Ok(Undone::PutBack)
        }
        Change::DenyNaclEntry { .. } => undo_deny(chaos, change).await,
        Change::DeleteRoute { .. } => undo_route(chaos, change).await,
        Change::DetachInternetGateway { .. } => undo_detach(chaos, change).await,
        _ => unreachable!("network::undo takes network changes only"),
    }
}

async fn undo_deny(chaos: &Chaos, change: &Change) -> Result<Undone, ChaosError> {
    let Change::DenyNaclEntry {
        network_acl_id,
        rule_number,
        port,
        cidr_block,
    } = change
    else {
        unreachable!()
    };
    let out = chaos
        .ec2
        .describe_network_acls()
        .network_acl_ids(network_acl_id)
        .send()
        .await
        .map_err(|e| ChaosError::from_sdk("ec2:DescribeNetworkAcls", network_acl_id, e))?;
    let entry = out
        .network_acls()
        .iter()
        .flat_map(|a| a.entries())
        .find(|e| e.egress() == Some(false) && e.rule_number() == Some(*rule_number));
    let Some(entry) = entry else {
        return Ok(Undone::Mended(format!(
            "the deny entry {rule_number} of {network_acl_id} is gone (the team deleted it)"
        )));
    };
    let port = i32::from(*port);
    let ours = entry.rule_action() == Some(&RuleAction::Deny)
        && entry.protocol() == Some("6")
        && entry.cidr_block() == Some(cidr_block.as_str())
        && entry
            .port_range()
            .is_some_and(|r| r.from() == Some(port) && r.to() == Some(port));
    if !ours {
        return Ok(Undone::Mended(format!(
            "inbound entry {rule_number} of {network_acl_id} is no longer the break's deny \
             (the team replaced it): left as it is"
        )));
    }
    chaos
        .ec2
        .delete_network_acl_entry()
        .network_acl_id(network_acl_id)
        .rule_number(*rule_number)
        .egress(false)
        .send()
        .await
        .map_err(|e| ChaosError::from_sdk("ec2:DeleteNetworkAclEntry", network_acl_id, e))?;
    Ok(Undone::PutBack)
}

async fn undo_route(chaos: &Chaos, change: &Change) -> Result<Undone, ChaosError> {
    let Change::DeleteRoute {
        route_table_id,
        destination,
        gateway_id,
    } = change
    else {
        unreachable!()
    };
    let out = chaos
        .ec2
        .describe_route_tables()
        .route_table_ids(route_table_id)
        .send()
        .await
        .map_err(|e| ChaosError::from_sdk("ec2:DescribeRouteTables", route_table_id, e))?;
    let existing = out
        .route_tables()
        .iter()
        .flat_map(|t| t.routes())
        .find(|r| r.destination_cidr_block() == Some(destination.as_str()));
    if let Some(route) = existing {
        let target = route
            .gateway_id()
            .or(route.nat_gateway_id())
            .or(route.instance_id())
            .or(route.network_interface_id())
            .unwrap_or("a target");
        return Ok(Undone::Mended(format!(
            "{route_table_id} has a route {destination} → {target} again"
        )));
    }
    chaos
        .ec2
        .create_route()
        .route_table_id(route_table_id)
        .destination_cidr_block(destination)
        .gateway_id(gateway_id)
        .send()
        .await
        .map_err(|e| ChaosError::from_sdk("ec2:CreateRoute", route_table_id, e))?;
    Ok(Undone::PutBack)
}

async fn undo_detach(chaos: &Chaos, change: &Change) -> Result<Undone, ChaosError> {
    let Change::DetachInternetGateway {
        internet_gateway_id,
        vpc_id,
    } = change
    else {
        unreachable!()
    };
    let out = chaos
        .ec2
        .describe_internet_gateways()
        .filters(
            Filter::builder()
                .name("attachment.vpc-id")
                .values(vpc_id)
                .build(),
        )
        .send()
        .await
        .map_err(|e| ChaosError::from_sdk("ec2:DescribeInternetGateways", vpc_id, e))?;
    if let Some(igw) = out.internet_gateways().first() {
        let id = igw.internet_gateway_id().unwrap_or("an internet gateway");
        return Ok(Undone::Mended(format!("{vpc_id} has {id} attached again")));
    }
    chaos
        .ec2
        .attach_internet_gateway()
        .internet_gateway_id(internet_gateway_id)
        .vpc_id(vpc_id)
        .send()
        .await
        .map_err(|e| ChaosError::from_sdk("ec2:AttachInternetGateway", internet_gateway_id, e))?;
    Ok(Undone::PutBack)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deny_entry_goes_just_before_the_first_inbound_entry() {
        assert_eq!(deny_rule_number(&[100, 32767]), Some(99));
        assert_eq!(deny_rule_number(&[200, 100, 50]), Some(49));
        assert_eq!(deny_rule_number(&[32767]), Some(100));
        assert_eq!(deny_rule_number(&[]), Some(100));
        assert_eq!(deny_rule_number(&[1, 100]), None);
    }
}
