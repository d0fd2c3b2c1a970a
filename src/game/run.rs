//! One game, played: setup (answers, ledger, fleet, load) and the loop that records every
//! batch, billing block and happening until the end, a Ctrl-C or a SIGTERM.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use hashref::{AnswerCache, Keyset};
use loadgen::{Engine, EngineConfig, EngineHandle, OutcomeBatch, Stop, Target, TargetLimits};
use scoreboard::{
    Biller, GameMeta, GameTime, Ledger, Recorded, RecordedBatch, ScoreEvent, Scorer, SqliteLedger,
};
use tokio::sync::mpsc;

use super::board::format_board;
use super::inventory::Inventory;
use super::state::GameState;
use super::timeline::{Happening, HookRun, Timeline, describe_fault, describe_step, run_hook};
use super::{GameError, GameOptions};
use crate::fleet::{Fleet, TeamFleet};
use crate::scenario::{Action, Endpoint, Scenario};

/// How often the game loop looks at the clock (timeline, billing, board).
const LOOK: Duration = Duration::from_millis(200);

/// What a game came to.
#[derive(Debug)]
pub struct GameOutcome {
    pub state: GameState,
    pub hooks: Vec<HookRun>,
    /// The game reached its end (not stopped early).
    pub finished: bool,
    /// This run continued a game the ledger already held.
    pub resumed: bool,
    /// Game time reached.
    pub played: GameTime,
}

/// Plays `scenario` (or resumes it from `options.db`), writing the log and the boards to
/// `out`. Blocks until the game ends or a Ctrl-C / SIGTERM stops it.
pub fn play(
    scenario: &Scenario,
    options: &GameOptions,
    out: &mut dyn Write,
) -> Result<GameOutcome, GameError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let game = Game::setup(scenario, options, out).await?;
        game.run().await
    })
}

/// A game being played.
struct Game<'a> {
    scenario: &'a Scenario,
    options: &'a GameOptions,
    out: &'a mut dyn Write,
    ledger: SqliteLedger,
    scorer: Scorer,
    biller: Biller,
    inventory: Inventory,
    fleet: Fleet,
    timeline: Timeline,
    state: GameState,
    hooks: Vec<HookRun>,
    answers: Option<hashref::AnswerTable>,
    resumed: bool,
    /// This run's number in the ledger (batch ids differ between runs of one game).
    run: u64,
    offset: Duration,
    next_billing_ms: u64,
    next_board_ms: u64,
}

