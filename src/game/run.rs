//! One game, played: setup (answers, ledger, fleet, load, views) and the loop that records
//! every batch, billing block, happening and organizer control until the end, a quit, a
//! Ctrl-C or a SIGTERM.

use std::io::Write;
use std::time::Duration;

use scoreboard::live::{LivePublisher, LiveView, Snapshot};
use scoreboard_domain::{Biller, GameProjection, GameSession, GameTime, Note};
use scoreboard_ledger::WriteDone;
use scoreboard_ledger::{GameMeta, Ledger, LedgerAt};
use std::collections::HashSet;
use tokio::sync::mpsc;

use super::board::format_board;
use super::clock::now_unix_ms;
use super::core::collect::Collector;
use super::core::{Core, Input, Signal, Start};
use super::error::GameError;
use super::hook::HookRun;
use super::inventory::Inventory;
use super::link::{Asked, LedgerLink};
use super::load::{Load, LoadMsg};
use super::options::{GameOptions, Workers};
use super::reads::segment_reader;
use super::signal::Signals;
use super::snapshot::{Flags, snapshot};
use crate::fleet::{Fleet, TeamFleet};
use crate::scenario::{Endpoint, Scenario};

/// How often the game loop looks at the clock (timeline, billing, board, views).
const LOOK: Duration = Duration::from_millis(200);
/// How long a game that ends waits for real teams' breaks and restores under way to answer
/// (each is a few AWS calls).
const BREAKS_AT_END: Duration = Duration::from_secs(60);

/// What a game came to.
#[derive(Debug)]
pub struct GameOutcome {
    pub state: GameProjection,
    pub hooks: Vec<HookRun>,
    /// The game reached its end (not stopped early).
    pub finished: bool,
    /// This run continued a game the ledger already held.
    pub resumed: bool,
    /// Game time reached.
    pub played: GameTime,
}

/// Plays `scenario` (or resumes it from `options.ledger`), writing the log and the boards to
/// `out`. `views` is called once with a handle for the live views (terminal, web), before
/// the load starts. Blocks until the game ends, a view quits it, or Ctrl-C / SIGTERM.
/// The caller holds the ledger's [`super::PlayLock`] while it plays.
pub fn play(
    scenario: &Scenario,
    options: &GameOptions,
    out: &mut dyn Write,
    views: impl FnOnce(LiveView),
) -> Result<GameOutcome, GameError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let game = Game::setup(scenario, options, out).await?;
        views(game.views.live.view());
        game.run().await
    })
}

/// How far ahead a split game's start is set, so that every worker begins with it.
const WORKER_LEAD: Duration = Duration::from_secs(1);

/// Waits until a full set of load workers has joined a split game (all segments of one
/// count), saying how many have; Ctrl-C or SIGTERM stops the wait (nothing was played).
async fn wait_for_workers(ledger: &dyn Ledger, out: &mut dyn Write) -> Result<(), GameError> {
    let mut said = None;
    let mut signals = Signals::new()?;
    loop {
        let workers = ledger.workers()?;
        let joined = workers.len();
        // The count comes with the first worker (its --segment I/N).
        let count = workers.first().map_or(0, |w| w.segment.count());
        if count > 0 && joined as u32 >= count {
            writeln!(out, "all {count} load workers joined: the game starts")?;
            return Ok(());
        }
        if said != Some(joined) {
            let so_far = match count {
                0 => "none has joined yet".to_owned(),
                _ => format!("{joined} of {count} joined"),
            };
            writeln!(
                out,
                "waiting for load workers (`gameday worker SCENARIO --segment I/N` for each I \
                 from 0 to N-1; Ctrl-C stops): {so_far}"
            )?;
            out.flush()?;
            said = Some(joined);
        }
        let why = tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(200)) => continue,
            why = signals.recv() => why,
        };
        return Err(GameError::NotStarted { why, joined });
    }
}

