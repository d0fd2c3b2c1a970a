//! A real team's break through its AWS account, in a played game: moto's server with the
//! team's stack (deploy/aws/team-stack.yaml) deployed, a `[[chaos.aws]]` entry, and a
//! timeline's `close_port` and `stop_instance` for 3 s. The game breaks them off its loop
//! and notes what it changed (the security group's rule, the instance, as they were), the
//! restores put them back (checked in the account afterwards), and the game plays on. A
//! break that finds nothing to act on (a team whose URL and tags match nothing) is said once
//! in the log and shown failed, with why, on the live admin API; the game ends on time. Then
//! `gameday chaos plan` naming the resources a break will touch, and `gameday chaos restore`
//! putting back a break a game left in place. Built with `--features aws`.

use std::io::Read;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use scoreboard_domain::breaks::{AskedBy, BreakAction, BreakNote, BreakOutcome};
use scoreboard_ledger::{LedgerAt, NoteKind};

#[path = "game/util.rs"]
mod util;

const TEAM: &str = "unicorns-r-us";
const ADMIN: &str = "tok-9c2e-admin-chaos";

/// More of the first test's game: one of the stack's instances stopped for 3 s too, and a team
/// the break cannot find (its URL is no load balancer's, no resource has its tags).
const MORE: &str = r#"
[[timeline]]
at = "2s"
break = { team = "unicorns-r-us", action = "stop_instance", for = "3s" }
[[timeline]]
at = "3s"
break = { team = "ghosts", action = "deny_nacl", for = "2s" }
"#;

/// A team whose stack is not in the account: its URL is no load balancer's, and no resource
/// carries its tags.
const GHOSTS: &str = r#"
[[team]]
name = "ghosts"
url = "http://203.0.113.7"
[[chaos.aws]]
team = "ghosts"
region = "us-east-1"
role_arn = "arn:aws:iam::123456789012:role/GameDayChaos"
"#;

/// moto's server on a free loopback port, stopped when dropped.
struct Moto {
    url: String,
    child: Child,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_moto() -> Moto {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("python3")
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto's server starts (pip install 'moto[server]')");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto did not listen on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    Moto {
        url: format!("http://127.0.0.1:{port}"),
        child,
    }
}

