#!/usr/bin/env python3
"""Deploys deploy/aws's two templates on moto's server and checks what they made.

Starts moto's server (the `moto[server]` package .ci/run installs) on a free 127.0.0.1 port,
creates the team's stack (team-stack.yaml) and the organizer's roles (organizer-roles.yaml)
through CloudFormation, then checks with describe calls that the VPC, its two public subnets,
the internet gateway and its default route, the security groups, the load balancer with its
/healthcheck target group, the Auto Scaling group and its instances, the roles and their trust
exist, and that each carries the gameday:team and gameday:role tags the breaks look for.
moto's CloudFormation does not create network ACLs: the NACL is checked by cfn-lint only.

Exit status 0 when every check holds; 1 with the failed checks otherwise.
"""

import ast
import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse

import boto3
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
TEAM = "unicorns-r-us"
REGION = "us-east-1"
ORGANIZER = "999999999999"
EXTERNAL_ID = "gameday-2026"
# What the breaks do and undo: nothing else may change.
CHAOS_ACTIONS = {
    "ec2:TerminateInstances", "ec2:StopInstances", "ec2:StartInstances",
    "ec2:RevokeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupIngress",
    "ec2:CreateNetworkAclEntry", "ec2:ReplaceNetworkAclEntry", "ec2:DeleteNetworkAclEntry",
    "ec2:DeleteRoute", "ec2:CreateRoute", "ec2:ReplaceRoute",
    "ec2:DetachInternetGateway", "ec2:AttachInternetGateway",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto():
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return child, f"http://127.0.0.1:{port}"
        except OSError:
            if child.poll() is not None or time.monotonic() > deadline:
                child.kill()
                sys.exit(f"moto's server did not listen on 127.0.0.1:{port}")
            time.sleep(0.1)


class Checks:
    def __init__(self):
        self.failed = []
        self.passed = 0
        self.gaps = []

    def that(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed.append(what)
            print(f"FAILED: {what}")


def tags_of(resource, key="Tags"):
    return {t["Key"]: t["Value"] for t in resource.get(key) or []}


def tagged(check, what, resource, role, key="Tags"):
    tags = tags_of(resource, key)
    check.that(
        tags.get("gameday:team") == TEAM and tags.get("gameday:role") == role,
        f"{what}: tags gameday:team={TEAM}, gameday:role={role} (has {tags})",
    )


def load_template(name):
    """A template as data: the short forms (!Ref, !Sub, …) become their long forms."""

    class Loader(yaml.SafeLoader):
        pass

    def short_form(loader, suffix, node):
        name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    Loader.add_multi_constructor("!", short_form)
    with open(os.path.join(HERE, name)) as f:
        return yaml.load(f, Loader=Loader)


def deploy(cfn, name, template, parameters, capabilities=()):
    with open(os.path.join(HERE, template)) as f:
        body = f.read()
    cfn.create_stack(
        StackName=name,
        TemplateBody=body,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=list(capabilities),
    )
    cfn.get_waiter("stack_create_complete").wait(
        StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def declared(template, logical_id):
    """The Properties of a resource of the template, as written."""
    return template["Resources"][logical_id].get("Properties", {})


def declared_tags(template, logical_id):
    return {t["Key"]: t["Value"] for t in declared(template, logical_id).get("Tags", [])}


def moto_gap(check, what, ok):
    """A fact moto's CloudFormation does not emulate, checked in the template instead."""
    check.that(ok, f"{what} (in the template: moto does not emulate it)")
    check.gaps.append(what)


def check_network(check, ec2, template, vpc_id):
    vpcs = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    check.that(len(vpcs) == 1, f"the VPC {vpc_id} exists")
    tagged(check, "the VPC", vpcs[0], "vpc")
    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]

    subnets = ec2.describe_subnets(Filters=in_vpc)["Subnets"]
    check.that(len(subnets) == 2, f"two subnets (found {len(subnets)})")
    check.that(len({s["AvailabilityZone"] for s in subnets}) == 2, "the subnets are in two zones")
    for s in subnets:
        tagged(check, f"subnet {s['SubnetId']}", s, "subnet")
    moto_gap(
        check,
        "both subnets give their instances public addresses",
        all(declared(template, s)["MapPublicIpOnLaunch"] is True for s in ("SubnetA", "SubnetB")),
    )

    igws = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
    )["InternetGateways"]
    check.that(len(igws) == 1, f"one internet gateway attached (found {len(igws)})")
    igw = igws[0]["InternetGatewayId"] if igws else None
    moto_gap(
        check,
        "the internet gateway is tagged gameday:role=igw",
        declared_tags(template, "InternetGateway").get("gameday:role") == "igw",
    )

    # moto keeps the subnets' route table associations out of DescribeRouteTables: the
    # stack's table is the one with the default route.
    tables = ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]
    default = [
        (t, r)
        for t in tables
        for r in t["Routes"]
        if r.get("DestinationCidrBlock") == "0.0.0.0/0"
    ]
    check.that(
        len(default) == 1 and default[0][1].get("GatewayId") == igw,
        f"one default route, to the internet gateway {igw} ({[r for _, r in default]})",
    )
    moto_gap(
        check,
        "both subnets use the route table, tagged gameday:role=route-table",
        declared_tags(template, "RouteTable").get("gameday:role") == "route-table"
        and sorted(
            declared(template, a)["SubnetId"]["Ref"] for a in ("SubnetARoutes", "SubnetBRoutes")
        )
        == ["SubnetA", "SubnetB"],
    )
    nacl_entries = [
        declared(template, e)
        for e, r in template["Resources"].items()
        if r["Type"] == "AWS::EC2::NetworkAclEntry"
    ]
    moto_gap(
        check,
        "both subnets use the stack's network ACL, tagged gameday:role=nacl, allowing all",
        declared_tags(template, "NetworkAcl").get("gameday:role") == "nacl"
        and sorted(declared(template, a)["SubnetId"]["Ref"] for a in ("SubnetAAcl", "SubnetBAcl"))
        == ["SubnetA", "SubnetB"]
        and sorted(e["Egress"] for e in nacl_entries) == [False, True]
        and all(e["RuleAction"] == "allow" and e["Protocol"] == -1 for e in nacl_entries),
    )
    return [s["SubnetId"] for s in subnets]