fn now_unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl<'a> Game<'a> {
    async fn setup(
        scenario: &'a Scenario,
        options: &'a GameOptions,
        out: &'a mut dyn Write,
    ) -> Result<Game<'a>, GameError> {
        let g = &scenario.game;
        let inventory = Inventory::new(&scenario.billing).await?;
        // The answers first: a long build must not eat into the game clock.
        let keyset = Keyset::generate(g.seed, scenario.keyset.count)?;
        let cache = if options.answer_cache {
            AnswerCache::Default
        } else {
            AnswerCache::Off
        };
        let (answers, _) = loadgen::progress::build_answers(&keyset, &scenario.hash, cache)?;
        let mut ledger = SqliteLedger::open(&options.db)?;
        let meta = GameMeta {
            name: g.name.clone(),
            seed: g.seed,
            rules: scenario.rules.clone(),
        };
        let session = ledger.start_or_resume(&meta, now_unix_ms())?;
        let offset = if session.resumed {
            Duration::from_millis(now_unix_ms().saturating_sub(session.started_unix_ms))
                .min(g.duration)
        } else {
            Duration::ZERO
        };
        let names: Vec<String> = scenario.teams.iter().map(|t| t.name.clone()).collect();
        let mut state = GameState::new(&names, scenario.rules.billing.price);
        if session.resumed {
            rebuild(&mut state, &ledger, scenario.game.tick)?;
            writeln!(
                out,
                "resuming {:?} from {} at {} (run {})",
                g.name,
                options.db.display(),
                GameTime::from_duration(offset),
                session.run
            )?;
        }
        state.now = GameTime::from_duration(offset);
        let biller = Biller::resume(&ledger.blocks()?);
        Ok(Game {
            scenario,
            options,
            out,
            ledger,
            scorer: Scorer::new(scenario.rules.clone())?,
            biller,
            inventory,
            fleet: Fleet::default(),
            timeline: Timeline::new(scenario, offset),
            state,
            hooks: Vec::new(),
            answers: Some(answers),
            resumed: session.resumed,
            run: session.run,
            offset,
            next_billing_ms: 0,
            next_board_ms: offset.as_millis() as u64 + options.board_every.as_millis() as u64,
        })
    }

    async fn run(mut self) -> Result<GameOutcome, GameError> {
        let duration = self.scenario.game.duration;
        if self.offset >= duration {
            writeln!(
                self.out,
                "the game in {} is over",
                self.options.db.display()
            )?;
            return self.finish(GameTime::from_duration(duration), true).await;
        }
        let (tx, mut batches) = mpsc::unbounded_channel();
        let engine = self.start_load(tx)?;
        let (hook_tx, mut hook_rx) = mpsc::unbounded_channel();
        let mut look = tokio::time::interval(LOOK);
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let mut stopped = false;
        loop {
            tokio::select! {
                batch = batches.recv() => match batch {
                    Some(first) => {
                        let mut all = vec![first];
                        while let Ok(more) = batches.try_recv() {
                            all.push(more);
                        }
                        self.record_batches(all)?;
                    }
                    None => break,
                },
                _ = look.tick() => {
                    let now = engine.started().elapsed().min(duration);
                    self.look(now, &engine, &hook_tx).await?;
                }
                Some(hook) = hook_rx.recv() => self.hook_done(hook)?,
                _ = &mut ctrl_c, if !stopped => {
                    stopped = true;
                    self.stop(&engine, "Ctrl-C")?;
                }
                _ = term.recv(), if !stopped => {
                    stopped = true;
                    self.stop(&engine, "SIGTERM")?;
                }
            }
        }
        // A game that ran its course ends at its duration, whenever the last answer came.
        let end = if stopped {
            engine.started().elapsed().min(duration)
        } else {
            duration
        };
        engine.join()?;
        drop(hook_tx);
        while let Ok(hook) = hook_rx.try_recv() {
            self.hook_done(hook)?;
        }
        self.finish(GameTime::from_duration(end), !stopped).await
    }

    /// Starts the simulated teams and the load engine at the game clock's offset.
    fn start_load(
        &mut self,
        tx: mpsc::UnboundedSender<OutcomeBatch>,
    ) -> Result<EngineHandle, GameError> {
        let s = self.scenario;
        let at = GameTime::from_duration(self.offset);
        let mut targets = Vec::with_capacity(s.teams.len());
        for team in &s.teams {
            let urls = match &team.endpoint {
                Endpoint::Urls(urls) => urls.clone(),
                Endpoint::Simulate(sim) => {
                    let fleet = TeamFleet::start(&team.name, sim, s.game.seed, at)?;
                    let urls = fleet.urls();
                    self.fleet.teams.push(fleet);
                    urls
                }
            };
            targets.push(Target {
                limits: TargetLimits {
                    max_in_flight: s.load.max_in_flight,
                    connect_timeout: s.load.connect_timeout,
                    timeout: s.load.timeout,
                    ..TargetLimits::default()
                },
                ..Target::new(team.name.clone(), urls)
            });
        }
        let answers = self.answers.take().expect("the load starts once");
        let config = EngineConfig {
            run: self.run,
            worker: 0,
            pacing: s.load.pacing.clone(),
            stop: Stop::After(s.game.duration),
            tick: s.game.tick,
            seed: s.game.seed,
            zipf: s.keyset.zipf,
            runtimes: 1,
            late_threshold: Duration::from_millis(25),
            offset: self.offset,
        };
        let engine = Engine::start(config, &targets, Arc::new(answers), tx)?;
        writeln!(
            self.out,
            "{} {:?}: {} teams, {} of play, ledger {}",
            if self.resumed { "resumed" } else { "started" },
            s.game.name,
            s.teams.len(),
            humantime::format_duration(s.game.duration - self.offset),
            self.options.db.display()
        )?;
        Ok(engine)
    }
}

