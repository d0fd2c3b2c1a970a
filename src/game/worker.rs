//! A load worker of a game split over several processes: it sends one segment of every
//! team's schedule, on the game clock the coordinator keeps in the shared ledger, and writes
//! its outcome batches there under their ids (so a restarted worker never doubles anything).
//! It follows the coordinator's pauses (a new run per resume) and team URL changes, as the
//! core's worker decisions say (core/worker.rs); this is their shell.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hashref::AnswerTable;
use loadgen::{Engine, EngineHandle, ExecSegment, OutcomeBatch};
use scoreboard::ledger::{LedgerWriter, WriteDone, WriteRequest};
use scoreboard::{GameMeta, GameSession, GameTime, Ledger, LedgerAt, LedgerError, RecordedBatch};
use tokio::sync::mpsc;

use super::clock::{TickClock, now_unix_ms};
use super::core::worker as core;
use super::error::GameError;
use super::load;
use super::signal::Signals;
use crate::scenario::Scenario;

/// How often the worker looks at the ledger (clock, pauses, URLs) and writes its batches.
const LOOK: Duration = Duration::from_millis(200);
/// How long a worker at its end waits for a ledger that is away, with batches unwritten.
const END_WAIT: Duration = Duration::from_secs(60);

/// What a worker did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WorkerOutcome {
    /// Batches written (one per team per tick of each run).
    pub batches: u64,
    /// Requests sent.
    pub sends: u64,
    /// Engine runs started (one, plus one per resume after a pause).
    pub runs: u64,
    /// The game reached its end (not stopped by a signal).
    pub finished: bool,
    /// How long each write of batches to the ledger took (one transaction each).
    pub writes: Vec<Duration>,
}

