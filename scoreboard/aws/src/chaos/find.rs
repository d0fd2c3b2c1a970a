//! Finding what a break touches: from the URL's host to the team's load balancer, then its
//! security groups, subnets and VPC; the team's instances by tag; the subnets' route tables
//! and network ACLs; the VPC's internet gateway. The stack's tags alone when the URL is not a
//! load balancer of the account.

use aws_sdk_ec2::types::{Filter, Tag};
use serde::{Deserialize, Serialize};

use super::change::{IngressRule, rules_of};
use super::{Chaos, ChaosError, ROLE_TAG, TEAM_TAG};

/// How the team's resources were found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum FoundBy {
    /// The URL's host is this load balancer's DNS name.
    LoadBalancer { arn: String, dns_name: String },
    /// No load balancer of the account has the URL's host: the stack's tags found them.
    Tags,
}

/// A resource as found, with the tags that say whether the break may touch it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub id: String,
    /// Its `gameday:team` tag.
    pub team: Option<String>,
    /// Its `gameday:role` tag.
    pub role: Option<String>,
}

impl Found {
    fn new(id: &str, tags: &[Tag]) -> Found {
        let tag = |k: &str| {
            tags.iter()
                .find(|t| t.key() == Some(k))
                .and_then(|t| t.value())
                .map(str::to_owned)
        };
        Found {
            id: id.to_owned(),
            team: tag(TEAM_TAG),
            role: tag(ROLE_TAG),
        }
    }

    /// Why the team's chaos role may not touch it, if it may not: it must carry the team's
    /// `gameday:team` and one of `roles` as `gameday:role`.
    pub fn untouchable(&self, team: &str, roles: &[&str]) -> Option<String> {
        let role_ok = self.role.as_deref().is_some_and(|r| roles.contains(&r));
        if self.team.as_deref() == Some(team) && role_ok {
            return None;
        }
        Some(format!(
            "{} is not tagged {TEAM_TAG}={team} and {ROLE_TAG}={} (it has {}, {}): the team's \
             own, the chaos role may not change it",
            self.id,
            roles.join("|"),
            self.team.as_deref().unwrap_or("no team tag"),
            self.role.as_deref().unwrap_or("no role tag"),
        ))
    }
}

/// A security group and its ingress rules, one per source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityGroup {
    pub found: Found,
    pub ingress: Vec<IngressRule>,
}

/// A running instance of the team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    pub found: Found,
    pub state: String,
    /// Its `aws:autoscaling:groupName` tag: the group that replaces it.
    pub auto_scaling_group: Option<String>,
}

/// A route table of the subnets and its IPv4 default routes to an internet gateway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteTable {
    pub found: Found,
    /// (destination, gateway) of each `0.0.0.0/0` route to an `igw-…`.
    pub default_routes: Vec<(String, String)>,
}

/// A network ACL of the subnets and the rule numbers of its inbound entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkAcl {
    pub found: Found,
    pub ingress_rule_numbers: Vec<i32>,
}

/// Everything a break of this team may touch, as found now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resources {
    pub found_by: FoundBy,
    /// The service's port: the URL's (80 for http, 443 for https, unless it says one).
    pub port: u16,
    pub vpc: Option<Found>,
    pub subnets: Vec<String>,
    /// The load balancer's groups (found by URL), or those tagged `alb-sg` (by tags).
    pub load_balancer_groups: Vec<SecurityGroup>,
    /// The VPC's groups tagged `instance-sg` for the team.
    pub instance_groups: Vec<SecurityGroup>,
    /// The team's running instances (tagged `gameday:team`), sorted by id.
    pub instances: Vec<Instance>,
    pub route_tables: Vec<RouteTable>,
    pub network_acls: Vec<NetworkAcl>,
    /// The internet gateway attached to the VPC.
    pub internet_gateway: Option<Found>,
}

/// The host and port of an http(s) URL.
pub(crate) fn host_and_port(url: &str) -> Option<(String, u16)> {
    let (rest, default_port) = if let Some(r) = url.strip_prefix("http://") {
        (r, 80)
    } else if let Some(r) = url.strip_prefix("https://") {
        (r, 443)
    } else {
        return None;
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.contains(']') || h.ends_with(']') => (h, p.parse().ok()?),
        _ => (authority, default_port),
    };
    (!host.is_empty()).then(|| (host.to_ascii_lowercase(), port))
}