def check_security_groups(check, ec2, vpc_id):
    groups = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag-key", "Values": ["gameday:role"]}]
    )["SecurityGroups"]
    by_role = {tags_of(g).get("gameday:role"): g for g in groups}
    check.that(set(by_role) == {"alb-sg", "instance-sg"}, f"two tagged groups ({sorted(by_role)})")
    alb, inst = by_role.get("alb-sg"), by_role.get("instance-sg")
    if alb:
        tagged(check, "the load balancer's group", alb, "alb-sg")
        check.that(
            any(
                p.get("FromPort") == 80 and any(r.get("CidrIp") == "0.0.0.0/0" for r in p["IpRanges"])
                for p in alb["IpPermissions"]
            ),
            "the load balancer's group lets port 80 in from anywhere",
        )
    if alb and inst:
        tagged(check, "the instances' group", inst, "instance-sg")
        check.that(
            any(
                p.get("FromPort") == 80
                and any(u.get("GroupId") == alb["GroupId"] for u in p["UserIdGroupPairs"])
                for p in inst["IpPermissions"]
            ),
            "the instances' group lets port 80 in from the load balancer's group",
        )
    return alb["GroupId"] if alb else None


def check_load_balancer(check, elb, template, url, subnet_ids, alb_group):
    host = urllib.parse.urlparse(url).hostname
    # DNS names are case-insensitive; the URL's host comes back lower-cased.
    lbs = elb.describe_load_balancers()["LoadBalancers"]
    lbs = [lb for lb in lbs if lb["DNSName"].lower() == host]
    check.that(len(lbs) == 1, f"the Url output {url} names a load balancer")
    if not lbs:
        return None
    lb = lbs[0]
    check.that(lb["Scheme"] == "internet-facing" and lb["Type"] == "application", "an internet-facing ALB")
    check.that(
        sorted(z["SubnetId"] for z in lb["AvailabilityZones"]) == sorted(subnet_ids),
        "the load balancer is in both subnets",
    )
    check.that(lb.get("SecurityGroups") == [alb_group], "the load balancer has its group")
    moto_gap(
        check,
        "the load balancer is tagged gameday:role=alb",
        declared_tags(template, "LoadBalancer").get("gameday:role") == "alb",
    )
    groups = elb.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]
    check.that(len(groups) == 1, "one target group behind the listener")
    for g in groups:
        check.that(g["HealthCheckPath"] == "/healthcheck", f"health check on {g['HealthCheckPath']}")
        check.that(g["Port"] == 80 and g["Protocol"] == "HTTP", "the target group forwards HTTP to port 80")
    listeners = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    check.that([listener["Port"] for listener in listeners] == [80], "one listener on port 80")
    return groups[0]["TargetGroupArn"] if groups else None


