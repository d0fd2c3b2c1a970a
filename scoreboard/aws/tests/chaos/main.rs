//! The instructor's breaks against moto's server with the team's stack deployed
//! (deploy/aws/team-stack.yaml through moto's CloudFormation): every action's plan, apply and
//! restore, each resource checked afterwards with the SDK; a break the team mended first; the
//! stack found by its tags when the URL is not its load balancer; a resource the team made
//! itself out of reach; a terminated instance nothing replaces; a denied change and an
//! unreachable endpoint, each one error that says what to check.

mod stack;
#[path = "../util/mod.rs"]
mod util;

use aws_config::SdkConfig;
use aws_sdk_ec2::types::{PortRange, RuleAction, TagSpecification};
use scoreboard_aws::AwsAccount;
use scoreboard_aws::chaos::{
    Action, Applied, Change, Chaos, ChaosError, ChaosTarget, FoundBy, Restored,
};
use stack::{
    Stack, TEAM, acl_entries, complete, default_route_table, default_routes, deploy, filter,
    ingress, internet_gateways, running, state, tags,
};
use util::{Moto, base_config, config_as, start_moto, start_moto_with};

struct Game {
    _moto: Moto,
    stack: Stack,
    ec2: aws_sdk_ec2::Client,
    base: SdkConfig,
}

async fn game() -> Game {
    let moto = start_moto();
    let stack = deploy(&moto, false);
    let base = base_config(&moto).await;
    let ec2 = aws_sdk_ec2::Client::new(&base);
    complete(&ec2, &stack.vpc).await;
    Game {
        _moto: moto,
        stack,
        ec2,
        base,
    }
}

fn target(url: &str, role_arn: Option<&str>) -> ChaosTarget {
    ChaosTarget {
        account: AwsAccount {
            team: TEAM.into(),
            region: "us-east-1".into(),
            role_arn: role_arn.map(str::to_owned),
            external_id: Some("gameday-2026".into()),
            profile: None,
        },
        url: url.to_owned(),
    }
}

impl Game {
    /// Breaks through the chaos role (moto's STS hands out its credentials).
    async fn chaos(&self, url: &str) -> Chaos {
        let role = "arn:aws:iam::123456789012:role/GameDayChaos";
        Chaos::with_config(target(url, Some(role)), &self.base).await
    }
}

