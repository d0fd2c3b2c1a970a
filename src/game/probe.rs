//! Checks of teams' endpoints, off the game loop: when a team registers or changes its URL,
//! and when it asks ("check my endpoint"), a task probes `/healthcheck` and `/calc` for three
//! keys of the game with the game's limits, TLS settings and address rules, and reports what
//! it found in words. The loop records it (never scored) and answers whoever asked.

use std::sync::Arc;

use hashref::{Answer, Key, Keyset};
use scoreboard::live::CheckReply;
use scoreboard_domain::projection::EndpointCheck;
use tokio::sync::{mpsc, oneshot};

use super::error::GameError;
use crate::scenario::{Endpoint, Scenario};

/// Keys a probe asks for.
const PROBED_KEYS: usize = 3;

/// What every probe of a game needs: its keys and their answers, the load's limits.
pub(crate) struct ProbeKit {
    keys: Vec<(Key, Answer)>,
    limits: loadgen::TargetLimits,
    ca_cert: Option<std::path::PathBuf>,
    /// The game's SLA, for the hint of a slow answer.
    sla: std::time::Duration,
}

/// A probe that finished: team (by scenario index), and what it found.
#[derive(Debug)]
pub(crate) struct ProbeDone {
    pub(crate) team: usize,
    pub(crate) passed: bool,
    pub(crate) text: String,
}

/// The probes of a game: how to run one, where they report, and who waits for which team's.
pub(crate) struct Probes {
    kit: Option<Arc<ProbeKit>>,
    tx: mpsc::UnboundedSender<ProbeDone>,
    rx: Option<mpsc::UnboundedReceiver<ProbeDone>>,
    waiting: Vec<(usize, oneshot::Sender<CheckReply>)>,
}

impl Probes {
    /// The probes of `scenario`: none to run when every team is simulated (the engine's own
    /// servers need no check). The three keys' answers are worked out here (the hottest keys
    /// of the game, which the load asks most).
    pub(crate) fn new(scenario: &Scenario) -> Result<Probes, GameError> {
        let real = scenario
            .teams
            .iter()
            .any(|t| !matches!(t.endpoint, Endpoint::Simulate(_)));
        let kit = if real {
            let keyset = Keyset::generate(scenario.game.seed, scenario.keyset.count)?;
            let keys = keyset
                .keys()
                .iter()
                .take(PROBED_KEYS)
                .map(|k| (*k, scenario.hash.answer(k.as_str())))
                .collect();
            let load = &scenario.load;
            Some(Arc::new(ProbeKit {
                keys,
                limits: load.target_limits(PROBED_KEYS + 1, scenario.address_policy()),
                ca_cert: load.ca_cert.clone(),
                sla: scenario.rules.sla,
            }))
        } else {
            None
        };
        let (tx, rx) = mpsc::unbounded_channel();
        Ok(Probes {
            kit,
            tx,
            rx: Some(rx),
            waiting: Vec::new(),
        })
    }

    /// Where finished probes report (taken once, by the game loop).
    pub(crate) fn take_reports(&mut self) -> Option<mpsc::UnboundedReceiver<ProbeDone>> {
        self.rx.take()
    }

    /// Probes team `team`'s endpoint at `url` in a task of its own.
    pub(crate) fn start(&self, team: usize, url: String) {
        let (Some(kit), tx) = (self.kit.clone(), self.tx.clone()) else {
            return;
        };
        tokio::spawn(async move {
            let (passed, text) = probe(&kit, &url).await;
            let _ = tx.send(ProbeDone { team, passed, text });
        });
    }

    /// `reply` waits for the next probe of team `team` to finish.
    pub(crate) fn wait(&mut self, team: usize, reply: oneshot::Sender<CheckReply>) {
        self.waiting.retain(|(_, r)| !r.is_closed());
        self.waiting.push((team, reply));
    }

    /// Team `team`'s probe finished: everyone waiting for it gets `check`.
    pub(crate) fn answer(&mut self, team: usize, check: &EndpointCheck) {
        let (done, rest) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|(t, _)| *t == team);
        self.waiting = rest;
        for (_, reply) in done {
            let _ = reply.send(Ok(check.clone()));
        }
    }
}

/// Probes `url` as the game's load would reach it; whether it passed, and what it found in
/// the words of score reasons, with the hint of the first thing that broke (the one table
/// of hints the team's "what is costing you points" panel reads too).
async fn probe(kit: &ProbeKit, url: &str) -> (bool, String) {
    let target = loadgen::Target {
        limits: kit.limits.clone(),
        ca_cert: kit.ca_cert.clone(),
        ..loadgen::Target::new("endpoint check", vec![url.to_owned()])
    };
    match loadgen::probe(&target, &kit.keys, &loadgen::Resolver::default()).await {
        Ok(report) => match report.failure() {
            None => (report.passed(), report.words()),
            Some(step) => {
                let kind = scoreboard_domain::EventKind::of_outcome(&step.outcome);
                let hint = scoreboard_domain::hints::hint(kind, kit.sla);
                (false, format!("{}. {hint}", report.words()))
            }
        },
        Err(e) => (false, e.to_string()),
    }
}