def check_auto_scaling(check, asg_client, ec2, name, subnet_ids, target_group):
    groups = asg_client.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    check.that(len(groups) == 1, f"the Auto Scaling group {name} exists")
    if not groups:
        return
    group = groups[0]
    tags = {t["Key"]: t for t in group["Tags"]}
    check.that(tags.get("gameday:role", {}).get("Value") == "asg", "the group is tagged gameday:role=asg")
    check.that(
        tags.get("gameday:team", {}).get("PropagateAtLaunch") is True,
        "the group's gameday:team tag reaches its instances",
    )
    check.that(sorted(group["VPCZoneIdentifier"].split(",")) == sorted(subnet_ids), "the group uses both subnets")
    check.that(group["TargetGroupARNs"] == [target_group], "the group registers with the target group")
    check.that(group["DesiredCapacity"] == 2 and len(group["Instances"]) == 2, "two instances, as asked")
    launch = group["LaunchTemplate"]
    versions = ec2.describe_launch_template_versions(LaunchTemplateId=launch["LaunchTemplateId"])
    data = versions["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    user_data = base64.b64decode(data["UserData"]).decode()
    check.that(
        "wget -q -O server \"https://downloads.example.com/unicorn\"" in user_data
        and "chmod +x server" in user_data
        and "./server --listen 0.0.0.0:80 --flavor v2" in user_data,
        f"the user data downloads the server and runs it:\n{user_data}",
    )
    check.that(data["InstanceType"] == "t3.small", "the instance type parameter is used")
    ids = [i["InstanceId"] for i in group["Instances"]]
    reservations = ec2.describe_instances(InstanceIds=ids)["Reservations"]
    for inst in (i for r in reservations for i in r["Instances"]):
        tagged(check, f"instance {inst['InstanceId']}", inst, "instance")


def policy_document(doc):
    """A policy document as IAM returns it: a dict (boto3 decodes it), URL-encoded JSON, or
    (moto's CloudFormation for inline policies) the Python repr of a dict."""
    if isinstance(doc, dict):
        return doc
    try:
        return json.loads(urllib.parse.unquote(doc))
    except ValueError:
        return ast.literal_eval(doc)


def check_roles(check, iam, outputs):
    for role_name, output in [("GameDayBillingReadOnly", "BillingRoleArn"), ("GameDayChaos", "ChaosRoleArn")]:
        role = iam.get_role(RoleName=role_name)["Role"]
        check.that(outputs.get(output) == role["Arn"], f"{output} is {role_name}'s ARN")
        trust = policy_document(role["AssumeRolePolicyDocument"])
        statement = trust["Statement"][0]
        check.that(
            statement["Principal"]["AWS"] == f"arn:aws:iam::{ORGANIZER}:root"
            and statement["Condition"]["StringEquals"]["sts:ExternalId"] == EXTERNAL_ID,
            f"{role_name} trusts the organizer's account with the external id ({statement})",
        )
    policy = iam.get_role_policy(RoleName="GameDayBillingReadOnly", PolicyName="describe-instances")
    doc = policy_document(policy["PolicyDocument"])
    check.that(
        doc["Statement"] == [{"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}],
        f"the billing role may only DescribeInstances ({doc['Statement']})",
    )
    chaos = iam.get_role_policy(RoleName="GameDayChaos", PolicyName="break-and-restore")
    statements = policy_document(chaos["PolicyDocument"])["Statement"]
    changes = set()
    for st in statements:
        actions = [st["Action"]] if isinstance(st["Action"], str) else st["Action"]
        if all(":Describe" in a for a in actions):
            continue
        changes.update(actions)
        team = st.get("Condition", {}).get("StringEquals", {}).get("aws:ResourceTag/gameday:team")
        check.that(
            team == TEAM or st.get("Sid") == "SecurityGroupRules",
            f"chaos statement {st.get('Sid')} acts only on resources tagged gameday:team={TEAM}",
        )
    check.that(changes == CHAOS_ACTIONS, f"the chaos role may change only {sorted(CHAOS_ACTIONS)}: {sorted(changes)}")


def main():
    child, url = start_moto()
    started = time.monotonic()
    try:
        session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        client = lambda service: session.client(service, endpoint_url=url)  # noqa: E731
        check = Checks()
        template = load_template("team-stack.yaml")
        outputs = deploy(
            client("cloudformation"),
            "unicorn-rentals",
            "team-stack.yaml",
            {
                "TeamName": TEAM,
                "ServerUrl": "https://downloads.example.com/unicorn",
                "ServerArgs": "--listen 0.0.0.0:80 --flavor v2",
                "InstanceType": "t3.small",
                "DesiredCapacity": "2",
            },
        )
        check.that(outputs.get("Url", "").startswith("http://"), f"the stack outputs a Url ({outputs})")
        ec2 = client("ec2")
        subnet_ids = check_network(check, ec2, template, outputs["VpcId"])
        alb_group = check_security_groups(check, ec2, outputs["VpcId"])
        target_group = check_load_balancer(check, client("elbv2"), template, outputs["Url"], subnet_ids, alb_group)
        check_auto_scaling(
            check, client("autoscaling"), ec2, outputs["AutoScalingGroupName"], subnet_ids, target_group
        )
        roles = deploy(
            client("cloudformation"),
            "gameday-organizer",
            "organizer-roles.yaml",
            {"OrganizerAccountId": ORGANIZER, "ExternalId": EXTERNAL_ID, "TeamName": TEAM},
            capabilities=["CAPABILITY_NAMED_IAM"],
        )
        check_roles(check, client("iam"), roles)
    finally:
        child.terminate()
        child.wait(timeout=10)
    took = time.monotonic() - started
    print(f"{check.passed} checks passed, {len(check.failed)} failed, in {took:.1f} s")
    print(f"checked in the template only (moto's CloudFormation does not emulate them): {len(check.gaps)}")
    return 1 if check.failed else 0


if __name__ == "__main__":
    sys.exit(main())