impl WorkerOutcome {
    /// The ledger's batch-insert latency: "p50 X ms, p99 Y ms, max Z ms over N writes".
    pub fn write_latency(&self) -> String {
        let mut w = self.writes.clone();
        if w.is_empty() {
            return "no writes".to_owned();
        }
        w.sort_unstable();
        let at = |q: f64| w[((w.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e3;
        format!(
            "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms over {} writes",
            at(0.5),
            at(0.99),
            at(1.0),
            w.len()
        )
    }
}

/// The engine running now, and the run of the game it belongs to.
struct Running {
    run: u64,
    engine: EngineHandle,
    urls: Vec<Vec<String>>,
}

/// Sends `segment` of `scenario`'s load for the game the coordinator runs on `ledger`,
/// until the game ends or Ctrl-C / SIGTERM.
pub fn work(
    scenario: &Scenario,
    segment: ExecSegment,
    at: LedgerAt,
    ledger: Box<dyn Ledger + Send>,
    answer_cache: bool,
    out: &mut dyn Write,
) -> Result<WorkerOutcome, GameError> {
    let answers = Arc::new(load::answer_table(scenario, answer_cache)?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let link = Link::new(at, ledger)?;
    runtime.block_on(Worker::new(scenario, segment, answers, link).work(out))
}

/// The worker's ways to the ledger: a reading connection, and the one writer (a thread of
/// its own, as the coordinator's) that its joins and batches go through. A call that fails
/// is said once, with its cause (and when the ledger is back); the caller tries again at its
/// next look, and the load goes on meanwhile: a database restart never ends a worker.
struct Link {
    at: LedgerAt,
    ledger: Option<Box<dyn Ledger + Send>>,
    writer: LedgerWriter,
    down_since: Option<Instant>,
}

impl Link {
    fn new(at: LedgerAt, ledger: Box<dyn Ledger + Send>) -> Result<Link, GameError> {
        // Every request of the worker's is asked, so its answer comes back to the asker: the
        // writer's own answer channel stays unused.
        let (unused, _) = tokio::sync::mpsc::unbounded_channel();
        Ok(Link {
            writer: LedgerWriter::spawn(at.clone(), unused)?,
            at,
            ledger: Some(ledger),
            down_since: None,
        })
    }

    /// `f` on the reading connection (opened again after a failure); `None` while the
    /// ledger is unavailable.
    fn read<T>(
        &mut self,
        segment: ExecSegment,
        out: &mut dyn Write,
        f: impl FnOnce(&mut dyn Ledger) -> Result<T, LedgerError>,
    ) -> Result<Option<T>, GameError> {
        let result = match &mut self.ledger {
            Some(ledger) => f(&mut **ledger),
            None => match self.at.open() {
                Ok(ledger) => f(&mut **self.ledger.insert(ledger)),
                Err(e) => Err(e),
            },
        };
        if result.is_err() {
            self.ledger = None;
        }
        self.went(segment, out, result)
    }

    /// `request` through the writer; its answer, or `None` while the ledger is unavailable.
    async fn write(
        &mut self,
        segment: ExecSegment,
        out: &mut dyn Write,
        request: WriteRequest,
    ) -> Result<Option<WriteDone>, GameError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.writer.ask(request, answer)?;
        let result = match answered.await.map_err(|_| LedgerError::Stopped)? {
            WriteDone::Failed(e) => Err(e),
            done => Ok(done),
        };
        self.went(segment, out, result)
    }

    /// Says when the ledger went away (once) and when it came back.
    fn went<T>(
        &mut self,
        segment: ExecSegment,
        out: &mut dyn Write,
        result: Result<T, LedgerError>,
    ) -> Result<Option<T>, GameError> {
        match result {
            Ok(value) => {
                if let Some(since) = self.down_since.take() {
                    let after = since.elapsed().as_secs();
                    writeln!(out, "segment {segment}: ledger back after {after}s")?;
                }
                Ok(Some(value))
            }
            Err(e) => {
                if self.down_since.is_none() {
                    self.down_since = Some(Instant::now());
                    writeln!(
                        out,
                        "segment {segment}: ledger unavailable ({e}): the load goes on, its batches wait"
                    )?;
                }
                Ok(None)
            }
        }
    }
}

struct Worker<'a> {
    scenario: &'a Scenario,
    segment: ExecSegment,
    answers: Arc<AnswerTable>,
    running: Option<Running>,
    stopped: Vec<EngineHandle>,
    /// Which batches go now and which wait for the drain batch (the core's decision).
    batches: core::Batches,
    outcome: WorkerOutcome,
    tx: mpsc::UnboundedSender<OutcomeBatch>,
    rx: mpsc::UnboundedReceiver<OutcomeBatch>,
    link: Link,
    /// Batches not yet in the ledger, oldest first (they wait while it is unavailable).
    pending: Vec<RecordedBatch>,
    joined: bool,
}

impl<'a> Worker<'a> {
    fn new(
        scenario: &'a Scenario,
        segment: ExecSegment,
        answers: Arc<AnswerTable>,
        link: Link,
    ) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Worker {
            scenario,
            segment,
            answers,
            running: None,
            stopped: Vec::new(),
            batches: core::Batches::new(
                clock(scenario),
                segment.index(),
                &scenario
                    .teams
                    .iter()
                    .map(|t| t.name.clone())
                    .collect::<Vec<_>>(),
            ),
            outcome: WorkerOutcome::default(),
            tx,
            rx,
            link,
            pending: Vec::new(),
            joined: false,
        }
    }

    async fn work(mut self, out: &mut dyn Write) -> Result<WorkerOutcome, GameError> {
        self.follow_game(out).await?;
        match self.running.take() {
            // At the end the schedule stops by itself: its last sends still go out.
            Some(running) if self.outcome.finished => self.stopped.push(running.engine),
            Some(running) => {
                running.engine.cancel();
                self.stopped.push(running.engine);
            }
            None => {}
        }
        // The last answers come in up to the request timeout: their ticks are written as
        // they close, so the coordinator's grace runs on them, not on our wait.
        while !self.stopped.iter().all(EngineHandle::is_finished) {
            self.write_batches(out).await?;
            tokio::time::sleep(LOOK).await;
        }
        for engine in std::mem::take(&mut self.stopped) {
            engine.join()?;
        }
        self.write_batches(out).await?;
        if self.outcome.finished {
            let drain = self.batches.drain();
            self.pending.extend(drain);
        }
        self.write_the_rest(out).await?;
        self.say_done(out)?;
        Ok(self.outcome)
    }

    /// Joins the game, then follows its clock, pauses and URLs until it ends or Ctrl-C /
    /// SIGTERM, writing the batches as they come.
    async fn follow_game(&mut self, out: &mut dyn Write) -> Result<(), GameError> {
        let mut look = tokio::time::interval(LOOK);
        let mut signals = Signals::new()?;
        let mut waiting_said = false;
        let segment = self.segment;
        loop {
            tokio::select! {
                _ = look.tick() => {}
                _ = signals.recv() => return Ok(()),
            }
            if !self.joined {
                // Joining first lets the coordinator start the clock once every segment is
                // here.
                let join = WriteRequest::JoinWorker {
                    segment,
                    now_unix_ms: now_unix_ms(),
                };
                self.joined = self.link.write(segment, out, join).await?.is_some();
                continue;
            }
            self.write_batches(out).await?;
            let session = match self.game_session(out)? {
                Some(Some(session)) => session,
                Some(None) if !waiting_said => {
                    writeln!(
                        out,
                        "segment {segment}: waiting for the coordinator to start {:?}",
                        self.scenario.game.name
                    )?;
                    waiting_said = true;
                    continue;
                }
                // Not started yet, or the ledger is away (said once): the next look.
                _ => continue,
            };
            let now = session.game_time(now_unix_ms());
            if now >= self.scenario.game.duration {
                self.outcome.finished = true;
                return Ok(());
            }
            self.follow(&session, now, out)?;
        }
    }

    /// Writes what still waits, trying for up to [`END_WAIT`] while the ledger is away.
    async fn write_the_rest(&mut self, out: &mut dyn Write) -> Result<(), GameError> {
        let deadline = Instant::now() + END_WAIT;
        self.flush(out).await?;
        while !self.pending.is_empty() && Instant::now() < deadline {
            tokio::time::sleep(LOOK).await;
            self.flush(out).await?;
        }
        if self.pending.is_empty() {
            return Ok(());
        }
        Err(GameError::Unsupported(format!(
            "segment {}: {} batches were not written: the ledger stayed unavailable for {}s",
            self.segment,
            self.pending.len(),
            END_WAIT.as_secs()
        )))
    }

    fn say_done(&self, out: &mut dyn Write) -> Result<(), GameError> {
        let o = &self.outcome;
        let end = if o.finished {
            "; the game is over"
        } else {
            "; stopped"
        };
        writeln!(
            out,
            "segment {}: {} batches, {} requests sent over {} runs{end}",
            self.segment, o.batches, o.sends, o.runs
        )?;
        writeln!(
            out,
            "segment {}: ledger batch inserts: {}",
            self.segment,
            o.write_latency()
        )?;
        Ok(())
    }

    /// The game on the ledger, once the coordinator has started it (`Some(None)` before;
    /// `None` while the ledger is unavailable); a ledger of another game, or one split into
    /// another number of segments, is refused.
    fn game_session(
        &mut self,
        out: &mut dyn Write,
    ) -> Result<Option<Option<GameSession>>, GameError> {
        let read =
            |l: &mut dyn Ledger| -> Result<(Option<GameMeta>, Option<GameSession>), LedgerError> {
                Ok((l.meta()?, l.session()?))
            };
        let Some((meta, session)) = self.link.read(self.segment, out, read)? else {
            return Ok(None);
        };
        let Some(meta) = meta else {
            return Ok(Some(None));
        };
        let g = &self.scenario.game;
        if meta.name != g.name || meta.seed != g.seed {
            return Err(GameError::Unsupported(format!(
                "the ledger holds the game {:?} (seed {}), not this scenario's {:?} (seed {})",
                meta.name, meta.seed, g.name, g.seed
            )));
        }
        Ok(Some(session))
    }

    /// Starts, stops or re-points the engine to match the coordinator's clock and URLs.
    fn follow(
        &mut self,
        session: &GameSession,
        now: Duration,
        out: &mut dyn Write,
    ) -> Result<(), GameError> {
        let Some(published) = self.urls(out)? else {
            // The ledger is away: the engine goes on as it is until the next look.
            return Ok(());
        };
        let running = self.running.as_ref().map(|r| core::Running {
            run: r.run,
            urls: &r.urls,
        });
        for step in core::follow(running, session, &published, now, now_unix_ms()) {
            match step {
                core::Step::Stop => self.stop_engine(),
                core::Step::SetUrls { team, urls } => {
                    if let Some(running) = &mut self.running {
                        running.engine.set_urls(team, urls.clone())?;
                        running.urls[team] = urls;
                    }
                }
                core::Step::Start {
                    run,
                    offset,
                    start_in,
                } => {
                    // Every team is published by then; a team with no URL waits for one.
                    let urls = published.iter().map(|u| u.clone().unwrap_or_default());
                    self.start(run, offset, start_in, urls.collect(), out)?;
                }
            }
        }
        Ok(())
    }

    /// Starts run `run` of the game at game time `offset` (`start_in` from now, if given).
    fn start(
        &mut self,
        run: u64,
        offset: Duration,
        start_in: Option<Duration>,
        urls: Vec<Vec<String>>,
        out: &mut dyn Write,
    ) -> Result<(), GameError> {
        let start_at = start_in.map(|d| Instant::now() + d);
        let config = load::engine_config(self.scenario, run, self.segment, offset, start_at);
        let targets = load::targets(self.scenario, &urls, self.segment);
        let engine = Engine::start(config, &targets, self.answers.clone(), self.tx.clone())?;
        writeln!(
            out,
            "segment {}: run {run} from {}",
            self.segment,
            GameTime::from_duration(offset)
        )?;
        self.outcome.runs += 1;
        self.batches.started(run);
        self.running = Some(Running { run, engine, urls });
        Ok(())
    }

    /// Each team's URLs as the coordinator published them, in scenario order (`None` for a
    /// team not published yet; empty for one that waits to register an endpoint); `None`
    /// while the ledger is unavailable.
    #[allow(clippy::type_complexity)]
    fn urls(&mut self, out: &mut dyn Write) -> Result<Option<Vec<Option<Vec<String>>>>, GameError> {
        let Some(published) = self.link.read(self.segment, out, |l| l.targets())? else {
            return Ok(None);
        };
        Ok(Some(
            self.scenario
                .teams
                .iter()
                .map(|t| {
                    published
                        .iter()
                        .find(|(name, _)| *name == t.name)
                        .map(|(_, urls)| urls.clone())
                })
                .collect(),
        ))
    }

    fn stop_engine(&mut self) {
        if let Some(running) = self.running.take() {
            running.engine.cancel();
            self.stopped.push(running.engine);
        }
    }

    /// Writes every batch the engines have sent so far (with those that wait), in one
    /// transaction. Answers that came after the game's end are held for the drain batch.
    async fn write_batches(&mut self, out: &mut dyn Write) -> Result<(), GameError> {
        while let Ok(batch) = self.rx.try_recv() {
            self.outcome.sends += batch.sends;
            if let Some(now) = self.batches.sort(batch) {
                self.pending.push(now);
            }
        }
        self.flush(out).await
    }

    /// Writes the batches that wait, oldest first and at most [`WRITE_CHUNK`] a write, while
    /// the ledger takes them (each under its id: a write whose answer was lost is safe to
    /// make again). A write copies what it carries, so during an outage each retry costs
    /// the same however many batches have piled up.
    async fn flush(&mut self, out: &mut dyn Write) -> Result<(), GameError> {
        while !self.pending.is_empty() {
            let chunk = self.pending.len().min(WRITE_CHUNK);
            let request = WriteRequest::SegmentBatches {
                segment: self.segment,
                batches: self.pending[..chunk].to_vec(),
                now_unix_ms: now_unix_ms(),
            };
            let Some(WriteDone::Recorded { causes, took }) =
                self.link.write(self.segment, out, request).await?
            else {
                break;
            };
            self.outcome.writes.push(took);
            self.outcome.batches += causes as u64;
            self.pending.drain(..causes);
        }
        Ok(())
    }
}

/// The most batches one write of a worker carries: about five seconds of 100 teams' ticks
/// on two workers. A tick split over two writes is still whole for the coordinator, which
/// waits for every team's batch of every segment.
const WRITE_CHUNK: usize = 256;

/// The game's clock arithmetic, shared with the coordinator's core.
fn clock(scenario: &Scenario) -> TickClock {
    TickClock::new(scenario.game.tick, scenario.game.duration)
}