/// A game being played: the shell around its [`Core`] (sockets, clock, ledger, fleet).
pub(crate) struct Game<'a> {
    pub(crate) scenario: &'a Scenario,
    pub(crate) options: &'a GameOptions,
    pub(crate) out: &'a mut dyn Write,
    /// The decisions, and the projection every view reads.
    pub(crate) core: Core,
    pub(crate) servers: Servers,
    pub(crate) hooks: Hooks,
    pub(crate) load: Load,
    pub(crate) views: Views,
    /// Whether this run continued a game, and the game time it began at.
    pub(crate) began: Began,
    /// The game's way to the ledger.
    pub(crate) link: LedgerLink,
    /// Checks of teams' endpoints under way, and who waits for them.
    pub(crate) probes: super::probe::Probes,
    /// What comes to the loop (taken when it starts).
    inbox: Inbox,
}

/// What the views are given: the live channel.
pub(crate) struct Views {
    pub(crate) live: LivePublisher,
}

/// The teams' servers: the simulated fleet, the inventory that bills every team's, and the
/// real teams' accounts the instructor's breaks act on.
pub(crate) struct Servers {
    pub(crate) fleet: Fleet,
    pub(crate) inventory: Inventory,
    pub(crate) chaos: super::chaos::RealBreaks,
}

/// The scenario's hooks that ran, and where they report when they finish (while the game
/// loop runs).
pub(crate) struct Hooks {
    pub(crate) runs: Vec<HookRun>,
    pub(crate) tx: Option<mpsc::UnboundedSender<HookRun>>,
}

/// How this run of the game began, and the game it plays (a resume's new run names it).
pub(crate) struct Began {
    pub(crate) resumed: bool,
    pub(crate) offset: Duration,
    pub(crate) meta: GameMeta,
}

/// The channels the game loop listens to, until it takes them.
struct Inbox {
    batches: Option<mpsc::UnboundedReceiver<LoadMsg>>,
    pub(crate) written: Option<mpsc::UnboundedReceiver<WriteDone>>,
    answers: Option<mpsc::UnboundedReceiver<(Asked, WriteDone)>>,
}

/// A game's ledger, opened and its session started or resumed.
struct Opened {
    ledger: Box<dyn Ledger + Send>,
    meta: GameMeta,
    session: scoreboard_ledger::GameSession,
    /// Game time at this run's start, the pauses so far, and how far ahead the clock starts.
    offset: Duration,
    paused_ms: u64,
    lead: Duration,
}

/// Opens the ledger and starts (or resumes) the game's session in it; a split game waits
/// for its workers first.
async fn open_ledger(
    scenario: &Scenario,
    options: &GameOptions,
    out: &mut dyn Write,
) -> Result<Opened, GameError> {
    let g = &scenario.game;
    let external = matches!(options.workers, Workers::External { .. });
    let mut ledger = options.ledger.open()?;
    let meta = GameMeta {
        name: g.name.clone(),
        seed: g.seed,
        rules: scenario.rules.clone(),
        teams: scenario.teams.iter().map(|t| t.name.clone()).collect(),
        registering: registering(scenario),
        duration_ms: g.duration.as_millis() as u64,
    };
    let fresh = ledger.meta()?.is_none();
    let lead = if external && fresh {
        wait_for_workers(&*ledger, out).await?;
        WORKER_LEAD
    } else {
        Duration::ZERO
    };
    let session = ledger.start_or_resume(&meta, now_unix_ms() + lead.as_millis() as u64)?;
    // A split game's clock starts a moment ahead, so the workers see it (and the team
    // URLs) in time to begin with it; until then its game time is 0.
    let now = now_unix_ms().max(session.started_unix_ms);
    // A pause in force when the last run stopped ends with this start. A fresh game starts
    // at game time 0, not at the millisecond or two since the ledger recorded its start: the
    // load's first send is due at 0, and a run at an offset skips the sends due before it.
    let offset = if fresh {
        Duration::ZERO
    } else {
        session.game_time(now).min(g.duration)
    };
    let paused_ms = session.paused_ms
        + session
            .paused_since_unix_ms
            .map_or(0, |since| now.saturating_sub(since));
    if session.paused_since_unix_ms.is_some() {
        // The pause ends with this start: the clock resumes where it stood.
        let resumed = scoreboard_ledger::ClockEvent {
            at: GameTime::from_duration(offset),
            unix_ms: now,
            paused: false,
        };
        ledger.set_pauses(paused_ms, None, &[resumed])?;
    }
    Ok(Opened {
        ledger,
        meta,
        session,
        offset,
        paused_ms,
        lead,
    })
}