fn filter(name: &str, values: &[&str]) -> Filter {
    let mut f = Filter::builder().name(name);
    for v in values {
        f = f.values(*v);
    }
    f.build()
}

pub(crate) async fn find(chaos: &Chaos) -> Result<Resources, ChaosError> {
    let team = chaos.team().to_owned();
    let Some((host, port)) = host_and_port(&chaos.target.url) else {
        return Err(ChaosError::BadUrl {
            team,
            url: chaos.target.url.clone(),
        });
    };
    let (found_by, vpc_id, subnets, lb_groups) = match load_balancer(chaos, &host).await? {
        Some(lb) => lb,
        None => by_tags(chaos).await?,
    };
    let vpc = match &vpc_id {
        Some(id) => vpc(chaos, id).await?,
        None => None,
    };
    let load_balancer_groups = if lb_groups.is_empty() {
        Vec::new()
    } else {
        security_groups(chaos, vec![filter("group-id", &strs(&lb_groups))]).await?
    };
    let instance_groups = match &vpc_id {
        Some(vpc) => {
            let filters = vec![
                filter("vpc-id", &[vpc]),
                filter(&format!("tag:{TEAM_TAG}"), &[&team]),
                filter(&format!("tag:{ROLE_TAG}"), &["instance-sg"]),
            ];
            security_groups(chaos, filters).await?
        }
        None => Vec::new(),
    };
    Ok(Resources {
        found_by,
        port,
        instances: instances(chaos, &team).await?,
        route_tables: route_tables(chaos, vpc_id.as_deref(), &subnets).await?,
        network_acls: network_acls(chaos, &subnets).await?,
        internet_gateway: match &vpc_id {
            Some(id) => internet_gateway(chaos, id).await?,
            None => None,
        },
        vpc,
        subnets,
        load_balancer_groups,
        instance_groups,
    })
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

type Network = (FoundBy, Option<String>, Vec<String>, Vec<String>);

/// The load balancer whose DNS name is the URL's host: (how, VPC, subnets, its groups).
async fn load_balancer(chaos: &Chaos, host: &str) -> Result<Option<Network>, ChaosError> {
    let mut pages = chaos.elb.describe_load_balancers().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            ChaosError::from_sdk("elasticloadbalancing:DescribeLoadBalancers", "*", e)
        })?;
        for lb in page.load_balancers() {
            if !lb.dns_name().is_some_and(|d| d.eq_ignore_ascii_case(host)) {
                continue;
            }
            let found_by = FoundBy::LoadBalancer {
                arn: lb.load_balancer_arn().unwrap_or_default().to_owned(),
                dns_name: lb.dns_name().unwrap_or_default().to_owned(),
            };
            let mut subnets: Vec<String> = lb
                .availability_zones()
                .iter()
                .filter_map(|z| z.subnet_id().map(str::to_owned))
                .collect();
            subnets.sort();
            let vpc = lb.vpc_id().map(str::to_owned);
            return Ok(Some((
                found_by,
                vpc,
                subnets,
                lb.security_groups().to_vec(),
            )));
        }
    }
    Ok(None)
}