/// Runs boto3 against moto: `deploy` the team's stack (prints its URL), `instances` (prints
/// the state of each of the team's instances) or `ingress` (prints the ingress rules of the
/// load balancer's security groups), as JSON.
fn boto3(moto: &Moto, what: &str) -> serde_json::Value {
    let script = r#"
import json, sys, boto3
url, dir, team, what = sys.argv[1:5]
def client(name):
    return boto3.client(name, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")
if what == "deploy":
    cfn = client("cloudformation")
    cfn.create_stack(StackName="unicorn-rentals",
                     TemplateBody=open(f"{dir}/team-stack.yaml").read(),
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in
                                 {"TeamName": team, "DesiredCapacity": "2",
                                  "ServerUrl": "https://downloads.example.com/unicorn"}.items()])
    cfn.get_waiter("stack_create_complete").wait(StackName="unicorn-rentals",
                                                 WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    outputs = cfn.describe_stacks(StackName="unicorn-rentals")["Stacks"][0]["Outputs"]
    print(json.dumps({o["OutputKey"]: o["OutputValue"] for o in outputs}))
elif what == "instances":
    found = client("ec2").describe_instances(
        Filters=[{"Name": "tag:gameday:team", "Values": [team]}])["Reservations"]
    print(json.dumps({i["InstanceId"]: i["State"]["Name"] for r in found for i in r["Instances"]}))
else:
    groups = [g for lb in client("elbv2").describe_load_balancers()["LoadBalancers"]
              for g in lb.get("SecurityGroups", [])]
    sgs = client("ec2").describe_security_groups(GroupIds=groups)["SecurityGroups"]
    print(json.dumps({g["GroupId"]: sorted(json.dumps(p, sort_keys=True) for p in g["IpPermissions"])
                      for g in sgs}))
"#;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/aws");
    let out = Command::new("python3")
        .args(["-c", script, &moto.url, dir, TEAM, what])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Writes at `path` a game `name` of `duration` with one real team at `url` (its chaos
/// account the stack's), whose port the timeline closes at `at` (`rest`: more of the break's
/// fields, `, for = …`). A small keyset and hash: the answers are built in a moment.
fn real_scenario(
    path: &std::path::Path,
    (name, duration, url): (&str, &str, &str),
    (at, rest): (&str, &str),
) -> std::path::PathBuf {
    let text = format!(
        r#"[game]
name = "{name}"
duration = "{duration}"
[keyset]
count = 100
[hash]
iterations = 100
[load]
phases = [{{ at = "0s", rate = 1 }}]
timeout = "1s"
connect_timeout = "500ms"
[[team]]
name = "{TEAM}"
url = "{url}"
[[chaos.aws]]
team = "{TEAM}"
region = "us-east-1"
role_arn = "arn:aws:iam::123456789012:role/GameDayChaos"
external_id = "gameday-2026"
[[timeline]]
at = "{at}"
break = {{ team = "{TEAM}", action = "close_port"{rest} }}
"#
    );
    std::fs::write(path, text).unwrap();
    path.to_owned()
}

#[test]
fn a_real_teams_breaks_act_off_the_loop_the_restores_put_them_back_and_a_failure_is_said() {
    let moto = start_moto();
    let stack = boto3(&moto, "deploy");
    let url = stack["Url"].as_str().unwrap().to_owned();
    let before = boto3(&moto, "ingress");
    assert!(
        !before.as_object().unwrap().is_empty(),
        "the load balancer's groups: {before}"
    );
    let instances = boto3(&moto, "instances");
    let running = instances.as_object().unwrap();
    assert!(
        running.len() == 2 && running.values().all(|s| s == "running"),
        "{instances}"
    );

    let dir = tempfile::tempdir().unwrap();
    let scenario = real_scenario(
        &dir.path().join("real.toml"),
        ("real breaks", "10s", &url),
        ("2s", r#", for = "3s", tell = true"#),
    );
    let text = std::fs::read_to_string(&scenario).unwrap() + MORE + GHOSTS;
    std::fs::write(&scenario, text).unwrap();
    let db = dir.path().join("game.db");
    let db = db.to_str().unwrap();
    let (log, ghosts) = play_live(&moto, dir.path(), scenario.to_str().unwrap(), db);
    assert!(
        log.contains("broke close_port") && log.contains("broke stop_instance"),
        "{log}"
    );
    // The failure: on the admin API with its reason, once in the log, and the game ends on
    // time (10 s of play).
    assert_eq!(ghosts["kind"], "break", "{ghosts}");
    assert_eq!(ghosts["outcome"]["outcome"], "failed", "{ghosts}");
    let reason = ghosts["outcome"]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("team ghosts: deny_nacl finds nothing to break"),
        "{reason}"
    );
    assert!(
        ghosts["text"].as_str().unwrap().contains(reason),
        "{ghosts}"
    );
    assert_eq!(log.matches(reason).count(), 1, "said once: {log}");
    assert!(log.contains(", 10s of play, ledger"), "{log}");

    let breaks = break_notes(db);
    let of = |team: &str, action: BreakAction| -> Vec<&BreakNote> {
        breaks
            .iter()
            .filter(|b| b.team == team && b.record.action == action)
            .collect()
    };
    let ghost = of("ghosts", BreakAction::DenyNacl);
    let [failed] = ghost[..] else {
        panic!("one note, no restore: {breaks:?}")
    };
    assert!(!failed.restore && matches!(failed.record.outcome, BreakOutcome::Failed { .. }));
    let put_back = |action| -> [&BreakNote; 2] {
        let [broke, restored] = of(TEAM, action)[..] else {
            panic!("a break and its restore: {breaks:?}")
        };
        assert!(!broke.restore && restored.restore, "{breaks:?}");
        assert_eq!(restored.at.0, 5_000, "{restored:?}");
        [broke, restored]
    };
    put_back_as_they_were(&moto, put_back(BreakAction::ClosePort), &before);
    started_again(&moto, put_back(BreakAction::StopInstance), &instances);
}

/// close_port's break revoked the load balancer's rules, and its restore put them back as
/// they were (`before`, read with the SDK).
fn put_back_as_they_were(
    moto: &Moto,
    [broke, restored]: [&BreakNote; 2],
    before: &serde_json::Value,
) {
    for change in changes_of(broke, "revoke_ingress") {
        let group = change["group_id"].as_str().unwrap();
        assert!(
            before.get(group).is_some(),
            "a load balancer's group: {change}"
        );
    }
    let BreakOutcome::Done { record, .. } = &restored.record.outcome else {
        panic!("put back: {restored:?}")
    };
    assert_eq!(record["restored"], "put_back", "{record}");
    assert_eq!(
        boto3(moto, "ingress"),
        *before,
        "the rules are as they were"
    );
}

/// stop_instance's break stopped one of the running `instances`, and its restore started it
/// again (read with the SDK).
fn started_again(moto: &Moto, [stopped, started]: [&BreakNote; 2], instances: &serde_json::Value) {
    let [change] = &changes_of(stopped, "stop_instance")[..] else {
        panic!("one instance stopped: {stopped:?}")
    };
    let instance = change["instance_id"].as_str().unwrap();
    assert_eq!(instances[instance], "running", "{change}");
    assert!(
        matches!(started.record.outcome, BreakOutcome::Done { .. }),
        "{started:?}"
    );
    assert_eq!(
        boto3(moto, "instances"),
        *instances,
        "the instance runs again"
    );
}

/// The changes a break recorded, each of kind `kind`.
fn changes_of(b: &BreakNote, kind: &str) -> Vec<serde_json::Value> {
    let BreakOutcome::Done { record, .. } = &b.record.outcome else {
        panic!("{b:?}")
    };
    let changes = record["changes"].as_array().unwrap().clone();
    assert!(!changes.is_empty(), "{record}");
    for change in &changes {
        assert_eq!(change["change"], kind, "{change}");
    }
    changes
}

/// Plays `scenario` with its web board, on moto's endpoint: the game's log, once it ended,
/// and the ghosts' break as `GET /api/admin/status` listed it while the game ran.
fn play_live(
    moto: &Moto,
    dir: &std::path::Path,
    scenario: &str,
    db: &str,
) -> (String, serde_json::Value) {
    let mut game = util::Killed(
        aws_env(Command::new(env!("CARGO_BIN_EXE_gameday")), moto, dir)
            .args([
                "play",
                scenario,
                "--no-tui",
                "--web",
                "127.0.0.1:0",
                "--db",
                db,
            ])
            .env("GAMEDAY_ADMIN_TOKEN", ADMIN)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (addr, _) = util::web_address(game.0.stderr.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    let ghosts = loop {
        let (_, body) = util::http(&addr, "GET", "/api/admin/status", Some(ADMIN));
        let status: serde_json::Value = serde_json::from_str(&body).unwrap();
        let ghosts = status["breaks"]
            .as_array()
            .and_then(|b| b.iter().find(|b| b["team"] == "ghosts").cloned());
        if let Some(ghosts) = ghosts {
            break ghosts;
        }
        assert!(Instant::now() < deadline, "no break of ghosts: {status}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut log = String::new();
    game.0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(game.0.wait().unwrap().success(), "{log}");
    (log, ghosts)
}

/// `gameday ARGS` with moto's endpoint and test credentials, in `dir`.
fn gameday_on(moto: &Moto, dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = aws_env(Command::new(env!("CARGO_BIN_EXE_gameday")), moto, dir)
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// `cmd` on moto's endpoint with test credentials (none of the machine's), in `dir`.
fn aws_env(mut cmd: Command, moto: &Moto, dir: &std::path::Path) -> Command {
    cmd.env("GAMEDAY_CACHE_DIR", dir)
        .env("AWS_ENDPOINT_URL", &moto.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .current_dir(dir);
    cmd
}

/// The ledger's break and restore notes.
fn break_notes(db: &str) -> Vec<BreakNote> {
    let ledger = LedgerAt::parse(db, None).unwrap().open_existing().unwrap();
    ledger
        .notes_after(0, usize::MAX)
        .unwrap()
        .iter()
        .filter(|(_, n)| matches!(n.kind, NoteKind::Break | NoteKind::Restore))
        .map(|(_, n)| BreakNote::of(n).unwrap())
        .collect()
}

#[test]
fn chaos_plan_names_the_rules_and_chaos_restore_puts_back_a_break_the_game_left() {
    let moto = start_moto();
    let stack = boto3(&moto, "deploy");
    let url = stack["Url"].as_str().unwrap().to_owned();
    let before = boto3(&moto, "ingress");
    let dir = tempfile::tempdir().unwrap();
    // No `for`: the break outlives the game, for `chaos restore` to put back.
    let scenario = real_scenario(
        &dir.path().join("left.toml"),
        ("left broken", "4s", &url),
        ("1s", ""),
    );
    let scenario = scenario.to_str().unwrap();

    let (code, plan) = gameday_on(&moto, dir.path(), &["chaos", "plan", scenario]);
    assert_eq!(code, Some(0), "{plan}");
    assert!(
        plan.contains(
            "(break-1000-0-unicorns-r-us): close_port (until restored): (found from its load balancer"
        ),
        "{plan}"
    );
    for group in before.as_object().unwrap().keys() {
        assert!(plan.contains(&format!("on {group}")), "{group}: {plan}");
    }
    assert_eq!(boto3(&moto, "ingress"), before, "the plan changes nothing");

    // A team whose stack is not in the account (no resource tagged with its name): the game's
    // break would fail, so its plan does, with why, and the others are planned.
    let ghosts = dir.path().join("ghosts.toml");
    let text = std::fs::read_to_string(scenario).unwrap().replace(
        "[[timeline]]",
        &format!(
            "{GHOSTS}[[timeline]]\nat = \"2s\"\nbreak = {{ team = \"ghosts\", action = \"stop_instance\" }}\n[[timeline]]"
        ),
    );
    std::fs::write(&ghosts, text).unwrap();
    let (code, plan) = gameday_on(
        &moto,
        dir.path(),
        &["chaos", "plan", ghosts.to_str().unwrap()],
    );
    assert_eq!(code, Some(1), "{plan}");
    let (ours, theirs) = plan.split_once("ghosts (").expect(&plan);
    assert!(ours.contains("found from its load balancer"), "{plan}");
    assert!(
        theirs.contains("(break-2000-0-ghosts): stop_instance (until restored): (found by its stack's tags): nothing to change")
            && theirs.contains("NOT PLANNED: stop_instance would find nothing to change")
            && plan.ends_with("1 team(s) could not be planned\n"),
        "{plan}"
    );

    let db = dir.path().join("game.db");
    let db = db.to_str().unwrap();
    let (code, log) = gameday_on(&moto, dir.path(), &["replay", scenario, "--db", db]);
    assert!(code.is_some_and(|c| c <= 1), "{log}");
    assert_ne!(boto3(&moto, "ingress"), before, "the game left it broken");

    let (code, listed) = gameday_on(&moto, dir.path(), &["chaos", "restore", "--db", db]);
    assert_eq!(code, Some(0), "{listed}");
    assert!(
        listed.starts_with("1 break(s) still in place:\n  unicorns-r-us: close_port at ")
            && !listed.contains("simulated"),
        "{listed}"
    );
    let (code, said) = gameday_on(
        &moto,
        dir.path(),
        &["chaos", "restore", "--db", db, "--all"],
    );
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains("give it with --scenario FILE"), "{said}");
    assert_eq!(break_notes(db).len(), 1, "nothing noted");

    let args = [
        "chaos",
        "restore",
        "--db",
        db,
        "--all",
        "--scenario",
        scenario,
    ];
    let (code, said) = gameday_on(&moto, dir.path(), &args);
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains(
            "unicorns-r-us: close_port (break-1000-0-unicorns-r-us): restored: undone: revoke"
        ),
        "{said}"
    );
    assert_eq!(
        boto3(&moto, "ingress"),
        before,
        "the rules are as they were"
    );
    let notes = break_notes(db);
    let [_, restored] = &notes[..] else {
        panic!("the break and the organizer's restore: {notes:?}")
    };
    assert!(restored.restore && restored.record.asked_by == AskedBy::Organizer);
    assert!(restored.at.0 <= 4_000, "within the game: {restored:?}");
    assert!(matches!(restored.record.outcome, BreakOutcome::Done { .. }));

    let (code, listed) = gameday_on(&moto, dir.path(), &["chaos", "restore", "--db", db]);
    assert_eq!(
        (code, listed.as_str()),
        (Some(0), "no break is still in place\n")
    );
}
