//! A load worker of a game split over several processes: it sends one segment of every
//! team's schedule, on the game clock the coordinator keeps in the shared ledger, and writes
//! its outcome batches there under their ids (so a restarted worker never doubles anything).
//! It follows the coordinator's pauses (a new run per resume) and team URL changes, as the
//! core's worker decisions say (core/worker.rs); this is their shell. Its loop never waits
//! on the database: the game's clock and URLs are read on a thread of its own (reads.rs),
//! and its joins and batches go through the game's one ledger link (link.rs).

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hashref::AnswerTable;
use loadgen::{Engine, EngineHandle, ExecSegment, OutcomeBatch};
use scoreboard_domain::GameTime;
use scoreboard_ledger::{GameSession, Ledger, LedgerAt, LedgerError};
use scoreboard_ledger::{WriteDone, WriteRequest};
use tokio::sync::mpsc;

use super::clock::{TickClock, now_unix_ms};
use super::core::worker as core;
use super::error::GameError;
use super::link::{Asked, LedgerLink, Wrote, failure};
use super::load;
use super::reads::{GameRead, game_reader};
use super::signal::Signals;
use crate::scenario::Scenario;

/// How often the worker looks at the ledger (clock, pauses, URLs) and writes its batches.
const LOOK: Duration = Duration::from_millis(200);
/// How long a worker at its end waits for a ledger that is away, with batches unwritten.
const END_WAIT: Duration = Duration::from_secs(60);
/// How long the ledger may keep a read unanswered before the worker says so.
const SLOW: Duration = Duration::from_secs(3);

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
    runtime.block_on(async {
        let (written, written_rx) = mpsc::unbounded_channel();
        let (asked, answers_rx) = mpsc::unbounded_channel();
        // A worker holds no causes (its batches wait however long the ledger is away) and
        // acknowledges nothing.
        let link = LedgerLink::new(at.clone(), (1, None), Some(segment), (written, asked))?;
        let mut inbox = Inbox {
            written: written_rx,
            answers: answers_rx,
            reads: game_reader(at, ledger, LOOK)?,
        };
        let worker = Worker::new(scenario, segment, answers, link);
        worker.work(&mut inbox, out).await
    })
}

/// What comes to the worker's loop: the writer's answers and the reads of its game.
struct Inbox {
    written: mpsc::UnboundedReceiver<WriteDone>,
    answers: mpsc::UnboundedReceiver<(Asked, WriteDone)>,
    reads: mpsc::UnboundedReceiver<Result<GameRead, LedgerError>>,
}

/// What the worker has heard of its game: whether it has joined, when the last read came,
/// and what it has said.
struct Heard {
    joined: bool,
    last_read: Instant,
    slow_said: bool,
    waiting_said: bool,
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
    /// The way to the ledger; batches not yet in it wait in its outbox, oldest first.
    link: LedgerLink,
    heard: Heard,
}

