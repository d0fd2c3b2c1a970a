//! The validated scenario: what a game is, once its file has been read and checked.

use std::path::PathBuf;
use std::time::Duration;

use hashref::HashParams;
use hashref::unicorn::Flavor;
use loadgen::{OutcomeKind, Pacing};
use scoreboard_domain::breaks::BreakAction;
use scoreboard_domain::{Cents, Points, Rules, ScriptedInstance, Source};

/// A whole game, checked: every duration, rate and name is usable as it stands.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file it came from (for messages).
    pub path: PathBuf,
    pub game: GameSettings,
    pub keyset: KeysetSettings,
    pub hash: HashParams,
    pub load: LoadSettings,
    /// `[scoring]` and `[billing]`'s price, block and points per dollar.
    pub rules: Rules,
    pub billing: BillingSource,
    pub teams: Vec<TeamSpec>,
    /// Sorted by `at`.
    pub timeline: Vec<TimelineEntry>,
    pub expect: Vec<Expectation>,
    /// `[[notify]]`: where the game's moments are told (Slack, Discord, Mattermost, JSON).
    pub notify: Vec<scoreboard::notify::Hook>,
    /// `[[chaos.aws]]`: the real teams' accounts breaks act on (the chaos role).
    pub chaos: Vec<AwsTeam>,
}

impl Scenario {
    /// The addresses the engine may connect teams at: any when the scenario allows private
    /// targets (simulated teams, CI), else public ones only, checked at every connection.
    pub fn address_policy(&self) -> loadgen::AddressPolicy {
        if self.game.allow_private_targets {
            loadgen::AddressPolicy::Any
        } else {
            loadgen::AddressPolicy::PublicOnly
        }
    }
}

/// `[game]`.
#[derive(Clone, Debug, PartialEq)]
pub struct GameSettings {
    pub name: String,
    pub duration: Duration,
    pub seed: u64,
    /// Length of a scoring tick (one outcome batch per team per tick).
    pub tick: Duration,
    /// Team URLs may point at loopback and private addresses (simulated teams, CI).
    pub allow_private_targets: bool,
}

/// `[keyset]`.
#[derive(Clone, Debug, PartialEq)]
pub struct KeysetSettings {
    pub count: usize,
    pub zipf: f64,
}

/// `[load]`.
#[derive(Clone, Debug)]
pub struct LoadSettings {
    /// Open (phases of a rate, ramps) or closed (clients).
    pub pacing: Pacing,
    /// Total time allowed for one request.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Requests in flight per team; past it a due request is `dropped`.
    pub max_in_flight: usize,
    /// Bytes of an answer's body read at most; past it the answer is `too_large`.
    pub max_body: usize,
    /// Headers an answer may have; past it the answer is `too_large`.
    pub max_headers: usize,
    /// A private CA (PEM) that `https` team URLs may chain to, beside the system's roots;
    /// relative to the scenario's directory as written, resolved here.
    pub ca_cert: Option<PathBuf>,
}

impl LoadSettings {
    /// A team's limits: these settings, with this cap of requests in flight (a worker's
    /// share of it) and these addresses allowed.
    pub fn target_limits(
        &self,
        max_in_flight: usize,
        addresses: loadgen::AddressPolicy,
    ) -> loadgen::TargetLimits {
        loadgen::TargetLimits {
            max_in_flight,
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            body_cap: self.max_body,
            max_headers: self.max_headers,
            addresses,
        }
    }
}

/// `[billing] source`: where instances come from.
#[derive(Clone, Debug, PartialEq)]
pub enum BillingSource {
    /// No billing at all.
    None,
    /// Start and stop times written in the scenario (`[[billing.instance]]`).
    Scripted(Vec<ScriptedInstance>),
    /// `DescribeInstances` in each team's AWS account.
    Aws(Vec<AwsTeam>),
    /// Each running server of a simulated team is one instance.
    Fleet,
}

/// One team's AWS account, for billing (`[[billing.aws]]`) or breaks (`[[chaos.aws]]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsTeam {
    pub team: String,
    pub region: String,
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    pub profile: Option<String>,
}

/// `[[team]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct TeamSpec {
    pub name: String,
    pub endpoint: Endpoint,
}

/// Where a team's servers are.
#[derive(Clone, Debug, PartialEq)]
pub enum Endpoint {
    /// A real team: one or more base URLs (round robin).
    Urls(Vec<String>),
    /// A simulated team: the engine runs its servers on loopback.
    Simulate(SimulatedTeam),
    /// A real team that registers its own endpoint during the game (on its page, or the
    /// organizer for it): until then it gets no load and wins or loses no load points.
    Registers,
}