/// The stack by its tags alone: its VPC, subnets and the load balancer's group (`alb-sg`).
async fn by_tags(chaos: &Chaos) -> Result<Network, ChaosError> {
    let team = chaos.team();
    let tagged = |role: &str| {
        vec![
            filter(&format!("tag:{TEAM_TAG}"), &[team]),
            filter(&format!("tag:{ROLE_TAG}"), &[role]),
        ]
    };
    let vpcs = chaos
        .ec2
        .describe_vpcs()
        .set_filters(Some(tagged("vpc")))
        .send()
        .await
        .map_err(|e| ChaosError::from_sdk("ec2:DescribeVpcs", "*", e))?;
    let vpc = vpcs
        .vpcs()
        .iter()
        .find_map(|v| v.vpc_id())
        .map(str::to_owned);
    let subnets = chaos
        .ec2
        .describe_subnets()
        .set_filters(Some(tagged("subnet")))
        .send()
        .await
        .map_err(|e| ChaosError::from_sdk("ec2:DescribeSubnets", "*", e))?;
    let mut subnets: Vec<String> = subnets
        .subnets()
        .iter()
        .filter(|s| vpc.is_none() || s.vpc_id() == vpc.as_deref())
        .filter_map(|s| s.subnet_id().map(str::to_owned))
        .collect();
    subnets.sort();
    let groups = chaos
        .ec2
        .describe_security_groups()
        .set_filters(Some(tagged("alb-sg")))
        .send()
        .await
        .map_err(|e| ChaosError::from_sdk("ec2:DescribeSecurityGroups", "*", e))?;
    let groups = groups
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id().map(str::to_owned))
        .collect();
    Ok((FoundBy::Tags, vpc, subnets, groups))
}

async fn vpc(chaos: &Chaos, id: &str) -> Result<Option<Found>, ChaosError> {
    let out = chaos
        .ec2
        .describe_vpcs()
        .vpc_ids(id)
        .send()
        .await
        .map_err(|e| ChaosError::from_sdk("ec2:DescribeVpcs", id, e))?;
    Ok(out
        .vpcs()
        .first()
        .map(|v| Found::new(v.vpc_id().unwrap_or(id), v.tags())))
}

async fn security_groups(
    chaos: &Chaos,
    filters: Vec<Filter>,
) -> Result<Vec<SecurityGroup>, ChaosError> {
    let out = chaos
        .ec2
        .describe_security_groups()
        .set_filters(Some(filters))
        .send()
        .await
        .map_err(|e| ChaosError::from_sdk("ec2:DescribeSecurityGroups", "*", e))?;
    let mut groups: Vec<SecurityGroup> = out
        .security_groups()
        .iter()
        .map(|g| SecurityGroup {
            found: Found::new(g.group_id().unwrap_or_default(), g.tags()),
            ingress: rules_of(g.ip_permissions()),
        })
        .collect();
    groups.sort_by(|a, b| a.found.id.cmp(&b.found.id));
    Ok(groups)
}

/// The team's running instances: tagged `gameday:team` (the Auto Scaling group propagates
/// it), sorted by id.
async fn instances(chaos: &Chaos, team: &str) -> Result<Vec<Instance>, ChaosError> {
    let mut pages = chaos
        .ec2
        .describe_instances()
        .filters(filter(&format!("tag:{TEAM_TAG}"), &[team]))
        .filters(filter("instance-state-name", &["running"]))
        .into_paginator()
        .send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| ChaosError::from_sdk("ec2:DescribeInstances", "*", e))?;
        for i in page.reservations().iter().flat_map(|r| r.instances()) {
            let Some(id) = i.instance_id() else { continue };
            found.push(Instance {
                found: Found::new(id, i.tags()),
                state: i
                    .state()
                    .and_then(|s| s.name())
                    .map_or("unknown", |n| n.as_str())
                    .to_owned(),
                auto_scaling_group: i
                    .tags()
                    .iter()
                    .find(|t| t.key() == Some("aws:autoscaling:groupName"))
                    .and_then(|t| t.value())
                    .map(str::to_owned),
            });
        }
    }
    found.sort_by(|a, b| a.found.id.cmp(&b.found.id));
    Ok(found)
}