/// The game's projection as the ledger has it (with the adjustments already recorded), at
/// `offset`, with the scenario's team URLs noted if the ledger lacks them (the notes are
/// returned for the writer); a resume is said on `out`.
fn start_state(
    (scenario, names): (&Scenario, &[String]),
    (ledger, place, session): (&dyn Ledger, &LedgerAt, &GameSession),
    offset: Duration,
    out: &mut dyn Write,
) -> Result<(GameProjection, HashSet<String>, Vec<Note>), GameError> {
    let (mut state, adjusted) = projection(scenario, names, ledger, session.resumed)?;
    let at = GameTime::from_duration(offset);
    if session.resumed {
        let (name, run) = (&scenario.game.name, session.run);
        writeln!(out, "resuming {name:?} from {place} at {at} (run {run})")?;
    }
    state.now = at;
    // The scenario's team URLs are facts of the projection, recorded once.
    let noted = super::core::scenario_urls(scenario, &state, session.run);
    for note in &noted {
        state.apply_note(note);
    }
    Ok((state, adjusted, noted))
}

impl<'a> Game<'a> {
    async fn setup(
        scenario: &'a Scenario,
        options: &'a GameOptions,
        out: &'a mut dyn Write,
    ) -> Result<Game<'a>, GameError> {
        let g = &scenario.game;
        let inventory = Inventory::new(&scenario.billing).await?;
        let chaos = super::chaos::RealBreaks::new(scenario)?;
        // The answers first: a long build must not eat into the game clock.
        let answers = answers(scenario, options)?;
        let Opened {
            ledger,
            meta,
            session,
            offset,
            paused_ms,
            lead,
        } = open_ledger(scenario, options, out).await?;
        let names: Vec<String> = scenario.teams.iter().map(|t| t.name.clone()).collect();
        let (state, adjusted, noted) = start_state(
            (scenario, &names),
            (&*ledger, &options.ledger, &session),
            offset,
            out,
        )?;
        let (fleet, urls) = start_fleet(scenario, &state, GameTime::from_duration(offset))?;
        let start = Start {
            state,
            adjusted,
            biller: Biller::resume(&ledger.blocks()?),
            run: session.run,
            offset,
            paused_ms,
            board_every: options.board_every,
            billing_every_ms: inventory.period_ms(),
            collector: collector(scenario, options, &names, &*ledger, session.resumed)?,
        };
        let (asked_tx, asked_rx) = mpsc::unbounded_channel();
        let (tx, rx) = mpsc::unbounded_channel();
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        let buffer = (options.ledger_buffer, acks(options)?);
        let link = LedgerLink::new(options.ledger.clone(), buffer, None, (done_tx, asked_tx))?;
        let mut game = Game {
            scenario,
            options,
            out,
            core: Core::new(scenario, start)?,
            servers: Servers {
                fleet,
                inventory,
                chaos,
            },
            hooks: Hooks {
                runs: Vec::new(),
                tx: None,
            },
            load: Load::new(answers, urls, (offset, g.duration), tx),
            views: Views {
                live: LivePublisher::new(Snapshot::default()),
            },
            began: Began {
                resumed: session.resumed,
                offset,
                meta,
            },
            link,
            probes: super::probe::Probes::new(scenario)?,
            inbox: Inbox {
                batches: Some(rx),
                written: Some(done_rx),
                answers: Some(asked_rx),
            },
        };
        game.begin(noted, lead).await?;
        Ok(game)
    }

    /// Stores the notes the start made, breaks a resumed game's simulated servers again as
    /// its breaks left them, tells the first targets, waits the workers' `lead`
    /// and shows the first board.
    async fn begin(&mut self, noted: Vec<Note>, lead: Duration) -> Result<(), GameError> {
        for note in noted {
            self.link.outbox.push_note(note);
        }
        self.flush()?;
        // A resumed game's simulated servers start as its breaks left them.
        let again = self
            .core
            .breaks_again(GameTime::from_duration(self.began.offset));
        self.apply(again).await?;
        self.publish_first_targets().await?;
        // Workers start their engines at the stored start: the clock starts with them.
        tokio::time::sleep(lead).await;
        self.publish();
        Ok(())
    }
}