/// `simulate = { … }`: a team's strategy, played by the engine.
#[derive(Clone, Debug, PartialEq)]
pub struct SimulatedTeam {
    pub flavor: Flavor,
    /// Servers at the start.
    pub servers: usize,
    /// A cache in front of the servers (CloudFront / ElastiCache in the story): answers it
    /// has seen are served at once, without a worker.
    pub cache: bool,
    /// What the cache keys its answers on.
    pub cache_key: CacheKey,
    /// The hash the team's servers use, its salt and iterations (a wrong one gives wrong
    /// answers).
    pub hash: HashParams,
    pub min_latency: Duration,
    pub workers: usize,
    pub queue: usize,
    /// v1 and v3: the share of answers that are `500`.
    pub error_rate: f64,
    /// v3: where memcached is (`None` is the misconfigured v3 of the story).
    pub memcache: Option<String>,
    /// Billed instance type of each server.
    pub instance_type: String,
    /// Changes the team makes during the game, sorted by `at`.
    pub steps: Vec<SimStep>,
    /// How long after a break the team mends it itself (`None`: it waits for the restore).
    pub mend_after: Option<Duration>,
}

/// `cache_key = "query"` or `"path"`: what a simulated team's cache keys answers on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CacheKey {
    /// The query string (`input=KEY`): each key its own answer, as it should be.
    #[default]
    Query,
    /// The path only (`/calc`), as a cache that ignores the query string does: every key
    /// after the first gets the first key's answer (wrong answers).
    Path,
}

impl std::str::FromStr for CacheKey {
    type Err = String;
    fn from_str(s: &str) -> Result<CacheKey, String> {
        match s {
            "query" => Ok(CacheKey::Query),
            "path" => Ok(CacheKey::Path),
            other => Err(format!(
                "unknown cache key {other:?}: expected \"query\" or \"path\""
            )),
        }
    }
}

/// `steps = [ { at = "10m", servers = 4 } ]`.
#[derive(Clone, Debug, PartialEq)]
pub struct SimStep {
    pub at: Duration,
    pub servers: Option<usize>,
    pub flavor: Option<Flavor>,
    pub cache: Option<bool>,
}

/// `[[timeline]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineEntry {
    pub at: Duration,
    pub action: Action,
}

/// What happens at a moment of the game.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// A message to everyone.
    Announce(String),
    /// Something done to a simulated team.
    Fault { team: String, fault: Fault },
    /// A command run by the organizer's shell, with a time limit.
    Hook { command: String, timeout: Duration },
    /// A team registers (or changes) its endpoint, as it would on its page.
    Register { team: String, url: String },
    /// The public board freezes (`true`: the standings stay hidden until the end, when they
    /// are revealed) or is live again (`false`).
    Freeze(bool),
    /// The instructor breaks teams' stacks.
    Break(Break),
}

/// `break = { team, action, for, tell }`: what is broken, for whom, for how long.
#[derive(Clone, Debug, PartialEq)]
pub struct Break {
    /// The teams it breaks, in scenario order (`"*"`: every team).
    pub teams: Vec<String>,
    pub action: BreakAction,
    /// Restored this long after (`None`: no automatic restore).
    pub lasting: Option<Duration>,
    /// The team reads that it was broken, and what to look at, on its page.
    pub tell: bool,
}

/// What a fault does to a simulated team.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Kills one server (the last one started): its connections drop, it stops being billed.
    /// A later step that sets `servers` starts a replacement.
    Kill,
    /// Deploys another flavor on every server.
    Flavor(Flavor),
    /// Adds latency to every answer, for a while or (`None`) for the rest of the game.
    Latency {
        extra: Duration,
        lasting: Option<Duration>,
    },
    /// Stops answering (requests hang) for a while.
    Stall { lasting: Duration },
    /// Answers badly for a while: not HTTP, too large, or cut off.
    Misbehave {
        how: Misbehaviour,
        lasting: Duration,
    },
}

/// How a simulated server answers badly (the outcomes a hostile or broken team server
/// gives, so that scenarios can score them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misbehaviour {
    /// New connections get bytes that are not HTTP (`malformed`).
    Garbage,
    /// Answers far larger than the engine's body cap (`too_large`).
    Oversize,
    /// Answers cut off mid-body, the connection dropped (`reset`).
    Reset,
}

/// `[[expect]]`: what `gameday replay` checks at the end.
#[derive(Clone, Debug, PartialEq)]
pub enum Expectation {
    /// About one team; every `Some` must hold.
    Team(TeamExpectation),
    /// Teams finish in this order of score (best first); other teams may sit in between.
    Order(Vec<String>),
}

/// One team's expectations.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TeamExpectation {
    pub team: String,
    pub rank: Option<u32>,
    pub score_min: Option<Points>,
    pub score_max: Option<Points>,
    /// Exact dollars billed.
    pub cost: Option<Cents>,
    pub correct_min: Option<u64>,
    pub events: Vec<EventCount>,
}

/// `events = { source = "Billing", min = 2, max = 2 }` counts score events from a source;
/// `events = { kind = "http_status", min = 10 }` counts outcomes of a kind.
#[derive(Clone, Debug, PartialEq)]
pub struct EventCount {
    pub what: Counted,
    pub min: Option<u64>,
    pub max: Option<u64>,
}

/// What an [`EventCount`] counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counted {
    Source(Source),
    Kind(OutcomeKind),
}
