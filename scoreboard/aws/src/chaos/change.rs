//! One change a break makes, recorded with exactly what was there before (serde: it goes in
//! the ledger), and how it is made and undone.

use std::fmt;

use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, PrefixListId, UserIdGroupPair};
use serde::{Deserialize, Serialize};

use super::{Chaos, ChaosError, instances, network};

/// One change, with what it changes as it was before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "change")]
pub enum Change {
    /// Terminate a running instance. `others` are the team's other running instances then:
    /// an instance of the Auto Scaling group not among them is its replacement.
    TerminateInstance {
        instance_id: String,
        state: String,
        auto_scaling_group: Option<String>,
        others: Vec<String>,
    },
    /// Stop a running instance (restore starts it).
    StopInstance { instance_id: String, state: String },
    /// Revoke one ingress rule of a security group (restore authorizes it again).
    RevokeIngress { group_id: String, rule: IngressRule },
    /// Add an inbound deny entry to a network ACL (restore deletes it).
    DenyNaclEntry {
        network_acl_id: String,
        rule_number: i32,
        port: u16,
        cidr_block: String,
    },
    /// Delete a route (restore creates it again, to the same gateway).
    DeleteRoute {
        route_table_id: String,
        destination: String,
        gateway_id: String,
    },
    /// Detach an internet gateway from its VPC (restore attaches it again).
    DetachInternetGateway {
        internet_gateway_id: String,
        vpc_id: String,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::TerminateInstance {
                instance_id, state, ..
            } => write!(f, "terminate {instance_id} (was {state})"),
            Change::StopInstance { instance_id, state } => {
                write!(f, "stop {instance_id} (was {state})")
            }
            Change::RevokeIngress { group_id, rule } => write!(f, "revoke {rule} on {group_id}"),
            Change::DenyNaclEntry {
                network_acl_id,
                rule_number,
                port,
                cidr_block,
            } => write!(
                f,
                "deny tcp {port} from {cidr_block} as inbound rule {rule_number} of {network_acl_id}"
            ),
            Change::DeleteRoute {
                route_table_id,
                destination,
                gateway_id,
            } => write!(
                f,
                "delete the route {destination} → {gateway_id} of {route_table_id}"
            ),
            Change::DetachInternetGateway {
                internet_gateway_id,
                vpc_id,
            } => write!(f, "detach {internet_gateway_id} from {vpc_id}"),
        }
    }
}

/// An ingress rule of a security group, one source per rule (as the console lists them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngressRule {
    /// `tcp`, `udp`, `icmp`, a number, or `-1` (all traffic).
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub source: RuleSource,
    pub description: Option<String>,
}

/// Where an ingress rule lets traffic in from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RuleSource {
    Ipv4 {
        cidr: String,
    },
    Ipv6 {
        cidr: String,
    },
    Group {
        group_id: String,
        user_id: Option<String>,
    },
    PrefixList {
        id: String,
    },
}

impl fmt::Display for IngressRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ports = match (self.from_port, self.to_port) {
            _ if self.protocol == "-1" => "all traffic".to_owned(),
            (Some(a), Some(b)) if a == b => format!("{} {a}", self.protocol),
            (Some(a), Some(b)) => format!("{} {a}-{b}", self.protocol),
            _ => self.protocol.clone(),
        };
        let from = match &self.source {
            RuleSource::Ipv4 { cidr } | RuleSource::Ipv6 { cidr } => cidr.clone(),
            RuleSource::Group { group_id, .. } => group_id.clone(),
            RuleSource::PrefixList { id } => id.clone(),
        };
        write!(f, "{ports} from {from}")
    }
}

impl IngressRule {
    /// Whether it lets TCP traffic to `port` in.
    pub fn covers(&self, port: u16) -> bool {
        let port = i32::from(port);
        match self.protocol.as_str() {
            "-1" => true,
            "tcp" | "6" => {
                self.from_port.is_none_or(|p| p <= port) && self.to_port.is_none_or(|p| port <= p)
            }
            _ => false,
        }
    }

    /// The same rule, whatever its description says.
    pub fn same_as(&self, other: &IngressRule) -> bool {
        let proto = |p: &str| {
            if p == "6" {
                "tcp".to_owned()
            } else {
                p.to_owned()
            }
        };
        let ports = |r: &IngressRule| {
            if r.protocol == "-1" {
                (None, None)
            } else {
                (r.from_port, r.to_port)
            }
        };
        let source = |s: &RuleSource| match s {
            RuleSource::Group { group_id, .. } => RuleSource::Group {
                group_id: group_id.clone(),
                user_id: None,
            },
            other => other.clone(),
        };
        proto(&self.protocol) == proto(&other.protocol)
            && ports(self) == ports(other)
            && source(&self.source) == source(&other.source)
    }

