//! Bad scenario files and the one-line error each gives: file, line, column, field and what
//! was expected.

use std::path::Path;

use gameday::scenario::{ScenarioError, load, parse};

/// A file and its whole error message, as `gameday check` prints it.
struct Case {
    what: &'static str,
    text: &'static str,
    error: &'static str,
}

const CASES: &[Case] = &[
    Case {
        what: "unknown field",
        text: r#"[game]
name = "x"
duraton = "30s"
"#,
        error: "bad.toml:3:1: game.duraton: unknown field `duraton`, expected one of `name`, \
                `duration`, `seed`, `tick`, `allow_private_targets`",
    },
    Case {
        what: "unknown field in an inline table",
        text: r#"[game]
name = "x"
duration = "30s"
allow_private_targets = true
[load]
clients = 2
[[team]]
name = "a"
simulate = { flavour = "v2" }
"#,
        error: "bad.toml:9:14: team[0].simulate.flavour: unknown field `flavour`, expected one \
                of `flavor`, `servers`, `cache`, `cache_key`, `iterations`, `salt`, `min_latency`, `workers`, \
                `queue`, `error_rate`, `memcache`, `instance_type`, `steps`, \
                `mend_after`",
    },
    Case {
        what: "a duration in words",
        text: r#"[game]
name = "x"
duration = "15 minutes"
"#,
        error: "bad.toml:3:12: game.duration: expected a duration like 90s, 15m, 2h or 500ms, \
                got \"15 minutes\"",
    },
    Case {
        what: "a duration without quotes is a TOML syntax error",
        text: r#"[game]
name = "x"
duration = 30s
"#,
        error: "bad.toml:3:12: game.duration: string values must be quoted, expected literal \
                string",
    },
    Case {
        what: "an unclosed string",
        text: r#"[game]
name = "x
duration = "30s"
"#,
        error: "bad.toml:2:10: game.name: invalid basic string, expected `\"`",
    },
    Case {
        what: "an unclosed table header",
        text: r#"[game]
name = "x"
duration = "30s"
[load
clients = 2
"#,
        error: "bad.toml:4:6: load: unclosed table, expected `]`",
    },
    Case {
        what: "a stray word after a value",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://a.example"
[[team]]
name = "b"
url = "http://b.example" x
"#,
        error: "bad.toml:11:26: team[1].url: unexpected key or value, expected newline, `#`",
    },
    Case {
        what: "a wrong type",
        text: r#"[game]
name = "x"
duration = "30s"
seed = "lucky"
"#,
        error: "bad.toml:4:8: game.seed: invalid type: string \"lucky\", expected an integer",
    },
    Case {
        what: "a duration as a number",
        text: r#"[game]
name = "x"
duration = 30
"#,
        error: "bad.toml:3:12: game.duration: invalid type: integer `30`, expected a duration \
                in quotes, like \"90s\"",
    },
    Case {
        what: "no [game] name",
        text: r#"[game]
duration = "30s"
[load]
clients = 2
"#,
        error: "bad.toml:1:1: game.name: required, but missing",
    },
    Case {
        what: "no [game] at all",
        text: r#"[load]
clients = 2
"#,
        error: "bad.toml:1:1: game: required, but missing",
    },
    Case {
        what: "a game too long",
        text: r#"[game]
name = "x"
duration = "48h"
[load]
clients = 2
[[team]]
name = "a"
url = "http://example.com"
"#,
        error: "bad.toml:3:12: game.duration: expected a duration from 1s to 24h, got 48h",
    },
    Case {
        what: "a tick longer than the game",
        text: r#"[game]
name = "x"
duration = "30s"
tick = "1m"
[load]
clients = 2
"#,
        error: "bad.toml:4:8: game.tick: expected a tick no longer than the game (30s), got 1m",
    },
    Case {
        what: "a rate too high",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
phases = [{ at = "0s", rate = 1 }, { at = "5s", rate = 5000000000 }]
"#,
        error: "bad.toml:5:56: load.phases[1].rate: expected a rate from 0 to 1000000 requests \
                per second, got 5000000000",
    },
    Case {
        what: "a first phase after 0s",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
phases = [{ at = "1s", rate = 1 }]
"#,
        error: "bad.toml:5:18: load.phases[0].at: expected the first phase at \"0s\", got 1s",
    },
    Case {
        what: "a ramp running into the next phase",
        text: r#"[game]
name = "x"
duration = "1h"
[load]
phases = [{ at = "0s", rate = 1, ramp = "10m" }, { at = "5m", rate = 2 }]
"#,
        error: "bad.toml:5:41: load.phases[0].ramp: expected a ramp of at most 5m (the next \
                phase starts at 5m), got 10m",
    },
    Case {
        what: "phases and clients",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
phases = [{ at = "0s", rate = 1 }]
clients = 2
"#,
        error: "bad.toml:6:11: load.clients: set either phases (an open model) or clients (a \
                closed model), not both",
    },
    Case {
        what: "neither phases nor clients",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
timeout = "5s"
"#,
        error: "bad.toml:4:1: load: expected phases = [ { at = \"0s\", rate = 5 } ] (an open \
                model) or clients = 10 (a closed model)",
    },
    Case {
        what: "a penalty that rewards",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[scoring]
timeout = 3
[[team]]
name = "a"
url = "http://example.com"
"#,
        error: "bad.toml:6:1: scoring: timeout is a penalty: it must be 0 or negative, not +3",
    },
    Case {
        what: "points with four decimals",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[scoring]
correct_slow = 0.0001
[[team]]
name = "a"
url = "http://example.com"
"#,
        error: "bad.toml:7:16: scoring.correct_slow: expected points from -1000000 to \
                1000000 with at most three decimals, got 0.0001",
    },
    Case {
        what: "no team",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
"#,
        error: "bad.toml:1:1: team: expected at least one [[team]] with a name (and a url, or \
                simulate)",
    },
    Case {
        what: "url and simulate",
        text: r#"[game]
name = "x"
duration = "30s"
allow_private_targets = true
[load]
clients = 2
[[team]]
name = "a"
url = "http://example.com"
simulate = { servers = 1 }
"#,
        error: "bad.toml:10:12: team[0].simulate: set either url (a real team) or simulate (a \
                simulated team), not both",
    },
    Case {
        what: "a duplicate team name",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://example.com"
[[team]]
name = "a"
url = "http://example.org"
"#,
        error: "bad.toml:10:8: team[1].name: team[0] already has the name \"a\": expected a \
                unique name",
    },
    Case {
        what: "a team name with a slash",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a/b"
url = "http://example.com"
"#,
        error: "bad.toml:7:8: team[0].name: expected a name of at most 40 letters, digits, \
                spaces, `_`, `.` or `-`, got \"a/b\"",
    },
    Case {
        what: "a loopback URL without allow_private_targets",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://127.0.0.1:8080"
"#,
        error: "bad.toml:8:7: team[0].url: \"http://127.0.0.1:8080\" is a loopback address: \
                teams' servers must have public addresses (set game.allow_private_targets = \
                true to allow it)",
    },
    Case {
        what: "the cloud metadata address",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://169.254.169.254/latest"
"#,
        error: "bad.toml:8:7: team[0].url: \"http://169.254.169.254/latest\" is a link-local (the cloud metadata service lives at 169.254.169.254) address: teams' servers must have \
                public addresses (set game.allow_private_targets = true to allow it)",
    },
    Case {
        what: "an IPv4-mapped IPv6 private address",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://[::ffff:10.0.0.1]:80"
"#,
        error: "bad.toml:8:7: team[0].url: \"http://[::ffff:10.0.0.1]:80\" is a private address: teams' servers must have \
                public addresses (set game.allow_private_targets = true to allow it)",
    },
    Case {
        what: "a multicast address",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://239.1.2.3"
"#,
        error: "bad.toml:8:7: team[0].url: \"http://239.1.2.3\" is a multicast address: teams' servers must have \
                public addresses (set game.allow_private_targets = true to allow it)",
    },
    Case {
        what: "localhost by name",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://api.localhost:9000"
"#,
        error: "bad.toml:8:7: team[0].url: \"http://api.localhost:9000\" is a loopback name: teams' servers must have \
                public addresses (set game.allow_private_targets = true to allow it)",
    },
    Case {
        what: "more closed clients than requests in flight",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 50
max_in_flight = 10
[[team]]
name = "a"
url = "http://example.com"
"#,
        error: "bad.toml:6:17: load.max_in_flight: expected at least load.clients (50): each \
                closed client holds one request in flight, got 10 (raise load.max_in_flight or \
                lower load.clients)",
    },
    Case {
        what: "an ftp URL",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = ["http://example.com", "ftp://example.org"]
"#,
        error: "bad.toml:8:30: team[0].url[1]: expected a URL like http(s)://host[:port][/path], \
                got \"ftp://example.org\"",
    },
    Case {
        what: "simulate without allow_private_targets",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
simulate = { flavor = "v2" }
"#,
        error: "bad.toml:8:12: team[0].simulate: a simulated team runs on this machine's \
                loopback: set game.allow_private_targets = true",
    },
    Case {
        what: "a bad flavor",
        text: r#"[game]
name = "x"
duration = "30s"
allow_private_targets = true
[load]
clients = 2
[[team]]
name = "a"
simulate = { flavor = "v4" }
"#,
        error: "bad.toml:9:23: team[0].simulate.flavor: unknown flavor \"v4\": expected v1, v2 \
                or v3",
    },
    Case {
        what: "a bad cache key",
        text: r#"[game]
name = "x"
duration = "30s"
allow_private_targets = true
[load]
clients = 2
[[team]]
name = "a"
simulate = { cache = true, cache_key = "host" }
"#,
        error: "bad.toml:9:40: team[0].simulate.cache_key: unknown cache key \"host\": expected \
                \"query\" or \"path\"",
    },
    Case {
        what: "a step that changes nothing",
        text: r#"[game]
name = "x"
duration = "30s"
allow_private_targets = true
[load]
clients = 2
[[team]]
name = "a"
simulate = { steps = [{ at = "10s" }] }
"#,
        error: "bad.toml:9:23: team[0].simulate.steps[0]: expected at least one change: \
                servers, flavor or cache",
    },
    Case {
        what: "a fault on an unknown team",
        text: r#"[game]
name = "x"
duration = "30s"
allow_private_targets = true
[load]
clients = 2
[[team]]
name = "a"
simulate = {}
[[timeline]]
at = "5s"
fault = { team = "b", kind = "kill" }
"#,
        error: "bad.toml:12:18: timeline[0].fault.team: expected the name of a [[team]] (a), \
                got \"b\"",
    },
    Case {
        what: "a fault on a URL team",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://example.com"
[[timeline]]
at = "5s"
fault = { team = "a", kind = "kill" }
"#,
        error: "bad.toml:11:18: timeline[0].fault.team: team \"a\" is a real team, not \
                simulate: faults apply only to simulated teams",
    },
    Case {
        what: "a break on a real team without a [[chaos.aws]] account",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://example.com"
[[timeline]]
at = "5s"
break = { team = "*", action = "close_port" }
"#,
        error: "bad.toml:11:18: timeline[0].break.team: team \"a\" is neither simulated nor in a \
                [[chaos.aws]] entry: expected [[chaos.aws]] team = \"a\" with its region and the \
                chaos role (role_arn, external_id) or a profile, for the break to act on its account",
    },
    Case {
        what: "a break restored after the game's end",
        text: r#"[game]
name = "x"
duration = "30s"
allow_private_targets = true
[load]
clients = 2
[[team]]
name = "sim"
simulate = { flavor = "v2" }
[[timeline]]
at = "25s"
break = { team = "sim", action = "drop_route", for = "10s" }
"#,
        error: "bad.toml:12:54: timeline[0].break.for: expected the restore (at 25s + for 10s) \
                by the game's end (30s): a break still in place when the game ends stays broken",
    },
    Case {
        what: "a break of no known action",
        text: r#"[game]
name = "x"
duration = "30s"
allow_private_targets = true
[load]
clients = 2
[[team]]
name = "sim"
simulate = { flavor = "v2" }
[[timeline]]
at = "5s"
break = { team = "sim", action = "unplug", for = "10s" }
"#,
        error: "bad.toml:12:34: timeline[0].break.action: expected a break action \
                (terminate_instance, stop_instance, close_port, deny_nacl, drop_route, detach_igw), \
                got \"unplug\"",
    },
    Case {
        what: "a [[chaos.aws]] account without a role or a profile",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://example.com"
[[chaos.aws]]
team = "a"
region = "eu-west-1"
"#,
        error: "bad.toml:9:1: chaos.aws[0]: expected role_arn (a role to assume) or profile (a named \
                AWS profile)",
    },
    Case {
        what: "a simulated team's mend_after that is not a duration",
        text: r#"[game]
name = "x"
duration = "30s"
allow_private_targets = true
[load]
clients = 2
[[team]]
name = "sim"
simulate = { flavor = "v2", mend_after = 45 }
"#,
        error: "bad.toml:9:42: team[0].simulate.mend_after: invalid type: integer `45`, expected a \
                duration in quotes, like \"90s\"",
    },
    Case {
        what: "a registration for a simulated team",
        text: r#"[game]
name = "x"
duration = "30s"
allow_private_targets = true
[load]
clients = 2
[[team]]
name = "sim"
simulate = { flavor = "v2" }
[[timeline]]
at = "5s"
register = { team = "sim", url = "http://127.0.0.1:8080" }
"#,
        error: "bad.toml:12:21: timeline[0].register.team: team \"sim\" is simulated: the engine \
                runs its servers, it registers no endpoint",
    },
    Case {
        what: "a registration of a private address",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "rainbow-ops"
[[timeline]]
at = "5s"
register = { team = "rainbow-ops", url = "http://10.0.0.7" }
"#,
        error: "bad.toml:10:42: timeline[0].register.url: \"http://10.0.0.7\" is a private \
                address: teams' servers must have public addresses (set \
                game.allow_private_targets = true to allow it)",
    },
    Case {
        what: "a registration for a team that is not in the file",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "rainbow-ops"
[[timeline]]
at = "5s"
register = { team = "rainbow", url = "http://203.0.113.9" }
"#,
        error: "bad.toml:10:21: timeline[0].register.team: expected the name of a [[team]] \
                (rainbow-ops), got \"rainbow\"",
    },
    Case {
        what: "a stall without its length",
        text: r#"[game]
name = "x"
duration = "30s"
allow_private_targets = true
[load]
clients = 2
[[team]]
name = "a"
simulate = {}
[[timeline]]
at = "5s"
fault = { team = "a", kind = "stall" }
"#,
        error: "bad.toml:12:9: timeline[0].fault.for: required with kind = \"stall\"",
    },
    Case {
        what: "a timeline entry doing two things",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://example.com"
[[timeline]]
at = "5s"
announce = "hello"
hook = { command = "true" }
"#,
        error: "bad.toml:12:8: timeline[0].hook: set one of announce, fault, hook, register, \
                freeze or break per [[timeline]] entry, not several",
    },
    Case {
        what: "a timeline entry after the end",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://example.com"
[[timeline]]
at = "30s"
announce = "too late"
"#,
        error: "bad.toml:10:6: timeline[0].at: expected a time before the end of the game \
                (30s), got 30s",
    },
    Case {
        what: "scripted instances with fleet billing",
        text: r#"[game]
name = "x"
duration = "30s"
allow_private_targets = true
[load]
clients = 2
[billing]
source = "fleet"
[[billing.instance]]
team = "a"
id = "i-1"
start = "0s"
[[team]]
name = "a"
simulate = {}
"#,
        error: "bad.toml:9:1: billing.instance[0]: [[billing.instance]] is read only with \
                source = \"scripted\"",
    },
    Case {
        what: "a price in fractions of a cent",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[billing]
price = 8.505
[[team]]
name = "a"
url = "http://example.com"
"#,
        error: "bad.toml:7:9: billing.price: expected dollars from 0 to 1000000 with at most \
                two decimals, got 8.505",
    },
    Case {
        what: "score_min above score_max",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://example.com"
[[expect]]
team = "a"
score_min = 10
score_max = 2.5
"#,
        error: "bad.toml:12:13: expect[0].score_max: expected at least score_min (10), got 2.5",
    },
    Case {
        what: "a rank past the last team",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://example.com"
[[expect]]
team = "a"
rank = 2
"#,
        error: "bad.toml:11:8: expect[0].rank: expected a rank from 1 to 1, got 2",
    },
    Case {
        what: "a team twice in an order",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://example.com"
[[team]]
name = "b"
url = "http://example.org"
[[expect]]
order = ["a", "b", "a"]
"#,
        error: "bad.toml:13:20: expect[0].order[2]: team \"a\" is already in the order",
    },
    Case {
        what: "events counting a source and a kind",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://example.com"
[[expect]]
team = "a"
events = [{ kind = "timeout", min = 1 }, { source = "Billing", kind = "dropped", max = 1 }]
"#,
        error: "bad.toml:11:71: expect[0].events[1].kind: set either source (score events) or \
                kind (outcomes), not both",
    },
    Case {
        what: "an unknown outcome kind",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://example.com"
[[expect]]
team = "a"
events = { kind = "slow", min = 1 }
"#,
        error: "bad.toml:11:19: expect[0].events.kind: expected an outcome kind (correct, \
                wrong_answer, http_status, timeout, connect_refused, connect_timeout, reset, \
                too_large, malformed, dropped, tls_untrusted, tls_expired, tls_wrong_host, \
                tls_handshake_timeout, tls_refused, plain_http_on_tls_port, tls_on_plain_port, \
                dns_error), got \"slow\"",
    },
    Case {
        what: "a header cap past the most a head may hold",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
max_headers = 5000
"#,
        error: "bad.toml:6:15: load.max_headers: expected a number of headers from 1 to 1000, \
                got 5000",
    },
    Case {
        what: "a freeze that is not true or false",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://example.com"
[[timeline]]
at = "25s"
freeze = "yes"
"#,
        error: "bad.toml:11:10: timeline[0].freeze: invalid type: string \"yes\", expected a \
                boolean",
    },
    Case {
        what: "a freeze beside an announcement",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://example.com"
[[timeline]]
at = "25s"
announce = "frozen!"
freeze = true
"#,
        error: "bad.toml:12:10: timeline[0].freeze: set one of announce, fault, hook, register, \
                freeze or break per [[timeline]] entry, not several",
    },
    Case {
        what: "a webhook without a URL",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://example.com"
[[notify]]
audience = "organizer"
"#,
        error: "bad.toml:9:1: notify[0]: expected either url = \"https://…\" or url_env = \"VARIABLE\" \
                (the URL is a secret: the environment keeps it out of the file)",
    },
    Case {
        what: "a webhook whose URL variable is not set",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://example.com"
[[notify]]
url_env = "GAMEDAY_TEST_HOOK_NEVER_SET"
"#,
        error: "bad.toml:10:11: notify[0].url_env: GAMEDAY_TEST_HOOK_NEVER_SET is not set: export the \
                webhook's URL in it before the game starts",
    },
    Case {
        what: "a webhook of a kind we do not speak",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://example.com"
[[notify]]
url = "https://example.com/hook"
kind = "teams"
"#,
        error: "bad.toml:11:8: notify[0].kind: unknown variant `teams`, expected one of `slack`, \
                `discord`, `mattermost`, `json`",
    },
    Case {
        what: "a webhook URL that is not http",
        text: r#"[game]
name = "x"
duration = "30s"
[load]
clients = 2
[[team]]
name = "a"
url = "http://example.com"
[[notify]]
url = "hooks.slack.com/services/x"
"#,
        error: "bad.toml:10:7: notify[0].url: expected an http:// or https:// URL",
    },
];

#[test]
fn every_bad_file_names_its_line_column_field_and_what_was_expected() {
    let mut failures = Vec::new();
    for case in CASES {
        let got = match parse(case.text, Path::new("bad.toml")) {
            Ok(_) => "(no error)".to_owned(),
            Err(e) => e.to_string(),
        };
        if got != case.error {
            failures.push(format!(
                "{}:\n  expected {}\n  got      {got}",
                case.what, case.error
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn errors_are_one_line_and_structured() {
    for case in CASES {
        let err = parse(case.text, Path::new("bad.toml")).unwrap_err();
        assert!(!err.to_string().contains('\n'), "{}: {err}", case.what);
        let ScenarioError::Invalid { line, column, .. } = err else {
            panic!("{}: not an Invalid error", case.what);
        };
        assert!(line >= 1 && column >= 1, "{}", case.what);
    }
}

#[test]
fn a_file_on_disk_is_named_in_its_errors() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scenarios/loopback.toml");
    let err = load(&path).unwrap_err().to_string();
    let expected = format!(
        "{}:11:30: team[0].url[1]: \"http://localhost:8080\" is a loopback name: teams' \
         servers must have public addresses (set game.allow_private_targets = true to allow it)",
        path.display()
    );
    assert_eq!(err, expected);

    let missing = Path::new("no/such/scenario.toml");
    let err = load(missing).unwrap_err();
    assert!(matches!(err, ScenarioError::Read { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("no/such/scenario.toml: cannot read the scenario: "),
        "{err}"
    );
}

/// https team URLs pass, in a scenario and as a team's new URL on the web, under the same
/// private-address rule as http; `load.ca_cert` is read relative to the scenario, and a
/// file that holds no certificate is refused where it is named.
#[test]
fn https_teams_pass_under_the_same_address_rules() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = |url: &str, ca: &str| {
        format!(
            "[game]\nname = \"x\"\nduration = \"30s\"\n[load]\nclients = 2\n{ca}\n\
             [[team]]\nname = \"a\"\nurl = \"{url}\"\n"
        )
    };
    let path = dir.path().join("game.toml");
    let s = parse(&scenario("https://api.team.example", ""), &path).unwrap();
    assert_eq!(s.load.ca_cert, None);
    let err = parse(&scenario("https://10.0.0.7:8443", ""), &path)
        .unwrap_err()
        .to_string();
    assert!(err.contains("a private address"), "{err}");
    // Not a certificate: refused at the field, naming the file.
    std::fs::write(dir.path().join("venue-ca.pem"), "not a certificate\n").unwrap();
    let err = parse(
        &scenario("https://api.team.example", "ca_cert = \"venue-ca.pem\""),
        &path,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("load.ca_cert")
            && err.contains("venue-ca.pem")
            && err.contains("no certificate"),
        "{err}"
    );
    // As a team's new URL on the web.
    use gameday::scenario::check_team_url;
    assert_eq!(check_team_url("https://api.team.example/v2", false), Ok(()));
    let err = check_team_url("https://127.0.0.1:8443", false).unwrap_err();
    assert!(err.contains("loopback"), "{err}");
    assert_eq!(check_team_url("https://127.0.0.1:8443", true), Ok(()));
    let err = check_team_url("gopher://api.team.example", true).unwrap_err();
    assert!(err.contains("http(s)://"), "{err}");
}