/// Plans and applies `action`, and checks the record survives the ledger (JSON).
async fn break_it(chaos: &Chaos, action: Action, seed: u64) -> Applied {
    let plan = chaos.plan(action, seed).await.unwrap();
    assert!(plan.untouchable.is_empty(), "{plan:?}");
    let applied = chaos.apply(&plan).await.unwrap();
    assert_eq!(applied.changes, plan.changes);
    let json = serde_json::to_string(&applied).unwrap();
    assert_eq!(serde_json::from_str::<Applied>(&json).unwrap(), applied);
    applied
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_break_changes_its_resources_and_restore_puts_them_back() {
    let game = game().await;
    let chaos = game.chaos(&game.stack.url).await;
    let found = chaos.find().await.unwrap();
    assert!(
        matches!(found.found_by, FoundBy::LoadBalancer { .. }),
        "{found:?}"
    );
    assert_eq!((found.port, found.subnets.len()), (80, 2));

    close_port_and_back(&game).await;
    deny_nacl_and_back(&game).await;
    routes_and_back(&game).await;
    instances_and_back(&game).await;
}

/// close_port: the load balancer's rule for port 80, revoked and put back.
async fn close_port_and_back(game: &Game) {
    let ec2 = &game.ec2;
    let chaos = game.chaos(&game.stack.url).await;
    let found = chaos.find().await.unwrap();
    let alb_sg = found.load_balancer_groups[0].found.id.clone();
    let before = ingress(ec2, &alb_sg).await;
    let plan = chaos.plan(Action::ClosePort, 0).await.unwrap();
    let line = plan.to_string();
    assert!(
        line.starts_with(&format!(
            "{TEAM} close_port (found from its load balancer {}): revoke tcp 80 from 0.0.0.0/0 on {alb_sg}",
            game.stack.url.trim_start_matches("http://")
        )),
        "{line}"
    );
    let applied = break_it(&chaos, Action::ClosePort, 0).await;
    assert!(matches!(
        &applied.changes[..],
        [Change::RevokeIngress { group_id, rule }] if *group_id == alb_sg && rule.covers(80)
    ));
    assert_eq!(ingress(ec2, &alb_sg).await, vec![], "port 80 is closed");
    let restored = chaos.restore(&applied).await.unwrap();
    assert!(matches!(restored, Restored::PutBack { .. }), "{restored}");
    assert_eq!(
        restored.to_string(),
        format!("undone: revoke tcp 80 from 0.0.0.0/0 on {alb_sg}")
    );
    assert_eq!(ingress(ec2, &alb_sg).await, before);
}

/// deny_nacl: a deny entry before the allow-all 100, deleted again.
async fn deny_nacl_and_back(game: &Game) {
    let ec2 = &game.ec2;
    let chaos = game.chaos(&game.stack.url).await;
    let applied = break_it(&chaos, Action::DenyNacl, 0).await;
    let [
        Change::DenyNaclEntry {
            network_acl_id,
            rule_number: 99,
            port: 80,
            ..
        },
    ] = &applied.changes[..]
    else {
        panic!("{applied:?}");
    };
    let entries = acl_entries(ec2, network_acl_id).await;
    let first = &entries[0];
    assert_eq!(
        (
            first.rule_number(),
            first.rule_action(),
            first.port_range().and_then(|r| r.from())
        ),
        (Some(99), Some(&RuleAction::Deny), Some(80))
    );
    let restored = chaos.restore(&applied).await.unwrap();
    assert!(matches!(restored, Restored::PutBack { .. }), "{restored}");
    let numbers: Vec<_> = acl_entries(ec2, network_acl_id)
        .await
        .iter()
        .map(|e| e.rule_number())
        .collect();
    assert!(!numbers.contains(&Some(99)), "{numbers:?}");
}

/// drop_route and detach_igw: the default route and the gateway, taken away and put back.
async fn routes_and_back(game: &Game) {
    let ec2 = &game.ec2;
    let chaos = game.chaos(&game.stack.url).await;
    // drop_route: the default route to the gateway, deleted and created again.
    let table = default_route_table(ec2, &game.stack.vpc).await;
    let igw = default_routes(ec2, &table).await;
    let applied = break_it(&chaos, Action::DropRoute, 0).await;
    assert!(default_routes(ec2, &table).await.is_empty());
    let restored = chaos.restore(&applied).await.unwrap();
    assert!(matches!(restored, Restored::PutBack { .. }), "{restored}");
    assert_eq!(default_routes(ec2, &table).await, igw);

    // detach_igw: the gateway off the VPC, attached again.
    let applied = break_it(&chaos, Action::DetachIgw, 0).await;
    assert!(internet_gateways(ec2, &game.stack.vpc).await.is_empty());
    let restored = chaos.restore(&applied).await.unwrap();
    assert!(matches!(restored, Restored::PutBack { .. }), "{restored}");
    assert_eq!(internet_gateways(ec2, &game.stack.vpc).await, igw);
}

/// stop_instance and terminate_instance, chosen by the seed among the running instances.
async fn instances_and_back(game: &Game) {
    let ec2 = &game.ec2;
    let chaos = game.chaos(&game.stack.url).await;
    // stop_instance: the seed chooses among the running instances, sorted; restore starts it.
    let ids = running(ec2).await;
    assert_eq!(ids.len(), 2);
    let applied = break_it(&chaos, Action::StopInstance, 3).await;
    assert_eq!(
        applied.changes,
        vec![Change::StopInstance {
            instance_id: ids[1].clone(),
            state: "running".into()
        }]
    );
    assert_eq!(state(ec2, &ids[1]).await, "stopped");
    let restored = chaos.restore(&applied).await.unwrap();
    assert!(matches!(restored, Restored::PutBack { .. }), "{restored}");
    assert_eq!(state(ec2, &ids[1]).await, "running");

    // terminate_instance: gone for good; the Auto Scaling group replaces it (moto does at once).
    let applied = break_it(&chaos, Action::TerminateInstance, 4).await;
    let [
        Change::TerminateInstance {
            instance_id,
            auto_scaling_group,
            ..
        },
    ] = &applied.changes[..]
    else {
        panic!("{applied:?}");
    };
    assert_eq!(
        (instance_id, auto_scaling_group.as_deref()),
        (&ids[0], Some(game.stack.asg.as_str()))
    );
    assert_eq!(state(ec2, &ids[0]).await, "terminated");
    let restored = chaos.restore(&applied).await.unwrap();
    let Restored::AlreadyMended { what } = &restored else {
        panic!("{restored:?}");
    };
    let now = running(ec2).await;
    let new = now
        .iter()
        .find(|i| !ids.contains(i))
        .expect("a replacement runs");
    assert!(
        what[0].contains(&format!("replaced it with {new}")),
        "{what:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_break_the_team_mended_first_is_left_as_the_team_left_it() {
    let game = game().await;
    team_opens_the_port(&game).await;
    team_deletes_the_deny(&game).await;
    team_mends_the_network(&game).await;
    team_starts_the_instance(&game).await;
}

/// The team authorizes port 80 again itself (without the description).
async fn team_opens_the_port(game: &Game) {
    let ec2 = &game.ec2;
    let chaos = game.chaos(&game.stack.url).await;
    let applied = break_it(&chaos, Action::ClosePort, 0).await;
    let Change::RevokeIngress { group_id, .. } = &applied.changes[0] else {
        panic!("{applied:?}");
    };
    ec2.authorize_security_group_ingress()
        .group_id(group_id)
        .ip_protocol("tcp")
        .from_port(80)
        .to_port(80)
        .cidr_ip("0.0.0.0/0")
        .send()
        .await
        .unwrap();
    let restored = chaos.restore(&applied).await.unwrap();
    let Restored::AlreadyMended { what } = &restored else {
        panic!("{restored:?}");
    };
    assert!(
        what[0].contains("tcp 80 from 0.0.0.0/0 is back"),
        "{what:?}"
    );
    assert_eq!(
        ingress(ec2, group_id).await,
        vec![("tcp".into(), Some(80), 1)]
    );
}

/// The team deletes the deny entry, and an entry of its own takes the number.
async fn team_deletes_the_deny(game: &Game) {
    let ec2 = &game.ec2;
    let chaos = game.chaos(&game.stack.url).await;
    let applied = break_it(&chaos, Action::DenyNacl, 0).await;
    let Change::DenyNaclEntry {
        network_acl_id,
        rule_number,
        ..
    } = &applied.changes[0]
    else {
        panic!("{applied:?}");
    };
    ec2.delete_network_acl_entry()
        .network_acl_id(network_acl_id)
        .rule_number(*rule_number)
        .egress(false)
        .send()
        .await
        .unwrap();
    // …and a rule of its own takes the number: restore must not delete it.
    ec2.create_network_acl_entry()
        .network_acl_id(network_acl_id)
        .rule_number(*rule_number)
        .protocol("6")
        .rule_action(RuleAction::Allow)
        .egress(false)
        .cidr_block("0.0.0.0/0")
        .port_range(PortRange::builder().from(22).to(22).build())
        .send()
        .await
        .unwrap();
    let restored = chaos.restore(&applied).await.unwrap();
    assert!(
        matches!(restored, Restored::AlreadyMended { .. }),
        "{restored}"
    );
    assert!(
        acl_entries(ec2, network_acl_id)
            .await
            .iter()
            .any(|e| e.rule_number() == Some(*rule_number)),
        "the team's own entry stays"
    );
}

/// The team attaches the gateway again, and re-creates the route.
async fn team_mends_the_network(game: &Game) {
    let ec2 = &game.ec2;
    let chaos = game.chaos(&game.stack.url).await;
    // The team attaches the gateway again.
    let applied = break_it(&chaos, Action::DetachIgw, 0).await;
    let Change::DetachInternetGateway {
        internet_gateway_id,
        vpc_id,
    } = &applied.changes[0]
    else {
        panic!("{applied:?}");
    };
    ec2.attach_internet_gateway()
        .internet_gateway_id(internet_gateway_id)
        .vpc_id(vpc_id)
        .send()
        .await
        .unwrap();
    let restored = chaos.restore(&applied).await.unwrap();
    assert!(
        matches!(restored, Restored::AlreadyMended { .. }),
        "{restored}"
    );

    // The team re-creates the route.
    let applied = break_it(&chaos, Action::DropRoute, 0).await;
    let Change::DeleteRoute {
        route_table_id,
        gateway_id,
        ..
    } = &applied.changes[0]
    else {
        panic!("{applied:?}");
    };
    ec2.create_route()
        .route_table_id(route_table_id)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(gateway_id)
        .send()
        .await
        .unwrap();
    let restored = chaos.restore(&applied).await.unwrap();
    assert!(
        matches!(restored, Restored::AlreadyMended { .. }),
        "{restored}"
    );
    assert_eq!(
        default_routes(ec2, route_table_id).await,
        vec![gateway_id.clone()]
    );
}

/// The team starts its instance again.
async fn team_starts_the_instance(game: &Game) {
    let ec2 = &game.ec2;
    let chaos = game.chaos(&game.stack.url).await;
    let applied = break_it(&chaos, Action::StopInstance, 0).await;
    let Change::StopInstance { instance_id, .. } = &applied.changes[0] else {
        panic!("{applied:?}");
    };
    ec2.start_instances()
        .instance_ids(instance_id)
        .send()
        .await
        .unwrap();
    let restored = chaos.restore(&applied).await.unwrap();
    assert!(
        matches!(restored, Restored::AlreadyMended { .. }),
        "{restored}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tags_find_the_stack_when_the_url_is_not_its_load_balancer() {
    let game = game().await;
    // A name of the team's own in front of the load balancer (a CNAME): the tags find it.
    let chaos = game.chaos("http://unicorns.example.com/").await;
    let found = chaos.find().await.unwrap();
    assert_eq!((found.found_by.clone(), found.port), (FoundBy::Tags, 80));
    assert_eq!(found.subnets.len(), 2);
    // Every break finds the same resources as from the URL.
    let by_url = game.chaos(&game.stack.url).await;
    for action in Action::ALL {
        let (tags, url) = (
            chaos.plan(action, 7).await.unwrap(),
            by_url.plan(action, 7).await.unwrap(),
        );
        assert_eq!(tags.changes, url.changes, "{action}");
        assert_eq!(tags.changes.len(), 1, "{action}: {tags:?}");
    }
    // On https, the load balancer's group (port 80 only) has nothing to revoke.
    let https = game.chaos("https://unicorns.example.com/").await;
    let plan = https.plan(Action::ClosePort, 0).await.unwrap();
    assert!(plan.changes.is_empty(), "{plan:?}");
    let err = https.apply(&plan).await.unwrap_err();
    assert!(matches!(err, ChaosError::NothingToBreak { .. }), "{err}");
    // Another team's name finds nothing, and says what to check.
    let mut stranger = target("http://strangers.example.com/", None);
    stranger.account.team = "strangers".into();
    let stranger = Chaos::with_config(stranger, &game.base).await;
    let plan = stranger.plan(Action::DropRoute, 0).await.unwrap();
    let err = stranger.apply(&plan).await.unwrap_err().to_string();
    assert!(
        err.contains("nothing tagged gameday:team=strangers") && err.contains("region"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_the_team_replaced_with_its_own_is_out_of_reach() {
    let game = game().await;
    let ec2 = &game.ec2;
    // The team's own route table, untagged, now serves its subnets.
    let own = ec2
        .create_route_table()
        .vpc_id(&game.stack.vpc)
        .send()
        .await
        .unwrap();
    let own = own
        .route_table()
        .unwrap()
        .route_table_id()
        .unwrap()
        .to_owned();
    let igw = internet_gateways(ec2, &game.stack.vpc).await.remove(0);
    ec2.create_route()
        .route_table_id(&own)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&igw)
        .send()
        .await
        .unwrap();
    let tables = ec2
        .describe_route_tables()
        .filters(filter("vpc-id", &game.stack.vpc))
        .send()
        .await
        .unwrap();
    for assoc in tables
        .route_tables()
        .iter()
        .flat_map(|t| t.associations())
        .filter(|a| a.subnet_id().is_some())
    {
        ec2.replace_route_table_association()
            .association_id(assoc.route_table_association_id().unwrap())
            .route_table_id(&own)
            .send()
            .await
            .unwrap();
    }
    let chaos = game.chaos(&game.stack.url).await;
    let plan = chaos.plan(Action::DropRoute, 0).await.unwrap();
    assert!(plan.changes.is_empty(), "{plan:?}");
    assert!(
        plan.untouchable.len() == 1 && plan.untouchable[0].contains(&own),
        "{:?}",
        plan.untouchable
    );
    let err = chaos.apply(&plan).await.unwrap_err().to_string();
    assert!(err.contains(&own) && err.contains("team's own"), "{err}");
    assert_eq!(default_routes(ec2, &own).await, vec![igw]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_from_aws_is_one_error_that_says_what_to_check() {
    let moto = start_moto();
    let mut base = base_config(&moto).await.to_builder();
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    base.set_endpoint_url(Some(format!("http://{dead}")));
    let chaos = Chaos::with_config(target("http://x.example", None), &base.build()).await;
    let err = chaos.plan(Action::ClosePort, 0).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ChaosError::Unreachable { .. }), "{text}");
    assert!(
        text.starts_with("elasticloadbalancing:DescribeLoadBalancers: no answer from AWS")
            && text.contains("region"),
        "{text}"
    );
}

/// moto checks a policy's actions against `Resource: "*"` only, and no conditions: of the
/// chaos role's policy it allows the Describe calls (so every call `find` makes must be in its
/// `Find` statement) and denies every change, which shows how a denial is reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_the_role_may_not_make_is_one_error_naming_the_call_and_the_role() {
    let moto = start_moto_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "3")]);
    let stack = deploy(&moto, true);
    let (key, secret) = stack.organizer.clone().unwrap();
    let organizer = aws_sdk_ec2::Client::new(&config_as(&moto, &key, &secret).await);
    complete(&organizer, &stack.vpc).await;
    let (key, secret) = stack.chaos.clone().unwrap();
    let as_role = config_as(&moto, &key, &secret).await;
    let chaos = Chaos::with_config(target(&stack.url, None), &as_role).await;

    for action in Action::ALL {
        let plan = chaos.plan(action, 0).await.unwrap();
        assert_eq!(plan.changes.len(), 1, "{action}: {plan:?}");
    }
    let plan = chaos.plan(Action::ClosePort, 0).await.unwrap();
    let Change::RevokeIngress { group_id, .. } = &plan.changes[0] else {
        panic!("{plan:?}");
    };
    let before = ingress(&organizer, group_id).await;
    let err = chaos.apply(&plan).await.unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(&err, ChaosError::Denied { action: "ec2:RevokeSecurityGroupIngress", resource, .. } if resource == group_id),
        "{err:?}"
    );
    assert!(
        text.starts_with(&format!(
            "AccessDenied: the chaos role may not ec2:RevokeSecurityGroupIngress on {group_id}: is organizer-roles.yaml deployed"
        )),
        "{text}"
    );
    assert_eq!(
        ingress(&organizer, group_id).await,
        before,
        "nothing changed"
    );

    // moto refuses the organizer the role itself (it checks the organizer's user policy
    // against the role's ARN): the error says so, with STS's words, once.
    let (key, secret) = stack.organizer.clone().unwrap();
    let role = "arn:aws:iam::123456789012:role/GameDayChaos";
    let base = config_as(&moto, &key, &secret).await;
    let chaos = Chaos::with_config(target(&stack.url, Some(role)), &base).await;
    let err = chaos.plan(Action::ClosePort, 0).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ChaosError::Credentials { .. }), "{err:?}");
    assert!(
        text.starts_with(
            "elasticloadbalancing:DescribeLoadBalancers: no credentials for the team's account \
             (AccessDenied: User: arn:aws:iam::123456789012:user/organizer is not authorized to \
             perform: sts:AssumeRole): is organizer-roles.yaml deployed there"
        ) && text.len() < 400,
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_terminated_instance_nothing_replaced_cannot_be_undone() {
    let game = game().await;
    let ec2 = &game.ec2;
    // An instance of the team's that no Auto Scaling group launched.
    let [team, role] = tags("instance");
    let lone = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::Instance)
                .tags(team)
                .tags(role)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let lone = lone.instances()[0].instance_id().unwrap().to_owned();
    let ids = running(ec2).await;
    let seed = ids.iter().position(|i| *i == lone).unwrap() as u64 + 3 * ids.len() as u64;
    let chaos = game.chaos(&game.stack.url).await;
    let applied = break_it(&chaos, Action::TerminateInstance, seed).await;
    assert!(
        matches!(&applied.changes[..], [Change::TerminateInstance { instance_id, auto_scaling_group: None, .. }] if *instance_id == lone),
        "{applied:?}"
    );
    let restored = chaos.restore(&applied).await.unwrap();
    let Restored::CannotUndo { what } = &restored else {
        panic!("{restored:?}");
    };
    assert!(
        what.contains(&lone) && what.contains("no Auto Scaling group launched it"),
        "{what}"
    );
    assert_eq!(state(ec2, &lone).await, "terminated");
}