impl Game<'_> {
    /// A split game's workers need every team's URL before the clock starts: the first
    /// publication is waited for (before the loop runs).
    async fn publish_first_targets(&mut self) -> Result<(), GameError> {
        self.publish_targets()?;
        if self.link.asking.targets {
            let answers = self.inbox.answers.as_mut().expect("set up once");
            if let Some((asked, done)) = answers.recv().await {
                self.answered(asked, done).await?;
            }
        }
        Ok(())
    }
}

/// The expected answers; none when external workers check them (the coordinator only
/// scores their counts).
fn answers(
    scenario: &Scenario,
    options: &GameOptions,
) -> Result<Option<hashref::AnswerTable>, GameError> {
    if let Workers::External { .. } = options.workers {
        return Ok(None);
    }
    super::load::answer_table(scenario, options.answer_cache).map(Some)
}

/// The gatherer of a split game's worker batches (none when this process sends the load).
/// A resumed game reads the worker batches again from the first: ticks scored before are
/// marked, so they are skipped.
fn collector(
    scenario: &Scenario,
    options: &GameOptions,
    names: &[String],
    ledger: &dyn Ledger,
    resumed: bool,
) -> Result<Option<Collector>, GameError> {
    let Workers::External { grace } = options.workers else {
        return Ok(None);
    };
    let mut collector = Collector::new(
        names,
        super::clock::TickClock::new(scenario.game.tick, scenario.game.duration),
        grace,
        scenario.load.timeout,
    );
    if resumed {
        ledger.for_each_cause(&mut |cause| {
            if let scoreboard_ledger::Recorded::Batch(b) = cause {
                collector.mark_scored(b.batch.id.run, b.batch.id.tick);
            }
        })?;
    }
    Ok(Some(collector))
}

/// The teams that register their own endpoint.
fn registering(scenario: &Scenario) -> Vec<String> {
    scenario
        .teams
        .iter()
        .filter(|t| t.endpoint == Endpoint::Registers)
        .map(|t| t.name.clone())
        .collect()
}

/// The file committed items are acknowledged in, if asked for.
fn acks(options: &GameOptions) -> Result<Option<std::fs::File>, GameError> {
    Ok(match &options.acks {
        Some(path) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?,
        ),
        None => None,
    })
}

/// The game's projection, caught up with what a resumed ledger holds, and the adjustments
/// already recorded there (a retried request must not add twice).
fn projection(
    scenario: &Scenario,
    names: &[String],
    ledger: &dyn Ledger,
    resumed: bool,
) -> Result<(GameProjection, std::collections::HashSet<String>), GameError> {
    let g = &scenario.game;
    let mut state = GameProjection::new(names, scenario.rules.billing.price, Some(g.tick))
        .with_block(scenario.rules.billing.block)
        .with_sla(scenario.rules.sla)
        .with_registering(&registering(scenario));
    let mut adjusted = std::collections::HashSet::new();
    if resumed {
        // With the notes (announcements, registrations, URL changes, checks, names): a
        // restarted game goes on with the URLs and names teams gave.
        state.catch_up(ledger, &mut |e| {
            if e.source == scoreboard_domain::Source::Organizer {
                adjusted.insert(e.cause.clone());
            }
        })?;
    }
    Ok((state, adjusted))
}

