//! The game's load: one engine run at a time on the game clock, stopped by a pause and
//! started again at the paused game time by a resume (with a new run number, so batch ids
//! never meet), its URLs kept across restarts. Every engine's batches come to the game loop
//! on one channel, followed by a note when that engine is done. When external workers send
//! the load (a game split over machines), only the clock is kept here. The load's set-up
//! (the answer table, an engine's configuration, the targets) is written here once, for
//! this process's engines and for a load worker's (worker.rs).

use std::sync::Arc;
use std::time::{Duration, Instant};

use hashref::{AnswerCache, AnswerTable, BuildReport, HashParams, Keyset};
use loadgen::{Engine, EngineConfig, EngineHandle, ExecSegment, OutcomeBatch, Stop, Target};
use tokio::sync::mpsc;

use super::error::GameError;
use crate::scenario::Scenario;

/// What the engines tell the game loop.
pub(crate) enum LoadMsg {
    Batch(Box<OutcomeBatch>),
    /// An engine sent its last batch.
    Done,
}

/// The engines of this process and the game clock they keep.
pub(crate) struct Load {
    /// The expected answers; none when external workers send the load.
    answers: Option<Arc<AnswerTable>>,
    /// The game clock's zero when no engine of ours keeps it (external workers).
    zero: Option<Instant>,
    duration: Duration,
    /// Each team's base URLs now, in scenario order.
    pub(crate) urls: Vec<Vec<String>>,
    /// The team URLs as last published to the external workers of a split game.
    pub(crate) published: Vec<Vec<String>>,
    running: Option<EngineHandle>,
    /// Engines stopped by a pause, still finishing their last requests.
    stopped: Vec<EngineHandle>,
    /// Engines started and not done yet.
    pending: usize,
    tx: mpsc::UnboundedSender<LoadMsg>,
    /// Game time at the pause (or before the start), and when it began.
    paused: Option<(Duration, Instant)>,
    /// Stopped for good: no resume.
    ended: bool,
}

impl Load {
    /// Not started yet: the clock stands at `offset` as if paused there. Without answers,
    /// external workers send the load and this keeps only the clock.
    pub(crate) fn new(
        answers: Option<AnswerTable>,
        urls: Vec<Vec<String>>,
        (offset, duration): (Duration, Duration),
        tx: mpsc::UnboundedSender<LoadMsg>,
    ) -> Load {
        Load {
            answers: answers.map(Arc::new),
            zero: None,
            duration,
            urls,
            published: Vec::new(),
            running: None,
            stopped: Vec::new(),
            pending: 0,
            tx,
            paused: Some((offset, Instant::now())),
            ended: false,
        }
    }

    /// External workers send the load (a split game): this keeps only the clock.
    pub(crate) fn external(&self) -> bool {
        self.answers.is_none()
    }

    /// An engine is done; true when the game's load is over (nothing runs, no resume).
    pub(crate) fn done(&mut self) -> bool {
        self.pending = self.pending.saturating_sub(1);
        self.over()
    }

    /// Nothing runs and nothing will: the game is over (or stopped).
    pub(crate) fn over(&self) -> bool {
        match self.zero {
            Some(zero) if !self.ended => zero.elapsed() >= self.duration,
            _ => self.pending == 0 && (self.ended || self.paused.is_none()),
        }
    }

    /// Game time now.
    pub(crate) fn now(&self, scenario: &Scenario) -> Duration {
        let now = match (&self.paused, &self.running, self.zero) {
            (Some((at, _)), _, _) => *at,
            (None, Some(engine), _) => engine.started().elapsed(),
            (None, None, Some(zero)) => zero.elapsed(),
            (None, None, None) => Duration::ZERO,
        };
        now.min(scenario.game.duration)
    }

    /// Starts the load at the paused game time, as run `run` of the game. Returns how long
    /// the pause lasted.
    pub(crate) fn start(&mut self, scenario: &Scenario, run: u64) -> Result<Duration, GameError> {
        let Some((offset, since)) = self.paused.filter(|_| !self.ended) else {
            return Ok(Duration::ZERO);
        };
        let Some(answers) = &self.answers else {
            // External workers follow the clock the ledger keeps; ours starts again here.
            self.zero = Some(Instant::now().checked_sub(offset).ok_or_else(|| {
                GameError::Unsupported("the game clock reaches back before this machine's".into())
            })?);
            self.paused = None;
            return Ok(since.elapsed());
        };
        let targets = targets(scenario, &self.urls, ExecSegment::WHOLE);
        let config = engine_config(scenario, run, ExecSegment::WHOLE, offset, None);
        let (tx, mut rx) = mpsc::unbounded_channel();
        self.running = Some(Engine::start(config, &targets, answers.clone(), tx)?);
        self.pending += 1;
        let out = self.tx.clone();
        tokio::spawn(async move {
            while let Some(batch) = rx.recv().await {
                let _ = out.send(LoadMsg::Batch(Box::new(batch)));
            }
            let _ = out.send(LoadMsg::Done);
        });
        self.paused = None;
        Ok(since.elapsed())
    }