/// The subnets' route tables; a subnet with none of its own uses the VPC's main table.
async fn route_tables(
    chaos: &Chaos,
    vpc: Option<&str>,
    subnets: &[String],
) -> Result<Vec<RouteTable>, ChaosError> {
    if subnets.is_empty() {
        return Ok(Vec::new());
    }
    let describe = |filters: Vec<Filter>| async move {
        chaos
            .ec2
            .describe_route_tables()
            .set_filters(Some(filters))
            .send()
            .await
            .map_err(|e| ChaosError::from_sdk("ec2:DescribeRouteTables", "*", e))
    };
    let out = describe(vec![filter("association.subnet-id", &strs(subnets))]).await?;
    let mut tables = out.route_tables().to_vec();
    let covered = |t: &aws_sdk_ec2::types::RouteTable, s: &str| {
        t.associations().iter().any(|a| a.subnet_id() == Some(s))
    };
    let uncovered = subnets
        .iter()
        .any(|s| !tables.iter().any(|t| covered(t, s)));
    if let (true, Some(vpc)) = (uncovered, vpc) {
        let main = describe(vec![
            filter("vpc-id", &[vpc]),
            filter("association.main", &["true"]),
        ])
        .await?;
        tables.extend(main.route_tables().iter().cloned());
    }
    let mut found: Vec<RouteTable> = tables
        .iter()
        .map(|t| RouteTable {
            found: Found::new(t.route_table_id().unwrap_or_default(), t.tags()),
            default_routes: t
                .routes()
                .iter()
                .filter(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
                .filter_map(|r| r.gateway_id().filter(|g| g.starts_with("igw-")))
                .map(|g| ("0.0.0.0/0".to_owned(), g.to_owned()))
                .collect(),
        })
        .collect();
    found.sort_by(|a, b| a.found.id.cmp(&b.found.id));
    found.dedup_by(|a, b| a.found.id == b.found.id);
    Ok(found)
}

async fn network_acls(chaos: &Chaos, subnets: &[String]) -> Result<Vec<NetworkAcl>, ChaosError> {
    if subnets.is_empty() {
        return Ok(Vec::new());
    }
    let out = chaos
        .ec2
        .describe_network_acls()
        .filters(filter("association.subnet-id", &strs(subnets)))
        .send()
        .await
        .map_err(|e| ChaosError::from_sdk("ec2:DescribeNetworkAcls", "*", e))?;
    let mut found: Vec<NetworkAcl> = out
        .network_acls()
        .iter()
        .map(|a| NetworkAcl {
            found: Found::new(a.network_acl_id().unwrap_or_default(), a.tags()),
            ingress_rule_numbers: a
                .entries()
                .iter()
                .filter(|e| e.egress() == Some(false))
                .filter_map(|e| e.rule_number())
                .collect(),
        })
        .collect();
    found.sort_by(|a, b| a.found.id.cmp(&b.found.id));
    Ok(found)
}

async fn internet_gateway(chaos: &Chaos, vpc: &str) -> Result<Option<Found>, ChaosError> {
    let out = chaos
        .ec2
        .describe_internet_gateways()
        .filters(filter("attachment.vpc-id", &[vpc]))
        .send()
        .await
        .map_err(|e| ChaosError::from_sdk("ec2:DescribeInternetGateways", "*", e))?;
    Ok(out
        .internet_gateways()
        .first()
        .map(|g| Found::new(g.internet_gateway_id().unwrap_or_default(), g.tags())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_gives_the_host_lower_cased_and_the_port() {
        let h = |u: &str| host_and_port(u);
        assert_eq!(
            h("http://Team-ALB-123.us-east-1.elb.amazonaws.com/"),
            Some(("team-alb-123.us-east-1.elb.amazonaws.com".into(), 80))
        );
        assert_eq!(
            h("https://a.example:8443/x?y"),
            Some(("a.example".into(), 8443))
        );
        assert_eq!(h("https://a.example"), Some(("a.example".into(), 443)));
        assert_eq!(h("ftp://a.example"), None);
        assert_eq!(h("http:///nothing"), None);
    }

    #[test]
    fn a_resource_without_the_teams_tags_is_untouchable() {
        let tags = |team: &str, role: &str| {
            vec![
                Tag::builder().key(TEAM_TAG).value(team).build(),
                Tag::builder().key(ROLE_TAG).value(role).build(),
            ]
        };
        let ours = Found::new("sg-1", &tags("blue", "alb-sg"));
        assert_eq!(ours.untouchable("blue", &["alb-sg", "instance-sg"]), None);
        let why = Found::new("sg-2", &[])
            .untouchable("blue", &["alb-sg"])
            .unwrap();
        assert!(why.contains("sg-2") && why.contains("no team tag"), "{why}");
        assert!(ours.untouchable("red", &["alb-sg"]).is_some());
        assert!(ours.untouchable("blue", &["nacl"]).is_some());
    }
}