/// Starts every simulated team's servers as they stand at `at`; returns each team's URLs:
/// a real team's as it last registered or changed them (`state` holds the ledger's notes).
fn start_fleet(
    scenario: &Scenario,
    state: &GameProjection,
    at: GameTime,
) -> Result<(Fleet, Vec<Vec<String>>), GameError> {
    let mut fleet = Fleet::default();
    let mut urls = Vec::with_capacity(scenario.teams.len());
    for team in &scenario.teams {
        let changed = state.endpoint(&team.name).and_then(|e| e.url.clone());
        urls.push(match &team.endpoint {
            Endpoint::Urls(_) | Endpoint::Registers if changed.is_some() => {
                changed.into_iter().collect()
            }
            Endpoint::Urls(urls) => urls.clone(),
            // No load until the team registers its endpoint.
            Endpoint::Registers => Vec::new(),
            Endpoint::Simulate(sim) => {
                let t = TeamFleet::start(&team.name, sim, scenario.game.seed, at)?;
                let u = t.urls();
                fleet.teams.push(t);
                u
            }
        });
    }
    Ok((fleet, urls))
}

impl Game<'_> {
    async fn run(mut self) -> Result<GameOutcome, GameError> {
        let duration = self.scenario.game.duration;
        let mut batches = self.inbox.batches.take().expect("set up once");
        let mut written = self.inbox.written.take().expect("set up once");
        let mut answers = self.inbox.answers.take().expect("set up once");
        if self.began.offset >= duration {
            self.inbox.written = Some(written);
            writeln!(self.out, "the game in {} is over", self.options.ledger)?;
            let end = GameTime::from_duration(duration);
            self.handle(Input::End { at: end }).await?;
            return self.finish(end, true).await;
        }
        self.load.start(self.scenario, self.core.run())?;
        // A split game's segment batches are read off the loop (a ledger that stops answering
        // holds up the reader, never the clock, the views or the controls).
        let mut reads = match self.load.external() {
            true => segment_reader(self.options.ledger.clone(), std::time::Instant::now(), LOOK)?,
            false => mpsc::unbounded_channel().1,
        };
        self.say_started()?;
        let mut controls = self.views.live.take_controls().expect("taken once");
        let mut probed = self.probes.take_reports().expect("taken once");
        let mut broken = self.servers.chaos.take_answers().expect("taken once");
        let (hook_tx, mut hook_rx) = mpsc::unbounded_channel();
        self.hooks.tx = Some(hook_tx);
        let mut look = tokio::time::interval(LOOK);
        let mut signals = Signals::new()?;
        // An engine is done with its last request a little before the end: the game goes on
        // to its end, so that the ledger's clock, which a new run of the command reads, has
        // reached it too (else that run would play the last moments again).
        while !self.load.over() || (!self.core.quit() && self.load.now(self.scenario) < duration) {
            tokio::select! {
                msg = batches.recv() => {
                    let Some(first) = msg else { break };
                    // Everything waiting goes into one transaction.
                    let mut all = Vec::new();
                    let mut done = 0;
                    for msg in std::iter::once(first).chain(std::iter::from_fn(|| batches.try_recv().ok())) {
                        match msg {
                            LoadMsg::Batch(batch) => all.push(*batch),
                            LoadMsg::Done => done += 1,
                        }
                    }
                    self.handle(Input::Batches(all)).await?;
                    for _ in 0..done {
                        self.load.done();
                    }
                }
                Some(done) = written.recv() => self.written(done).await?,
                Some(read) = reads.recv() => self.segments_read(read).await?,
                Some((asked, done)) = answers.recv() => self.answered(asked, done).await?,
                _ = look.tick() => self.look().await?,
                Some(control) = controls.recv() => {
                    self.control(control).await?;
                    self.publish();
                }
                Some(hook) = hook_rx.recv() => self.hook_done(hook)?,
                Some(done) = probed.recv() => self.probed(done).await?,
                Some(answer) = broken.recv() => self.handle(answer).await?,
                signal = signals.recv(), if !self.core.quit() => self.stop(signal).await?,
            }
        }
        // A game that ran its course ends at its duration, whenever the last answer came.
        let finished = !self.core.quit();
        let end = if finished {
            duration
        } else {
            self.load.now(self.scenario)
        };
        self.inbox.written = Some(written);
        let end = GameTime::from_duration(end);
        self.handle(Input::End { at: end }).await?;
        self.await_breaks(&mut broken, BREAKS_AT_END).await?;
        self.collect_last(&mut reads).await?;
        self.hooks.tx = None;
        while let Ok(hook) = hook_rx.try_recv() {
            self.hook_done(hook)?;
        }
        self.finish(end, finished).await
    }

    fn say_started(&mut self) -> Result<(), GameError> {
        let s = self.scenario;
        writeln!(
            self.out,
            "{} {:?}: {} teams, {} of play, ledger {}",
            if self.began.resumed {
                "resumed"
            } else {
                "started"
            },
            s.game.name,
            s.teams.len(),
            // To the second: a resumed game has a remainder in ms.
            humantime::format_duration(Duration::from_secs(
                (s.game
                    .duration
                    .saturating_sub(self.began.offset)
                    .as_millis() as u64
                    + 500)
                    / 1000
            )),
            self.options.ledger
        )?;
        Ok(())
    }

    /// Game time now.
    pub(crate) fn at(&self) -> GameTime {
        GameTime::from_duration(self.load.now(self.scenario))
    }

    /// Publishes what the views show now.
    pub(crate) fn publish(&mut self) {
        let flags = Flags {
            paused: self.core.paused() && !self.core.quit(),
            over: self.core.quit() || self.load.over(),
            ledger: self.link.outbox.health(),
        };
        let snap = snapshot(self.scenario, self.core.state(), flags);
        self.views.live.publish(snap);
        // The web's charts and debrief read this projection, handed over when they ask.
        self.views.live.hand_over(self.core.state());
    }

    /// The end: waits until the ledger has everything that waits for it. A Ctrl-C or
    /// SIGTERM (a second one, when a first stopped the game) gives up, saying how much was
    /// not written.
    async fn drain(&mut self) -> Result<(), GameError> {
        let mut said = std::time::Instant::now();
        let mut signals = Signals::new()?;
        let mut written = self.inbox.written.take().expect("set up once");
        while self.link.busy() {
            self.flush()?;
            self.publish();
            if said.elapsed() >= Duration::from_secs(5) {
                said = std::time::Instant::now();
                let h = self.link.outbox.health();
                writeln!(
                    self.out,
                    "{}: the game is over, waiting to write them (Ctrl-C or SIGTERM gives up)",
                    h.warning().unwrap_or_default()
                )?;
            }
            tokio::select! {
                Some(done) = written.recv() => self.written(done).await?,
                _ = tokio::time::sleep(LOOK) => {}
                signal = signals.recv() => {
                    // Given up: a ledger that does not answer must not hold the exit.
                    self.link.writer.abandon();
                    let h = self.link.outbox.health();
                    return Err(GameError::Unsupported(format!(
                        "stopped by {} before the ledger took {} causes ({} score events): they are lost",
                        signal, h.waiting_causes, h.waiting_events
                    )));
                }
            }
        }
        self.inbox.written = Some(written);
        Ok(())
    }

    /// Ctrl-C, SIGTERM: the game stops for good.
    async fn stop(&mut self, signal: Signal) -> Result<(), GameError> {
        let at = self.at();
        self.handle(Input::Stop {
            at,
            signal: Some(signal),
        })
        .await
    }

    /// Closes the game at `end`: the fleet stops, the last blocks are billed, the final
    /// board is printed, the views learn it is over.
    async fn finish(mut self, end: GameTime, finished: bool) -> Result<GameOutcome, GameError> {
        self.servers.fleet.shutdown(end);
        self.bill(end).await?;
        self.drain().await?;
        self.publish();
        let board = format_board(self.scenario, self.core.state());
        writeln!(
            self.out,
            "{} at {end}\n{board}",
            if finished {
                "game over"
            } else {
                "game stopped"
            }
        )?;
        let Game {
            core,
            hooks,
            began,
            load,
            ..
        } = self;
        load.join()?;
        Ok(GameOutcome {
            state: core.into_state(),
            hooks: hooks.runs,
            finished,
            resumed: began.resumed,
            played: end,
        })
    }
}