    /// The rule as the EC2 API takes it (revoking matches without the description).
    pub(crate) fn permission(&self, with_description: bool) -> IpPermission {
        let description = self.description.clone().filter(|_| with_description);
        let mut p = IpPermission::builder()
            .ip_protocol(&self.protocol)
            .set_from_port(self.from_port)
            .set_to_port(self.to_port);
        p = match &self.source {
            RuleSource::Ipv4 { cidr } => p.ip_ranges(
                IpRange::builder()
                    .cidr_ip(cidr)
                    .set_description(description)
                    .build(),
            ),
            RuleSource::Ipv6 { cidr } => p.ipv6_ranges(
                Ipv6Range::builder()
                    .cidr_ipv6(cidr)
                    .set_description(description)
                    .build(),
            ),
            RuleSource::Group { group_id, user_id } => p.user_id_group_pairs(
                UserIdGroupPair::builder()
                    .group_id(group_id)
                    .set_user_id(user_id.clone())
                    .set_description(description)
                    .build(),
            ),
            RuleSource::PrefixList { id } => p.prefix_list_ids(
                PrefixListId::builder()
                    .prefix_list_id(id)
                    .set_description(description)
                    .build(),
            ),
        };
        p.build()
    }
}

/// A group's ingress permissions as rules, one per source.
pub(crate) fn rules_of(permissions: &[IpPermission]) -> Vec<IngressRule> {
    let mut rules = Vec::new();
    for p in permissions {
        let rule = |source: RuleSource, description: Option<&str>| IngressRule {
            protocol: p.ip_protocol().unwrap_or("-1").to_owned(),
            from_port: p.from_port().filter(|_| p.ip_protocol() != Some("-1")),
            to_port: p.to_port().filter(|_| p.ip_protocol() != Some("-1")),
            source,
            description: description.map(str::to_owned),
        };
        for r in p.ip_ranges() {
            let cidr = r.cidr_ip().unwrap_or_default().to_owned();
            rules.push(rule(RuleSource::Ipv4 { cidr }, r.description()));
        }
        for r in p.ipv6_ranges() {
            let cidr = r.cidr_ipv6().unwrap_or_default().to_owned();
            rules.push(rule(RuleSource::Ipv6 { cidr }, r.description()));
        }
        for g in p.user_id_group_pairs() {
            let source = RuleSource::Group {
                group_id: g.group_id().unwrap_or_default().to_owned(),
                user_id: g.user_id().map(str::to_owned),
            };
            rules.push(rule(source, g.description()));
        }
        for l in p.prefix_list_ids() {
            let id = l.prefix_list_id().unwrap_or_default().to_owned();
            rules.push(rule(RuleSource::PrefixList { id }, l.description()));
        }
    }
    rules
}

/// How undoing one change went.
pub(crate) enum Undone {
    /// It was put back as recorded.
    PutBack,
    /// The team had mended it: nothing changed. Says how it stands.
    Mended(String),
    /// It cannot come back (a terminated instance nothing has replaced).
    Lost(String),
}

pub(crate) async fn make(chaos: &Chaos, change: &Change) -> Result<(), ChaosError> {
    match change {
        Change::TerminateInstance { .. } | Change::StopInstance { .. } => {
            instances::make(chaos, change).await
        }
        _ => network::make(chaos, change).await,
    }
}

pub(crate) async fn undo(chaos: &Chaos, change: &Change) -> Result<Undone, ChaosError> {
    match change {
        Change::TerminateInstance { .. } | Change::StopInstance { .. } => {
            instances::undo(chaos, change).await
        }
        _ => network::undo(chaos, change).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(from: i32, to: i32, cidr: &str) -> IngressRule {
        IngressRule {
            protocol: "tcp".into(),
            from_port: Some(from),
            to_port: Some(to),
            source: RuleSource::Ipv4 { cidr: cidr.into() },
            description: Some("HTTP".into()),
        }
    }

    #[test]
    fn a_rule_covers_its_port_range_and_all_traffic_covers_every_port() {
        assert!(tcp(80, 80, "0.0.0.0/0").covers(80));
        assert!(tcp(1, 1024, "0.0.0.0/0").covers(443));
        assert!(!tcp(22, 22, "0.0.0.0/0").covers(80));
        let all = IngressRule {
            protocol: "-1".into(),
            from_port: None,
            to_port: None,
            ..tcp(0, 0, "10.0.0.0/8")
        };
        assert!(all.covers(8080));
        assert_eq!(all.to_string(), "all traffic from 10.0.0.0/8");
        assert_eq!(
            tcp(80, 80, "0.0.0.0/0").to_string(),
            "tcp 80 from 0.0.0.0/0"
        );
    }

    #[test]
    fn the_same_rule_whatever_its_description_and_protocol_spelling() {
        let a = tcp(80, 80, "0.0.0.0/0");
        let b = IngressRule {
            protocol: "6".into(),
            description: None,
            ..a.clone()
        };
        assert!(a.same_as(&b));
        assert!(!a.same_as(&tcp(80, 80, "10.0.0.0/8")));
    }

    #[test]
    fn rules_come_back_from_the_permission_they_make() {
        let rule = IngressRule {
            source: RuleSource::Group {
                group_id: "sg-1".into(),
                user_id: None,
            },
            ..tcp(80, 80, "")
        };
        let back = rules_of(&[rule.permission(true)]);
        assert_eq!(back, vec![rule]);
    }
}