impl<'a> Worker<'a> {
    fn new(
        scenario: &'a Scenario,
        segment: ExecSegment,
        answers: Arc<AnswerTable>,
        link: LedgerLink,
    ) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let teams: Vec<String> = scenario.teams.iter().map(|t| t.name.clone()).collect();
        Worker {
            scenario,
            segment,
            answers,
            running: None,
            stopped: Vec::new(),
            batches: core::Batches::new(clock(scenario), segment.index(), &teams),
            outcome: WorkerOutcome::default(),
            tx,
            rx,
            link,
            heard: Heard {
                joined: false,
                last_read: Instant::now(),
                slow_said: false,
                waiting_said: false,
            },
        }
    }

    async fn work(
        mut self,
        inbox: &mut Inbox,
        out: &mut dyn Write,
    ) -> Result<WorkerOutcome, GameError> {
        self.follow_game(inbox, out).await?;
        inbox.reads.close();
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
            tokio::select! {
                _ = tokio::time::sleep(LOOK) => self.write_batches()?,
                Some(done) = inbox.written.recv() => self.written(done, out)?,
            }
        }
        for engine in std::mem::take(&mut self.stopped) {
            engine.join()?;
        }
        self.write_batches()?;
        if self.outcome.finished {
            let drain = self.batches.drain();
            self.link.outbox.push_batches(drain);
        }
        self.write_the_rest(inbox, out).await?;
        self.say_done(out)?;
        Ok(self.outcome)
    }

    /// Joins the game, then follows its clock, pauses and URLs until it ends or Ctrl-C /
    /// SIGTERM, writing the batches as they come.
    async fn follow_game(
        &mut self,
        inbox: &mut Inbox,
        out: &mut dyn Write,
    ) -> Result<(), GameError> {
        let mut look = tokio::time::interval(LOOK);
        let mut signals = Signals::new()?;
        loop {
            tokio::select! {
                _ = look.tick() => self.look(out)?,
                Some(done) = inbox.written.recv() => self.written(done, out)?,
                Some((asked, done)) = inbox.answers.recv() => self.answered(asked, done, out)?,
                Some(read) = inbox.reads.recv() => {
                    if self.read(read, out)? {
                        return Ok(());
                    }
                }
                _ = signals.recv() => return Ok(()),
            }
        }
    }

    /// The worker's regular look: it joins (joining first lets the coordinator start the
    /// clock once every segment is here), writes its batches, and says when the ledger has
    /// kept a read unanswered for long.
    fn look(&mut self, out: &mut dyn Write) -> Result<(), GameError> {
        if !self.heard.joined && !self.link.asking.join {
            let join = WriteRequest::JoinWorker {
                segment: self.segment,
                now_unix_ms: now_unix_ms(),
            };
            self.link.ask(join, Asked::Join)?;
            self.link.asking.join = true;
        }
        self.write_batches()?;
        let waited = self.heard.last_read.elapsed();
        if waited >= SLOW && !self.heard.slow_said {
            self.heard.slow_said = true;
            writeln!(
                out,
                "segment {}: the ledger has not answered for {}s: the load goes on, its batches wait",
                self.segment,
                waited.as_secs()
            )?;
        }
        Ok(())
    }

    /// A read of the game: the worker follows it. True when the game is over.
    fn read(
        &mut self,
        read: Result<GameRead, LedgerError>,
        out: &mut dyn Write,
    ) -> Result<bool, GameError> {
        let segment = self.segment;
        if std::mem::take(&mut self.heard.slow_said) {
            let after = self.heard.last_read.elapsed().as_secs();
            writeln!(
                out,
                "segment {segment}: the ledger answered again after {after}s"
            )?;
        }
        self.heard.last_read = Instant::now();
        let read = match read {
            Ok(read) => read,
            Err(e) => {
                self.ledger_failed(&e, out)?;
                return Ok(false);
            }
        };
        if !self.heard.joined {
            return Ok(false);
        }
        let Some(session) = self.game_session(read.meta, read.session)? else {
            if !std::mem::replace(&mut self.heard.waiting_said, true) {
                writeln!(
                    out,
                    "segment {segment}: waiting for the coordinator to start {:?}",
                    self.scenario.game.name
                )?;
            }
            return Ok(false);
        };
        let now = session.game_time(now_unix_ms());
        if now >= self.scenario.game.duration {
            self.outcome.finished = true;
            return Ok(true);
        }
        let published = self.urls(&read.targets);
        self.follow(&session, &published, now, out)?;
        Ok(false)
    }

    /// Writes what still waits, trying for up to [`END_WAIT`] while the ledger is away (a
    /// Ctrl-C or SIGTERM gives up at once).
    async fn write_the_rest(
        &mut self,
        inbox: &mut Inbox,
        out: &mut dyn Write,
    ) -> Result<(), GameError> {
        let deadline = Instant::now() + END_WAIT;
        let mut signals = Signals::new()?;
        let mut why = format!("the ledger stayed unavailable for {}s", END_WAIT.as_secs());
        self.link.flush()?;
        while self.link.busy() && Instant::now() < deadline {
            tokio::select! {
                _ = tokio::time::sleep(LOOK) => self.link.flush()?,
                Some(done) = inbox.written.recv() => self.written(done, out)?,
                signal = signals.recv() => {
                    why = format!("stopped by {signal} while the ledger was unavailable");
                    break;
                }
            }
        }
        if !self.link.busy() {
            return Ok(());
        }
        // Given up: a ledger that does not answer must not hold the exit.
        self.link.writer.abandon();
        Err(GameError::Unsupported(format!(
            "segment {}: {} batches were not written: {why}",
            self.segment,
            self.link.outbox.waiting_batches(),
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

    /// The game the ledger holds, once the coordinator has started it (`None` before); a
    /// ledger of another game is refused.
    fn game_session(
        &self,
        meta: Option<scoreboard_ledger::GameMeta>,
        session: Option<GameSession>,
    ) -> Result<Option<GameSession>, GameError> {
        let Some(meta) = meta else {
            return Ok(None);
        };
        let g = &self.scenario.game;
        if meta.name != g.name || meta.seed != g.seed {
            return Err(GameError::Unsupported(format!(
                "the ledger holds the game {:?} (seed {}), not this scenario's {:?} (seed {})",
                meta.name, meta.seed, g.name, g.seed
            )));
        }
        Ok(session)
    }

    /// Starts, stops or re-points the engine to match the coordinator's clock and URLs.
    fn follow(
        &mut self,
        session: &GameSession,
        published: &[Option<Vec<String>>],
        now: Duration,
        out: &mut dyn Write,
    ) -> Result<(), GameError> {
        let running = self.running.as_ref().map(|r| core::Running {
            run: r.run,
            urls: &r.urls,
        });
        for step in core::follow(running, session, published, now, now_unix_ms()) {
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
    /// team not published yet; empty for one that waits to register an endpoint).
    fn urls(&self, published: &[(String, Vec<String>)]) -> Vec<Option<Vec<String>>> {
        self.scenario
            .teams
            .iter()
            .map(|t| {
                published
                    .iter()
                    .find(|(name, _)| *name == t.name)
                    .map(|(_, urls)| urls.clone())
            })
            .collect()
    }

    fn stop_engine(&mut self) {
        if let Some(running) = self.running.take() {
            running.engine.cancel();
            self.stopped.push(running.engine);
        }
    }

    /// Hands the link every batch the engines have sent so far, after those that wait.
    /// Answers that came after the game's end are held for the drain batch.
    fn write_batches(&mut self) -> Result<(), GameError> {
        while let Ok(batch) = self.rx.try_recv() {
            self.outcome.sends += batch.sends;
            if let Some(now) = self.batches.sort(batch) {
                self.link.outbox.push_batches([now]);
            }
        }
        Ok(self.link.flush()?)
    }

    /// The writer's answer: stored batches leave the outbox (each under its id: a write
    /// whose answer was lost is safe to make again), and the next go.
    fn written(&mut self, done: WriteDone, out: &mut dyn Write) -> Result<(), GameError> {
        match self.link.written(done)? {
            Wrote::Failed(e) => return self.ledger_failed(&e, out),
            Wrote::Stored {
                count,
                batches,
                took,
                back,
            } => {
                if let (true, Some(took)) = (batches, took) {
                    self.outcome.writes.push(took);
                    self.outcome.batches += count as u64;
                }
                if let Some((after, _)) = back {
                    let segment = self.segment;
                    writeln!(
                        out,
                        "segment {segment}: ledger back after {}s",
                        after.as_secs()
                    )?;
                }
            }
        }
        Ok(self.link.flush()?)
    }

    /// The writer's answer to a join.
    fn answered(
        &mut self,
        asked: Asked,
        done: WriteDone,
        out: &mut dyn Write,
    ) -> Result<(), GameError> {
        if let Asked::Join = asked {
            self.link.asking.join = false;
            match done {
                WriteDone::Stored => self.heard.joined = true,
                other => self.ledger_failed(&failure(other), out)?,
            }
        }
        Ok(())
    }

    /// A ledger call failed: said once, with its cause; the load goes on, and what failed is
    /// tried again later (a database restart never ends a worker).
    fn ledger_failed(&mut self, e: &LedgerError, out: &mut dyn Write) -> Result<(), GameError> {
        if self.link.failed(e) {
            writeln!(
                out,
                "segment {}: ledger unavailable ({e}): the load goes on, its batches wait",
                self.segment
            )?;
        }
        Ok(())
    }
}

/// The game's clock arithmetic, shared with the coordinator's core.
fn clock(scenario: &Scenario) -> TickClock {
    TickClock::new(scenario.game.tick, scenario.game.duration)
}