impl Game<'_> {
    /// Scores and records outcome batches in one transaction, then counts them in.
    fn record_batches(&mut self, batches: Vec<OutcomeBatch>) -> Result<(), GameError> {
        let g = &self.scenario.game;
        let tick_ms = g.tick.as_millis() as u64;
        let end_ms = g.duration.as_millis() as u64;
        let items: Vec<(Recorded, Vec<ScoreEvent>)> = batches
            .into_iter()
            .map(|batch| {
                let at = GameTime(((batch.id.tick + 1) * tick_ms).min(end_ms));
                let recorded = Recorded::Batch(Box::new(RecordedBatch { at, batch }));
                let events = self.scorer.events(&recorded);
                (recorded, events)
            })
            .collect();
        self.commit(items)
    }

    fn commit(&mut self, items: Vec<(Recorded, Vec<ScoreEvent>)>) -> Result<(), GameError> {
        if items.is_empty() {
            return Ok(());
        }
        self.ledger.record(&items)?;
        for (recorded, events) in &items {
            self.state.apply(recorded, events, self.scenario.game.tick);
        }
        Ok(())
    }

    /// The loop's regular look: happenings due, billing, the board.
    async fn look(
        &mut self,
        now: Duration,
        engine: &EngineHandle,
        hooks: &mpsc::UnboundedSender<HookRun>,
    ) -> Result<(), GameError> {
        let at = GameTime::from_duration(now);
        self.state.now = at;
        for (when, happening) in self.timeline.due(now) {
            self.happen(GameTime::from_duration(when), happening, engine, hooks)?;
        }
        if at.0 >= self.next_billing_ms {
            self.bill(at).await?;
            self.next_billing_ms = at.0 + self.inventory.period_ms();
        }
        let every = self.options.board_every.as_millis() as u64;
        if every > 0 && at.0 >= self.next_board_ms {
            self.next_board_ms = at.0 + every;
            let board = format_board(self.scenario, &self.state);
            write!(self.out, "{board}")?;
            self.out.flush()?;
        }
        Ok(())
    }

    /// Looks at the inventory and charges the blocks that started.
    async fn bill(&mut self, at: GameTime) -> Result<(), GameError> {
        let (observation, errors) = self.inventory.observe(&self.fleet, at, now_unix_ms()).await;
        for e in errors {
            writeln!(
                self.out,
                "[{at}] billing: {e} (retried at the next look; nothing is charged twice)"
            )?;
        }
        let Some(observation) = observation else {
            return Ok(());
        };
        for team in self.state.teams.values_mut() {
            team.instances = 0;
        }
        for run in observation.runs.iter().filter(|r| r.until >= at) {
            if let Some(t) = self.state.teams.get_mut(&run.team) {
                t.instances += 1;
            }
        }
        let blocks = self
            .biller
            .observe(&self.scenario.rules.billing, &observation);
        let items = blocks
            .into_iter()
            .map(|b| {
                let recorded = Recorded::Block(b);
                let events = self.scorer.events(&recorded);
                (recorded, events)
            })
            .collect();
        self.commit(items)
    }

    fn happen(
        &mut self,
        at: GameTime,
        happening: Happening,
        engine: &EngineHandle,
        hooks: &mpsc::UnboundedSender<HookRun>,
    ) -> Result<(), GameError> {
        let (team, what) = match happening {
            Happening::Step { team, step } => {
                let what = describe_step(&step, &self.fleet, &team);
                self.fleet.get_mut(&team)?.step(&step, at)?;
                (team, what)
            }
            Happening::Timeline(Action::Fault { team, fault }) => {
                self.fleet.get_mut(&team)?.fault(&fault, at)?;
                (team, format!("fault: {}", describe_fault(&fault)))
            }
            Happening::Timeline(Action::Announce(text)) => {
                writeln!(self.out, "[{at}] ANNOUNCEMENT: {text}")?;
                self.state.announcements.push((at, text));
                return Ok(());
            }
            Happening::Timeline(Action::Hook { command, timeout }) => {
                writeln!(self.out, "[{at}] hook: {command}")?;
                let hooks = hooks.clone();
                tokio::spawn(async move {
                    let _ = hooks.send(run_hook(command, timeout, at).await);
                });
                return Ok(());
            }
        };
        writeln!(self.out, "[{at}] {team}: {what}")?;
        let index = self
            .scenario
            .teams
            .iter()
            .position(|t| t.name == team)
            .expect("a step or fault names a scenario team");
        let urls = self.fleet.get_mut(&team)?.urls();
        engine.set_urls(index, urls)?;
        Ok(())
    }

    fn hook_done(&mut self, hook: HookRun) -> Result<(), GameError> {
        let at = GameTime(hook.at_ms);
        let status = match (hook.exit_code, hook.timed_out) {
            (_, true) => "timed out".to_owned(),
            (Some(code), _) => format!("exit {code}"),
            (None, _) => "did not run".to_owned(),
        };
        writeln!(
            self.out,
            "[{at}] hook {:?} finished: {status}",
            hook.command
        )?;
        for line in hook.output.lines().take(5) {
            writeln!(self.out, "    {line}")?;
        }
        self.hooks.push(hook);
        Ok(())
    }

    fn stop(&mut self, engine: &EngineHandle, why: &str) -> Result<(), GameError> {
        let at = GameTime::from_duration(engine.started().elapsed());
        writeln!(
            self.out,
            "[{at}] {why}: stopping the game (requests in flight finish; run the same command again to resume)"
        )?;
        engine.cancel();
        Ok(())
    }

    /// Closes the game at `end`: the fleet stops, the last blocks are billed, the final
    /// board is printed.
    async fn finish(mut self, end: GameTime, finished: bool) -> Result<GameOutcome, GameError> {
        self.state.now = end;
        self.fleet.shutdown(end);
        self.bill(end).await?;
        let board = format_board(self.scenario, &self.state);
        writeln!(
            self.out,
            "{} at {end}\n{board}",
            if finished {
                "game over"
            } else {
                "game stopped"
            }
        )?;
        Ok(GameOutcome {
            state: self.state,
            hooks: self.hooks,
            finished,
            resumed: self.resumed,
            played: end,
        })
    }
}

/// A resumed game's state, from everything the ledger holds.
fn rebuild(state: &mut GameState, ledger: &SqliteLedger, tick: Duration) -> Result<(), GameError> {
    ledger.for_each_cause(&mut |cause| state.apply(&cause, &[], tick))?;
    for event in ledger.events(&scoreboard::EventFilter::default())? {
        state.apply_event(&event);
    }
    Ok(())
}