    /// Stops sending at the game time now; requests in flight finish and are recorded.
    pub(crate) fn pause(&mut self, scenario: &Scenario) {
        let now = self.now(scenario);
        if let Some(engine) = self.running.take() {
            engine.cancel();
            self.stopped.push(engine);
        }
        self.zero = None;
        self.paused = Some((now, Instant::now()));
    }

    /// Stops for good (the end, a Ctrl-C).
    pub(crate) fn stop(&mut self) {
        if let Some(engine) = &self.running {
            engine.cancel();
        }
        self.ended = true;
    }

    /// A team's new URLs, for this run and any after a resume.
    pub(crate) fn set_urls(&mut self, team: usize, urls: Vec<String>) -> Result<(), GameError> {
        if let Some(engine) = &self.running {
            engine.set_urls(team, urls.clone())?;
        }
        self.urls[team] = urls;
        Ok(())
    }

    /// Waits for every engine's last batch to be sent.
    pub(crate) fn join(self) -> Result<(), GameError> {
        for engine in self.stopped.into_iter().chain(self.running) {
            engine.join()?;
        }
        Ok(())
    }
}

/// The expected answers of the scenario's keyset (built in parallel with a progress bar,
/// cached on disk unless `cache` is off).
pub(crate) fn answer_table(scenario: &Scenario, cache: bool) -> Result<AnswerTable, GameError> {
    let keys = (scenario.game.seed, scenario.keyset.count);
    Ok(build_answer_table(keys, &scenario.hash, cache)?.0)
}

/// The expected answers of the keyset of `count` keys drawn from `seed`, under `params`:
/// built in parallel with a progress bar, or read from the cache on disk (written there
/// too) unless `cache` is off; with how it went. Every table of a game, a load worker's and
/// `gameday answers`' is built here.
pub fn build_answer_table(
    (seed, count): (u64, usize),
    params: &HashParams,
    cache: bool,
) -> Result<(AnswerTable, BuildReport), GameError> {
    let keyset = Keyset::generate(seed, count)?;
    let cache = if cache {
        AnswerCache::Default
    } else {
        AnswerCache::Off
    };
    Ok(loadgen::progress::build_answers(&keyset, params, cache)?)
}

/// The engine of run `run` of the scenario's load for `segment` (the whole schedule, or a
/// load worker's share), from game time `offset`, starting at `start_at` when given (else at
/// once).
pub(crate) fn engine_config(
    scenario: &Scenario,
    run: u64,
    segment: ExecSegment,
    offset: Duration,
    start_at: Option<Instant>,
) -> EngineConfig {
    EngineConfig {
        run,
        worker: segment.index(),
        pacing: scenario.load.pacing.clone(),
        stop: Stop::After(scenario.game.duration),
        tick: scenario.game.tick,
        seed: scenario.game.seed,
        zipf: scenario.keyset.zipf,
        runtimes: 1,
        late_threshold: Duration::from_millis(25),
        offset,
        segment,
        start_at,
        stagger: loadgen::DEFAULT_STAGGER,
        resolver: loadgen::Resolver::default(),
    }
}

/// Each team's target at its `urls` (scenario order); a team's cap on requests in flight is
/// shared by the segments, as its load is.
pub(crate) fn targets(
    scenario: &Scenario,
    urls: &[Vec<String>],
    segment: ExecSegment,
) -> Vec<Target> {
    let load = &scenario.load;
    scenario
        .teams
        .iter()
        .zip(urls)
        .map(|(team, urls)| Target {
            limits: load.target_limits(
                segment.share_of(load.max_in_flight).max(1),
                scenario.address_policy(),
            ),
            ca_cert: load.ca_cert.clone(),
            ..Target::new(team.name.clone(), urls.clone())
        })
        .collect()
}
