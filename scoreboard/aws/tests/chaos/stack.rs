//! The team's stack on moto for the breaks' tests: deploy/aws/team-stack.yaml through moto's
//! CloudFormation, what moto leaves out made through the EC2 API, and the describe calls the
//! tests check resources with.

use std::process::Command;

use aws_sdk_ec2::types::{Filter, NetworkAclEntry, RuleAction, Tag, TagSpecification};

use crate::util::Moto;

pub const TEAM: &str = "unicorns-r-us";

/// The team's stack as deployed: its outputs, and with moto's IAM checks on, the access keys
/// of the organizer (allowed everything) and of a user with the chaos role's policy.
pub struct Stack {
    pub url: String,
    pub vpc: String,
    pub asg: String,
    pub organizer: Option<(String, String)>,
    pub chaos: Option<(String, String)>,
}

/// Deploys deploy/aws/team-stack.yaml on moto's CloudFormation (with boto3, which
/// `moto[server]` brings), two instances. With `iam`, moto checks IAM after its first three
/// requests: they make the organizer's user, which deploys the stack and organizer-roles.yaml,
/// then a user with the policy of the `GameDayChaos` role deployed (moto's STS will not let
/// the organizer assume the role itself).
pub fn deploy(moto: &Moto, iam: bool) -> Stack {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/aws");
    let script = r#"
import ast, json, sys, urllib.parse, boto3
url, dir, team, iam_checks = sys.argv[1:5]
def client(name, key="testing", secret="testing"):
    return boto3.client(name, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret)
def user(iam, name, policy):
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="policy", PolicyDocument=json.dumps(policy))
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return [k["AccessKeyId"], k["SecretAccessKey"]]
def deploy(cfn, name, template, params, caps=()):
    cfn.create_stack(StackName=name, TemplateBody=open(f"{dir}/{template}").read(),
                     Capabilities=list(caps),
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()])
    cfn.get_waiter("stack_create_complete").wait(StackName=name,
                                                 WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
keys = ["testing", "testing"]
out = {}
if iam_checks == "iam":
    everything = {"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    keys = out["organizer"] = user(client("iam"), "organizer", everything)
out.update(deploy(client("cloudformation", *keys), "unicorn-rentals", "team-stack.yaml",
                  {"TeamName": team, "ServerUrl": "https://downloads.example.com/unicorn",
                   "DesiredCapacity": "2"}))
if iam_checks == "iam":
    deploy(client("cloudformation", *keys), "gameday-organizer", "organizer-roles.yaml",
           {"OrganizerAccountId": "123456789012", "ExternalId": "gameday-2026", "TeamName": team},
           ["CAPABILITY_NAMED_IAM"])
    iam = client("iam", *keys)
    doc = iam.get_role_policy(RoleName="GameDayChaos", PolicyName="break-and-restore")
    doc = doc["PolicyDocument"]
    if not isinstance(doc, dict):
        try:
            doc = json.loads(urllib.parse.unquote(doc))
        except ValueError:
            doc = ast.literal_eval(doc)
    out["chaos"] = user(iam, "chaos", doc)
print(json.dumps(out))
"#;
    let mode = if iam { "iam" } else { "open" };
    let out = Command::new("python3")
        .args(["-c", script, &moto.url, dir, TEAM, mode])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "the stack deploys on moto: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outputs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let get = |k: &str| outputs[k].as_str().unwrap().to_owned();
    let keys = |k: &str| {
        outputs[k].as_array().map(|pair| {
            let s = |i: usize| pair[i].as_str().unwrap().to_owned();
            (s(0), s(1))
        })
    };
    Stack {
        url: get("Url"),
        vpc: get("VpcId"),
        asg: get("AutoScalingGroupName"),
        organizer: keys("organizer"),
        chaos: keys("chaos"),
    }
}

pub fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

pub fn tags(role: &str) -> [Tag; 2] {
    [
        Tag::builder().key("gameday:team").value(TEAM).build(),
        Tag::builder().key("gameday:role").value(role).build(),
    ]
}

/// What moto 5.2's CloudFormation leaves out (deploy/aws/README.md, "Checks"), made through
/// the EC2 API as the stack makes it on AWS: the tags of the internet gateway and the route
/// table, the subnets' route table associations, and the stack's network ACL.
pub async fn complete(ec2: &aws_sdk_ec2::Client, vpc: &str) {
    let subnets = ec2
        .describe_subnets()
        .filters(filter("vpc-id", vpc))
        .send()
        .await
        .unwrap();
    let subnets: Vec<String> = subnets
        .subnets()
        .iter()
        .map(|s| s.subnet_id().unwrap().to_owned())
        .collect();
    let igw = internet_gateways(ec2, vpc).await.remove(0);
    let [team, role] = tags("igw");
    ec2.create_tags()
        .resources(&igw)
        .tags(team)
        .tags(role)
        .send()
        .await
        .unwrap();
    let table = default_route_table(ec2, vpc).await;
    let [team, role] = tags("route-table");
    ec2.create_tags()
        .resources(&table)
        .tags(team)
        .tags(role)
        .send()
        .await
        .unwrap();
    for s in &subnets {
        ec2.associate_route_table()
            .route_table_id(&table)
            .subnet_id(s)
            .send()
            .await
            .unwrap();
    }
    let [team, role] = tags("nacl");
    let acl = ec2
        .create_network_acl()
        .vpc_id(vpc)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::NetworkAcl)
                .tags(team)
                .tags(role)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let acl = acl
        .network_acl()
        .unwrap()
        .network_acl_id()
        .unwrap()
        .to_owned();
    for egress in [false, true] {
        ec2.create_network_acl_entry()
            .network_acl_id(&acl)
            .rule_number(100)
            .protocol("-1")
            .rule_action(RuleAction::Allow)
            .egress(egress)
            .cidr_block("0.0.0.0/0")
            .send()
            .await
            .unwrap();
    }
    let current = ec2
        .describe_network_acls()
        .filters(filter("vpc-id", vpc))
        .send()
        .await
        .unwrap();
    for assoc in current.network_acls().iter().flat_map(|a| a.associations()) {
        ec2.replace_network_acl_association()
            .association_id(assoc.network_acl_association_id().unwrap())
            .network_acl_id(&acl)
            .send()
            .await
            .unwrap();
    }
}

