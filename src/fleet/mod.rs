//! Simulated teams: the engine plays a team's strategy by running its `unicorn` servers on
//! loopback, scaling them by the team's steps, breaking them by the timeline's faults and
//! the instructor's breaks, and billing each running server as one EC2 instance.
//!
//! Servers run in this process, each on a thread and runtime of its own, rather than as
//! child processes: `cargo run -- play` then needs no installed `unicorn` binary, a kill is
//! a dropped runtime (its connections close at once, as a terminated instance's do), and a
//! flavor switch or an added latency is a call, not a restart.

mod breaks;
mod server;

use std::collections::BTreeMap;
use std::sync::Arc;

use hashref::unicorn::{Flavor, UnicornConfig};
use scoreboard_domain::{GameTime, ScriptedInstance, ScriptedInventory};

use crate::scenario::{Fault, SimStep, SimulatedTeam};
use server::{SimServer, TeamKnobs};

/// Why a simulated team could not do what it was told.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("a simulated server could not start: {0}")]
    Io(#[from] std::io::Error),
    #[error("a simulated server's settings are invalid: {0}")]
    Server(String),
    #[error("no simulated team is called {0:?}")]
    UnknownTeam(String),
}

/// One simulated team's servers, live and past.
#[derive(Debug)]
pub struct TeamFleet {
    team: String,
    spec: SimulatedTeam,
    seed: u64,
    knobs: Arc<TeamKnobs>,
    live: Vec<(usize, SimServer)>,
    /// Every instance ever launched, for billing; index = instance number - 1.
    instances: Vec<ScriptedInstance>,
    /// The address of the last server killed, kept in rotation when none is left (a team
    /// with no server refuses connections; it does not vanish from the game).
    dead_url: Option<String>,
    /// The instructor's breaks, by id.
    breaks: BTreeMap<String, breaks::SimBreak>,
}

impl TeamFleet {
    /// Starts `spec.servers` servers at game time `at`, with every step due by then applied
    /// (a resumed game starts the fleet as it stood).
    pub fn start(
        team: &str,
        spec: &SimulatedTeam,
        seed: u64,
        at: GameTime,
    ) -> Result<TeamFleet, FleetError> {
        let mut fleet = TeamFleet {
            team: team.to_owned(),
            spec: spec.clone(),
            seed,
            knobs: Arc::new(TeamKnobs::default()),
            live: Vec::new(),
            instances: Vec::new(),
            dead_url: None,
            breaks: BTreeMap::new(),
        };
        fleet.knobs.set_cache(spec.cache);
        fleet.knobs.set_cache_key(spec.cache_key);
        let mut servers = spec.servers;
        for step in spec
            .steps
            .iter()
            .filter(|s| GameTime::from_duration(s.at) <= at)
        {
            servers = step.servers.unwrap_or(servers);
            fleet.spec.flavor = step.flavor.unwrap_or(fleet.spec.flavor);
            if let Some(cache) = step.cache {
                fleet.spec.cache = cache;
                fleet.knobs.set_cache(cache);
            }
        }
        fleet.scale(servers, at)?;
        Ok(fleet)
    }

    pub fn team(&self) -> &str {
        &self.team
    }

    /// The base URLs the load goes to, round robin (while a break closes the port, an
    /// address that refuses connections).
    pub fn urls(&self) -> Vec<String> {
        if let Some(refused) = self.refused_at() {
            return vec![refused];
        }
        let live: Vec<String> = self
            .live
            .iter()
            .map(|(_, s)| format!("http://{}", s.addr))
            .collect();
        match (live.is_empty(), &self.dead_url) {
            (false, _) => live,
            (true, Some(dead)) => vec![dead.clone()],
            (true, None) => vec![refusing_url()],
        }
    }

    /// Servers running now.
    pub fn running(&self) -> usize {
        self.live.len()
    }

    /// Applies a step of the team's plan at game time `at`.
    pub fn step(&mut self, step: &SimStep, at: GameTime) -> Result<(), FleetError> {
        if let Some(cache) = step.cache {
            self.spec.cache = cache;
            self.knobs.set_cache(cache);
        }
        if let Some(flavor) = step.flavor {
            self.switch_flavor(flavor)?;
        }
        if let Some(servers) = step.servers {
            self.scale(servers, at)?;
        }
        Ok(())
    }

