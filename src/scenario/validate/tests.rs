//! The loader on whole files: defaults, every field of every section, the README example.

use std::path::Path;
use std::time::Duration;

use hashref::HashParams;
use hashref::unicorn::Flavor;
use loadgen::{OutcomeKind, Pacing, Phase, RateSchedule};
use scoreboard_domain::breaks::BreakAction;
use scoreboard_domain::{BillingRules, Cents, GameTime, Points, Rules, ScriptedInstance, Source};

use crate::scenario::*;

const MINIMAL: &str = "[game]\nname = \"x\"\nduration = \"30s\"\n[load]\n\
                       phases = [{ at = \"0s\", rate = 2 }]\n[[team]]\nname = \"a\"\n\
                       url = \"http://example.com\"";

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn read(text: &str) -> Scenario {
    parse(text, Path::new("test.toml")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_minimal_file_gets_every_default() {
    let s = read(MINIMAL);
    assert_eq!(s.path, Path::new("test.toml"));
    assert_eq!(
        s.game,
        GameSettings {
            name: "x".into(),
            duration: secs(30),
            seed: 1,
            tick: secs(1),
            allow_private_targets: false,
        }
    );
    assert_eq!(
        s.keyset,
        KeysetSettings {
            count: 1000,
            zipf: 1.0
        }
    );
    assert_eq!(s.hash, HashParams::default());
    assert_eq!(
        s.load.pacing,
        Pacing::Open(RateSchedule::constant(2.0).unwrap())
    );
    assert_eq!(s.load.timeout, secs(10));
    assert_eq!(s.load.connect_timeout, secs(3));
    assert_eq!(s.load.max_in_flight, 1000);
    assert_eq!((s.load.max_body, s.load.max_headers), (4096, 100));
    assert_eq!(s.rules, Rules::default());
    assert_eq!(s.billing, BillingSource::None);
    assert_eq!(
        s.teams,
        [TeamSpec {
            name: "a".into(),
            endpoint: Endpoint::Urls(vec!["http://example.com".into()]),
        }]
    );
    assert!(s.timeline.is_empty() && s.expect.is_empty());
}

const FULL: &str = r#"
[game]
name = "Full"
duration = "1h"
seed = 42
tick = "500ms"
allow_private_targets = true

[keyset]
count = 250
zipf = 1.2

[hash]
salt = "pepper"
iterations = 300

[load]
phases = [
  { at = "0s", rate = 1 },
  { at = "10m", rate = 20.5, ramp = "5m" },
]
timeout = "4s"
connect_timeout = "1500ms"
max_in_flight = 64
max_body = 1024
max_headers = 20

[scoring]
correct = 2
sla = "2s"
correct_slow = 0.5
wrong_answer = -3
status_5xx = -1.25
status_4xx = -1
status_other = 0
timeout = -2
connect_error = -0.75
tls_error = -0.25
reset = -0.1
too_large = -4
malformed = -5
dropped = -0.001
void_late_per_mille = 20

[billing]
source = "scripted"
price = 8.50
block = "5m"
points_per_dollar = 10
instance_type = "m5.large"

[[billing.instance]]
team = "real"
id = "i-1"
start = "0s"
stop = "20m"

[[billing.instance]]
team = "sim"
id = "i-2"
type = "c5.xlarge"
start = "30m"

[[team]]
name = "real"
url = ["http://203.0.113.10:8080", "http://example.com/api"]

[[team]]
name = "sim"
simulate = { flavor = "v3", servers = 2, cache = true, cache_key = "path", min_latency = "50ms", workers = 8, queue = 3, error_rate = 0.25, memcache = "127.0.0.1:11211", mend_after = "45s", steps = [ { at = "15m", servers = 4 }, { at = "40m", flavor = "v1", cache = false } ] }

[[team]]
name = "plain sim"
[team.simulate]
iterations = 99
salt = "wrong"
instance_type = "t3.nano"

[[timeline]]
at = "30m"
fault = { team = "sim", kind = "latency", extra = "2s", for = "20s" }

[[timeline]]
at = "5m"
announce = "Hello"

[[timeline]]
at = "30m"
hook = { command = "echo hi" }

[[timeline]]
at = "31m"
fault = { team = "sim", kind = "stall", for = "10s" }

[[timeline]]
at = "32m"
fault = { team = "plain sim", kind = "flavor", flavor = "v1" }

[[timeline]]
at = "33m"
fault = { team = "plain sim", kind = "kill" }

[[timeline]]
at = "34m"
fault = { team = "plain sim", kind = "latency", extra = "100ms" }

[[expect]]
order = ["sim", "real"]

[[expect]]
team = "sim"
rank = 3
score_min = -10.5
score_max = 100
cost_dollars = 25.5
correct_min = 7
events = [{ source = "billing", min = 1, max = 3 }, { kind = "timeout", max = 0 }]

[[expect]]
team = "real"
events = { source = "LoadGen", min = 5 }
"#;

#[test]
fn a_full_file_maps_every_field() {
    let s = read(FULL);
    let g = &s.game;
    assert_eq!(
        (g.name.as_str(), g.duration, g.seed),
        ("Full", secs(3600), 42)
    );
    assert_eq!(
        (g.tick, g.allow_private_targets),
        (Duration::from_millis(500), true)
    );
    assert_eq!(
        s.keyset,
        KeysetSettings {
            count: 250,
            zipf: 1.2
        }
    );
    assert_eq!(
        s.hash,
        HashParams {
            salt: "pepper".into(),
            iterations: 300
        }
    );
    let phases = vec![
        Phase {
            at: secs(0),
            rate: 1.0,
            ramp: None,
        },
        Phase {
            at: secs(600),
            rate: 20.5,
            ramp: Some(secs(300)),
        },
    ];
    assert_eq!(
        s.load.pacing,
        Pacing::Open(RateSchedule::new(phases).unwrap())
    );
    assert_eq!(s.load.timeout, secs(4));
    assert_eq!(s.load.connect_timeout, Duration::from_millis(1500));
    assert_eq!(s.load.max_in_flight, 64);
    assert_eq!((s.load.max_body, s.load.max_headers), (1024, 20));
    assert_eq!(s.rules, full_rules());
    assert_eq!(
        s.billing,
        BillingSource::Scripted(vec![
            ScriptedInstance {
                team: "real".into(),
                id: "i-1".into(),
                instance_type: "m5.large".into(),
                start: GameTime(0),
                stop: Some(GameTime(1_200_000)),
            },
            ScriptedInstance {
                team: "sim".into(),
                id: "i-2".into(),
                instance_type: "c5.xlarge".into(),
                start: GameTime(1_800_000),
                stop: None,
            },
        ])
    );
    assert_eq!(s.teams, full_teams());
    assert_eq!(s.timeline, full_timeline());
    assert_eq!(s.expect, full_expectations());
}

fn full_rules() -> Rules {
    Rules {
        correct: Points(2000),
        sla: secs(2),
        correct_slow: Points(500),
        wrong_answer: Points(-3000),
        status_5xx: Points(-1250),
        status_4xx: Points(-1000),
        status_other: Points(0),
        timeout: Points(-2000),
        connect_error: Points(-750),
        tls_error: Points(-250),
        reset: Points(-100),
        too_large: Points(-4000),
        malformed: Points(-5000),
        dropped: Points(-1),
        void_late_per_mille: 20,
        billing: BillingRules {
            price: Cents(850),
            block: secs(300),
            points_per_dollar: 10,
        },
    }
}

fn full_teams() -> Vec<TeamSpec> {
    let urls = vec![
        "http://203.0.113.10:8080".to_owned(),
        "http://example.com/api".to_owned(),
    ];
    let sim = SimulatedTeam {
        flavor: Flavor::V3,
        servers: 2,
        cache: true,
        cache_key: CacheKey::Path,
        hash: HashParams {
            iterations: 300,
            salt: "pepper".into(),
        },
        min_latency: Duration::from_millis(50),
        workers: 8,
        queue: 3,
        error_rate: 0.25,
        memcache: Some("127.0.0.1:11211".into()),
        instance_type: "m5.large".into(),
        mend_after: Some(secs(45)),
        steps: vec![
            SimStep {
                at: secs(900),
                servers: Some(4),
                flavor: None,
                cache: None,
            },
            SimStep {
                at: secs(2400),
                servers: None,
                flavor: Some(Flavor::V1),
                cache: Some(false),
            },
        ],
    };
    let plain = SimulatedTeam {
        flavor: Flavor::V2,
        servers: 1,
        cache: false,
        cache_key: CacheKey::Query,
        hash: HashParams {
            iterations: 99,
            salt: "wrong".into(),
        },
        min_latency: Duration::from_millis(500),
        workers: 5,
        queue: 10,
        error_rate: 0.05,
        memcache: None,
        instance_type: "t3.nano".into(),
        steps: Vec::new(),
        mend_after: None,
    };
    vec![
        TeamSpec {
            name: "real".into(),
            endpoint: Endpoint::Urls(urls),
        },
        TeamSpec {
            name: "sim".into(),
            endpoint: Endpoint::Simulate(sim),
        },
        TeamSpec {
            name: "plain sim".into(),
            endpoint: Endpoint::Simulate(plain),
        },
    ]
}

fn full_timeline() -> Vec<TimelineEntry> {
    let fault = |team: &str, fault| Action::Fault {
        team: team.into(),
        fault,
    };
    let at = |s: u64, action| TimelineEntry {
        at: secs(s),
        action,
    };
    vec![
        at(300, Action::Announce("Hello".into())),
        // Same time: file order.
        at(
            1800,
            fault(
                "sim",
                Fault::Latency {
                    extra: secs(2),
                    lasting: Some(secs(20)),
                },
            ),
        ),
        at(
            1800,
            Action::Hook {
                command: "echo hi".into(),
                timeout: secs(30),
            },
        ),
        at(1860, fault("sim", Fault::Stall { lasting: secs(10) })),
        at(1920, fault("plain sim", Fault::Flavor(Flavor::V1))),
        at(1980, fault("plain sim", Fault::Kill)),
        at(
            2040,
            fault(
                "plain sim",
                Fault::Latency {
                    extra: Duration::from_millis(100),
                    lasting: None,
                },
            ),
        ),
    ]
}

fn full_expectations() -> Vec<Expectation> {
    vec![
        Expectation::Order(vec!["sim".into(), "real".into()]),
        Expectation::Team(TeamExpectation {
            team: "sim".into(),
            rank: Some(3),
            score_min: Some(Points(-10_500)),
            score_max: Some(Points(100_000)),
            cost: Some(Cents(2550)),
            correct_min: Some(7),
            events: vec![
                EventCount {
                    what: Counted::Source(Source::Billing),
                    min: Some(1),
                    max: Some(3),
                },
                EventCount {
                    what: Counted::Kind(OutcomeKind::Timeout),
                    min: None,
                    max: Some(0),
                },
            ],
        }),
        Expectation::Team(TeamExpectation {
            team: "real".into(),
            events: vec![EventCount {
                what: Counted::Source(Source::LoadGen),
                min: Some(5),
                max: None,
            }],
            ..TeamExpectation::default()
        }),
    ]
}

#[test]
fn billing_defaults_to_the_fleet_when_a_team_is_simulated() {
    let text = "[game]\nname = \"x\"\nduration = \"30s\"\nallow_private_targets = true\n\
                [load]\nclients = 1\n[[team]]\nname = \"a\"\nsimulate = {}";
    let s = read(text);
    assert_eq!(s.billing, BillingSource::Fleet);
    assert_eq!(s.rules.billing, BillingRules::default());
    let Endpoint::Simulate(sim) = &s.teams[0].endpoint else {
        panic!("simulated")
    };
    assert_eq!(
        (sim.instance_type.as_str(), sim.flavor),
        ("t2.micro", Flavor::V2)
    );
}

#[test]
fn aws_billing_and_closed_load_read() {
    let text = MINIMAL.replace("phases = [{ at = \"0s\", rate = 2 }]", "clients = 12")
        + "\n[billing]\nsource = \"aws\"\n[[billing.aws]]\nteam = \"a\"\n\
           region = \"eu-west-1\"\nprofile = \"team-a\"\n";
    let s = read(&text);
    assert_eq!(s.load.pacing, Pacing::Closed { clients: 12 });
    assert_eq!(
        s.billing,
        BillingSource::Aws(vec![AwsTeam {
            team: "a".into(),
            region: "eu-west-1".into(),
            role_arn: None,
            external_id: None,
            profile: Some("team-a".into()),
        }])
    );
}

#[test]
fn breaks_name_their_teams_action_restore_and_telling() {
    let text = r#"[game]
name = "x"
duration = "10m"
allow_private_targets = true
[load]
clients = 2
[[team]]
name = "real"
url = "http://example.com"
[[team]]
name = "sim"
simulate = { mend_after = "45s" }
[[chaos.aws]]
team = "real"
region = "eu-west-1"
role_arn = "arn:aws:iam::111122223333:role/GameDayChaos"
external_id = "gd-1"
[[timeline]]
at = "5m"
break = { team = "*", action = "drop_route", for = "2m", tell = true }
[[timeline]]
at = "1m"
break = { team = "sim", action = "stop_instance" }
"#;
    let s = read(text);
    assert_eq!(
        s.chaos,
        [AwsTeam {
            team: "real".into(),
            region: "eu-west-1".into(),
            role_arn: Some("arn:aws:iam::111122223333:role/GameDayChaos".into()),
            external_id: Some("gd-1".into()),
            profile: None,
        }]
    );
    assert_eq!(
        s.billing,
        BillingSource::Fleet,
        "[[chaos.aws]] is not billing"
    );
    let breaks: Vec<(Duration, &Action)> = s.timeline.iter().map(|e| (e.at, &e.action)).collect();
    assert_eq!(
        breaks,
        [
            (
                secs(60),
                &Action::Break(Break {
                    teams: vec!["sim".into()],
                    action: BreakAction::StopInstance,
                    lasting: None,
                    tell: false,
                })
            ),
            (
                secs(300),
                &Action::Break(Break {
                    teams: vec!["real".into(), "sim".into()],
                    action: BreakAction::DropRoute,
                    lasting: Some(secs(120)),
                    tell: true,
                })
            ),
        ]
    );
    let Endpoint::Simulate(sim) = &s.teams[1].endpoint else {
        panic!("simulated")
    };
    assert_eq!(sim.mend_after, Some(secs(45)));
}

#[test]
fn the_readme_example_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    // The whole-game example (the README has smaller snippets too).
    let example = readme
        .split("```toml\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .find(|block| block.contains("[game]"))
        .expect("the README has a whole-game toml example");
    let s = read(example);
    assert_eq!(s.teams.len(), 3);
    assert_eq!(
        s.teams[1].endpoint,
        Endpoint::Urls(vec!["https://api.rainbow-ops.example".into()])
    );
    assert_eq!(s.timeline.len(), 3);
}