pub async fn internet_gateways(ec2: &aws_sdk_ec2::Client, vpc: &str) -> Vec<String> {
    let out = ec2
        .describe_internet_gateways()
        .filters(filter("attachment.vpc-id", vpc))
        .send()
        .await
        .unwrap();
    out.internet_gateways()
        .iter()
        .map(|g| g.internet_gateway_id().unwrap().to_owned())
        .collect()
}

/// The stack's route table: the one of the VPC with a default route.
pub async fn default_route_table(ec2: &aws_sdk_ec2::Client, vpc: &str) -> String {
    let out = ec2
        .describe_route_tables()
        .filters(filter("vpc-id", vpc))
        .send()
        .await
        .unwrap();
    let table = out.route_tables().iter().find(|t| {
        t.routes()
            .iter()
            .any(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
    });
    table.unwrap().route_table_id().unwrap().to_owned()
}

pub async fn default_routes(ec2: &aws_sdk_ec2::Client, table: &str) -> Vec<String> {
    let out = ec2
        .describe_route_tables()
        .route_table_ids(table)
        .send()
        .await
        .unwrap();
    out.route_tables()
        .iter()
        .flat_map(|t| t.routes())
        .filter(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
        .map(|r| r.gateway_id().unwrap_or("?").to_owned())
        .collect()
}

/// The ingress of a security group as (protocol, from, to, sources).
pub async fn ingress(ec2: &aws_sdk_ec2::Client, group: &str) -> Vec<(String, Option<i32>, usize)> {
    let out = ec2
        .describe_security_groups()
        .group_ids(group)
        .send()
        .await
        .unwrap();
    out.security_groups()
        .iter()
        .flat_map(|g| g.ip_permissions())
        .map(|p| {
            let sources = p.ip_ranges().len() + p.user_id_group_pairs().len();
            (p.ip_protocol().unwrap().to_owned(), p.from_port(), sources)
        })
        .filter(|(_, _, n)| *n > 0)
        .collect()
}

pub async fn acl_entries(ec2: &aws_sdk_ec2::Client, acl: &str) -> Vec<NetworkAclEntry> {
    let out = ec2
        .describe_network_acls()
        .network_acl_ids(acl)
        .send()
        .await
        .unwrap();
    let mut entries: Vec<NetworkAclEntry> = out
        .network_acls()
        .iter()
        .flat_map(|a| a.entries())
        .filter(|e| e.egress() == Some(false))
        .cloned()
        .collect();
    entries.sort_by_key(|e| e.rule_number());
    entries
}

pub async fn state(ec2: &aws_sdk_ec2::Client, id: &str) -> String {
    let out = ec2
        .describe_instances()
        .instance_ids(id)
        .send()
        .await
        .unwrap();
    let i = &out.reservations()[0].instances()[0];
    i.state().unwrap().name().unwrap().as_str().to_owned()
}

pub async fn running(ec2: &aws_sdk_ec2::Client) -> Vec<String> {
    let out = ec2
        .describe_instances()
        .filters(filter("tag:gameday:team", TEAM))
        .filters(filter("instance-state-name", "running"))
        .send()
        .await
        .unwrap();
    let mut ids: Vec<String> = out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .map(|i| i.instance_id().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}