    /// Applies a fault of the timeline at game time `at`.
    pub fn fault(&mut self, fault: &Fault, at: GameTime) -> Result<(), FleetError> {
        match fault {
            Fault::Kill => {
                if let Some((n, _)) = self.live.last() {
                    let n = *n;
                    self.stop_instance(n, at);
                }
            }
            Fault::Flavor(flavor) => self.switch_flavor(*flavor)?,
            Fault::Latency { extra, lasting } => self.knobs.add_latency(*extra, *lasting),
            Fault::Stall { lasting } => self.knobs.stall(*lasting),
            Fault::Misbehave { how, lasting } => self.knobs.misbehave(*how, *lasting),
        }
        Ok(())
    }

    /// The team's instances as billing sees them.
    pub fn instances(&self) -> &[ScriptedInstance] {
        &self.instances
    }

    /// Stops every server (the game is over), closing their billing at `at`.
    pub fn shutdown(&mut self, at: GameTime) {
        while let Some((n, _)) = self.live.last() {
            let n = *n;
            self.stop_instance(n, at);
        }
    }

    fn switch_flavor(&mut self, flavor: Flavor) -> Result<(), FleetError> {
        self.spec.flavor = flavor;
        for (_, server) in &self.live {
            server.redeploy(|c| c.flavor = flavor)?;
        }
        Ok(())
    }

    fn scale(&mut self, servers: usize, at: GameTime) -> Result<(), FleetError> {
        while self.live.len() > servers {
            let n = self.live.last().map(|(n, _)| *n).expect("not empty");
            self.stop_instance(n, at);
        }
        while self.live.len() < servers {
            self.launch(at)?;
        }
        Ok(())
    }

    fn launch(&mut self, at: GameTime) -> Result<(), FleetError> {
        let n = self.instances.len() + 1;
        let id = format!("i-sim-{}-{n:02}", slug(&self.team));
        let config = self.config(n);
        let server = SimServer::start(config, self.knobs.clone(), &id)?;
        tracing::info!(team = %self.team, instance = %id, addr = %server.addr, "server started");
        self.instances.push(ScriptedInstance {
            team: self.team.clone(),
            id,
            instance_type: self.spec.instance_type.clone(),
            start: at,
            stop: None,
        });
        self.live.push((n, server));
        Ok(())
    }

    fn stop_instance(&mut self, n: usize, at: GameTime) {
        if let Some(i) = self.live.iter().position(|(m, _)| *m == n) {
            let (_, mut server) = self.live.remove(i);
            server.kill();
            self.dead_url = Some(format!("http://{}", server.addr));
            self.instances[n - 1].stop = Some(at);
            tracing::info!(team = %self.team, instance = %self.instances[n - 1].id, "server stopped");
        }
    }

    fn config(&self, n: usize) -> UnicornConfig {
        let s = &self.spec;
        UnicornConfig {
            flavor: s.flavor,
            workers: s.workers,
            queue: s.queue,
            min_latency: s.min_latency,
            params: s.hash.clone(),
            error_rate: s.error_rate,
            seed: Some(self.seed ^ ((n as u64) << 32) ^ fnv(&self.team)),
            memcache_server: s.memcache.clone(),
        }
    }
}

/// Every simulated team of a game.
#[derive(Debug, Default)]
pub struct Fleet {
    pub teams: Vec<TeamFleet>,
}

impl Fleet {
    pub fn get_mut(&mut self, team: &str) -> Result<&mut TeamFleet, FleetError> {
        self.teams
            .iter_mut()
            .find(|t| t.team == team)
            .ok_or_else(|| FleetError::UnknownTeam(team.to_owned()))
    }

    /// Every simulated server, as billing's inventory.
    pub fn inventory(&self) -> ScriptedInventory {
        ScriptedInventory {
            instances: self
                .teams
                .iter()
                .flat_map(|t| t.instances.iter().cloned())
                .collect(),
        }
    }

    pub fn shutdown(&mut self, at: GameTime) {
        for t in &mut self.teams {
            t.shutdown(at);
        }
    }
}

/// A loopback URL nothing listens on: a port bound and released at once.
fn refusing_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_or(9, |a| a.port());
    format!("http://127.0.0.1:{port}")
}

fn slug(team: &str) -> String {
    team.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// A stable small hash of a name (FNV-1a), so each team's error draws differ.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
