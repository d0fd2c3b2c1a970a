//! The recording half of the game loop: batches and billing blocks scored and written to the
//! ledger, the timeline's happenings carried out, hooks reported.

use std::time::{Duration, Instant};

use loadgen::OutcomeBatch;
use scoreboard::{GameTime, Recorded, RecordedBatch, ScoreError, ScoreEvent};
use tokio::sync::mpsc;

use super::GameError;
use super::board::format_board;
use super::outbox::{Change, Item};
use super::run::{Game, now_unix_ms};
use super::timeline::{Happening, HookRun, describe_fault, describe_step, run_hook};
use crate::scenario::Action;

impl Game<'_> {
    /// Scores and records outcome batches in one transaction, then counts them in.
    pub(crate) fn record_batches(&mut self, batches: Vec<OutcomeBatch>) -> Result<(), GameError> {
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

    /// A split game: publishes changed team URLs to the workers, and scores the ticks
    /// whose segment batches are all in (or past their grace).
    pub(crate) fn collect(&mut self, now: Duration) -> Result<(), GameError> {
        if self.collector.is_none() {
            return Ok(());
        }
        self.publish_targets()?;
        let Some(collector) = &mut self.collector else {
            return Ok(());
        };
        match collector.poll(&mut *self.ledger, &self.scorer, now) {
            Ok(items) => self.commit(items),
            Err(GameError::Ledger(e)) => self.ledger_failed(&e),
            Err(e) => Err(e),
        }
    }

    /// Publishes the team URLs to the load workers of a split game, when they changed.
    pub(crate) fn publish_targets(&mut self) -> Result<(), GameError> {
        if self.collector.is_none() || self.published == self.load.urls {
            return Ok(());
        }
        let targets: Vec<(String, Vec<String>)> = self
            .scenario
            .teams
            .iter()
            .map(|t| t.name.clone())
            .zip(self.load.urls.iter().cloned())
            .collect();
        if let Err(e) = self.ledger.set_targets(&targets) {
            return self.ledger_failed(&e);
        }
        self.published = self.load.urls.clone();
        Ok(())
    }

    /// The end of a split game: waits for the last ticks (at most their grace).
    pub(crate) async fn collect_last(&mut self, end: Duration) -> Result<(), GameError> {
        let Some(collector) = &mut self.collector else {
            return Ok(());
        };
        collector.end_run(end);
        while self.collector.as_ref().is_some_and(|c| c.waiting() > 0) {
            tokio::time::sleep(Duration::from_millis(200)).await;
            self.collect(end)?;
        }
        let late = self.collector.as_ref().map_or(0, |c| c.late);
        if late > 0 {
            writeln!(
                self.out,
                "{late} worker batches came after their tick was scored (kept in the ledger, not scored)"
            )?;
        }
        Ok(())
    }

    /// Counts decided items in (the views see them at once) and hands them to the ledger;
    /// while the ledger is unavailable they wait in the outbox (see [`Game::flush`]).
    pub(crate) fn commit(&mut self, items: Vec<Item>) -> Result<(), GameError> {
        if items.is_empty() {
            return Ok(());
        }
        for (recorded, events) in &items {
            self.state.apply(recorded, events);
            for e in events {
                self.live.event(e);
            }
        }
        self.outbox.push(items);
        self.flush()?;
        if self.outbox.is_full() && !self.load.is_paused() && !self.quit {
            let at = GameTime::from_duration(self.load.now(self.scenario));
            writeln!(
                self.out,
                "[{at}] {} causes wait for the ledger, as many as may: the game pauses until it is back",
                self.outbox.health().waiting_causes
            )?;
            self.pause(at)?;
            self.paused_for_ledger = true;
        }
        Ok(())
    }

    /// Writes what waits in the outbox, when it is time to try: each item exactly once (the
    /// ledger ignores an item it already holds, so a commit whose answer was lost is safe to
    /// send again). A failure is reported once and tried again later, with a fresh
    /// connection; it never ends the game.
    pub(crate) fn flush(&mut self) -> Result<(), GameError> {
        if !self.outbox.due(Instant::now()) {
            return Ok(());
        }
        if self.outbox.is_down() {
            match self.options.ledger.open() {
                Ok(ledger) => self.ledger = ledger,
                Err(e) => return self.ledger_failed(&e),
            }
        }
        let mut written = 0;
        loop {
            let chunk = self.outbox.next_chunk();
            if chunk.is_empty() {
                break;
            }
            let started = Instant::now();
            if let Err(e) = self.ledger.record(chunk) {
                return self.ledger_failed(&e);
            }
            let n = chunk.len();
            self.state.ledger_writes += 1;
            self.state.ledger_write_seconds += started.elapsed().as_secs_f64();
            let done = self.outbox.written(n);
            if let Some(acks) = &mut self.acks {
                acknowledge(acks, &done)?;
            }
            written += n;
        }
        if let Some((paused_ms, since)) = self.outbox.pauses() {
            if let Err(e) = self.ledger.set_pauses(paused_ms, since) {
                return self.ledger_failed(&e);
            }
            self.outbox.pauses_stored();
        }
        if let Change::Back { after, written } = self.outbox.recovered(Instant::now(), written) {
            let at = GameTime::from_duration(self.load.now(self.scenario));
            writeln!(
                self.out,
                "[{at}] ledger back after {}: {written} waiting causes written, none lost or doubled",
                humantime::format_duration(Duration::from_secs(after.as_secs()))
            )?;
            if std::mem::take(&mut self.paused_for_ledger) && self.load.is_paused() && !self.quit {
                self.resume(at)?;
            }
        }
        Ok(())
    }

    /// Every 10 s, the free space of a SQLite ledger's disk against what the rest of the
    /// game will write: said once when it runs short.
    fn watch_disk(&mut self, now: Duration) -> Result<(), GameError> {
        let Some(file) = self.options.ledger.file() else {
            return Ok(());
        };
        if !self.disk.due(now.as_millis() as u64) {
            return Ok(());
        }
        let rest = self.scenario.game.duration.saturating_sub(now);
        let need = crate::disk::ledger_bytes(
            self.scenario.teams.len(),
            crate::disk::ticks(self.scenario, rest),
        );
        if let Some(free) = crate::disk::free_bytes(file)
            && let Some(warning) = self.disk.look(need, free)
        {
            let at = GameTime::from_duration(now);
            writeln!(self.out, "[{at}] {warning}")?;
        }
        Ok(())
    }

    /// A ledger call failed: the outbox keeps what waits, the organizer is told once.
    pub(crate) fn ledger_failed(&mut self, e: &ScoreError) -> Result<(), GameError> {
        let error = e.to_string();
        if self
            .outbox
            .failed(error.clone(), Instant::now(), now_unix_ms())
            == Change::Down
        {
            let at = GameTime::from_duration(self.load.now(self.scenario));
            let h = self.outbox.health();
            writeln!(
                self.out,
                "[{at}] {error}\n[{at}] the ledger is unavailable: the game goes on; what it decides waits in memory ({} causes so far; the game pauses at {}) and is written when the ledger is back",
                h.waiting_causes, h.capacity
            )?;
        }
        Ok(())
    }

    /// The loop's regular look: happenings due, billing, the board.
    pub(crate) async fn look(
        &mut self,
        now: Duration,
        hooks: &mpsc::UnboundedSender<HookRun>,
    ) -> Result<(), GameError> {
        let at = GameTime::from_duration(now);
        self.state.now = at;
        for (when, happening) in self.timeline.due(now) {
            self.happen(GameTime::from_duration(when), happening, hooks)?;
        }
        if at.0 >= self.next_billing_ms {
            self.bill(at).await?;
            self.next_billing_ms = at.0 + self.inventory.period_ms();
        }
        self.watch_disk(now)?;
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
    pub(crate) async fn bill(&mut self, at: GameTime) -> Result<(), GameError> {
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
        self.state.set_instances(
            observation
                .runs
                .iter()
                .filter(|r| r.until >= at)
                .map(|r| r.team.clone()),
        );
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
            Happening::Timeline(Action::Announce(text)) => return self.announce(at, text),
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
        self.load.set_urls(index, urls)?;
        Ok(())
    }

    /// A message to everyone: the log, the board, the views.
    pub(crate) fn announce(&mut self, at: GameTime, text: String) -> Result<(), GameError> {
        writeln!(self.out, "[{at}] ANNOUNCEMENT: {text}")?;
        self.state.announcements.push((at, text));
        Ok(())
    }

    pub(crate) fn hook_done(&mut self, hook: HookRun) -> Result<(), GameError> {
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
}

/// One line per committed item, written at once (a kill after it cannot take it back).
fn acknowledge(
    acks: &mut std::fs::File,
    items: &[(Recorded, Vec<ScoreEvent>)],
) -> std::io::Result<()> {
    use std::fmt::Write as _;
    let mut text = String::new();
    for (recorded, events) in items {
        let n = events.len();
        let _ = match recorded {
            Recorded::Batch(b) => {
                let id = b.batch.id;
                let (run, worker, target, tick) = (id.run, id.worker, id.target, id.tick);
                writeln!(text, "batch {run} {worker} {target} {tick} events={n}")
            }
            Recorded::Block(b) => writeln!(
                text,
                "block {} {} {} events={n}",
                b.team, b.instance, b.block
            ),
            Recorded::Adjustment(a) => writeln!(text, "adjustment {} events={n}", a.id),
            Recorded::Void(v) => writeln!(text, "void {} {} {} events={n}", v.team, v.run, v.tick),
        };
    }
    std::io::Write::write_all(acks, text.as_bytes())
}
