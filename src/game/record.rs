//! The shell's hands: it feeds the core and carries out the effects it decides (causes to the
//! views and the ledger through the outbox, steps, faults and breaks (breaks.rs) to the fleet, hooks, billing
//! looks, pauses and resumes of the load), and reports the ledger's faults once.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::mpsc;

use scoreboard::live::Refusal;
use scoreboard_domain::GameTime;
use scoreboard_ledger::LedgerError;
use scoreboard_ledger::{WriteDone, WriteRequest};

use super::board::format_board;
use super::clock::now_unix_ms;
use super::core::{Effect, Input};
use super::error::GameError;
use super::hook::run_hook;
use super::link::{Asked, Wrote, failure};
use super::outbox::Item;
use super::reads::ReadDone;
use super::run::Game;
use super::timeline::{describe_fault, describe_step};

impl Game<'_> {
    /// Hands one input to the core and carries out what it decides.
    pub(crate) async fn handle(&mut self, input: Input) -> Result<(), GameError> {
        let effects = self.core.handle(input);
        self.apply(effects).await.map(|_| ())
    }

    /// The loop's regular look: the ledger tried again, the core's look (happenings, billing,
    /// the board, a split game's ticks due), the disk, a split game's team URLs, the views.
    pub(crate) async fn look(&mut self) -> Result<(), GameError> {
        let now = self.load.now(self.scenario);
        self.flush()?;
        let at = GameTime::from_duration(now);
        self.handle(Input::Look { now: at }).await?;
        self.watch_disk(now)?;
        self.publish_targets()?;
        self.publish();
        Ok(())
    }

    /// What the segment reader found (a split game), or why it could not read.
    pub(crate) async fn segments_read(&mut self, read: ReadDone) -> Result<(), GameError> {
        match read {
            Ok(read) => self.handle(Input::Segments(read)).await,
            Err(e) => self.ledger_failed(&e),
        }
    }

    /// Carries out effects in order (what one brings about comes before the rest). Returns
    /// the answer for the command that asked, if any.
    pub(crate) async fn apply(
        &mut self,
        effects: Vec<Effect>,
    ) -> Result<Option<Result<(), Refusal>>, GameError> {
        let mut queue: VecDeque<Effect> = effects.into();
        let mut reply = None;
        while let Some(effect) = queue.pop_front() {
            let more = self.carry_out(effect, &mut reply).await?;
            for e in more.into_iter().rev() {
                queue.push_front(e);
            }
        }
        Ok(reply)
    }

    /// Carries out one effect; returns what the core makes of its result. The first answer
    /// for the asker stands (a URL the engine refused answers before the core's "done").
    async fn carry_out(
        &mut self,
        effect: Effect,
        reply: &mut Option<Result<(), Refusal>>,
    ) -> Result<Vec<Effect>, GameError> {
        match effect {
            Effect::Say(line) => writeln!(self.out, "{line}")?,
            Effect::Record(items) => return self.commit(items),
            Effect::Note(note) => return self.note(note),
            Effect::Step { team, step, at } => {
                let what = describe_step(&step, &self.servers.fleet, &team);
                self.servers.fleet.get_mut(&team)?.step(&step, at)?;
                self.moved(at, &team, &what)?;
            }
            Effect::Fault { team, fault, at } => {
                self.servers.fleet.get_mut(&team)?.fault(&fault, at)?;
                self.moved(at, &team, &format!("fault: {}", describe_fault(&fault)))?;
            }
            Effect::Hook {
                command,
                timeout,
                at,
            } => {
                if let Some(hooks) = self.hooks.tx.clone() {
                    tokio::spawn(async move {
                        let _ = hooks.send(run_hook(command, timeout, at).await);
                    });
                }
            }
            Effect::Break(order) => return self.break_team(order),
            Effect::BreakAgain(order) => self.break_again(order)?,
            Effect::Restore(order) => return self.restore_team(order),
            Effect::Mend { id, team, at } => return self.mend(id, &team, at),
            Effect::Bill(at) => return self.observe(at).await,
            Effect::Board => {
                let board = format_board(self.scenario, self.core.state());
                write!(self.out, "{board}")?;
                self.out.flush()?;
            }
            Effect::Pause => self.load.pause(self.scenario),
            Effect::Resume => self.resume()?,
            Effect::Stop => self.load.stop(),
            Effect::SetUrl { team, url, note } => {
                match self.load.set_urls(team, vec![url.clone()]) {
                    Ok(()) => {
                        let name = &self.scenario.teams[team].name;
                        writeln!(self.out, "[{}] {name} now answers at {url}", self.at())?;
                        return self.note(note);
                    }
                    Err(e) => *reply = Some(Err(Refusal::Invalid(e.to_string()))),
                }
            }
            Effect::Probe { team, url } => self.probes.start(team, url),
            Effect::StorePauses {
                paused_ms,
                since_unix_ms,
                event,
            } => {
                self.link.outbox.set_pauses(paused_ms, since_unix_ms, event);
                self.flush()?;
            }
            Effect::Reply(r) => {
                reply.get_or_insert(r);
            }
        }
        Ok(Vec::new())
    }

    /// A step or fault changed a team's servers: says so, and points the load at them.
    fn moved(&mut self, at: GameTime, team: &str, what: &str) -> Result<(), GameError> {
        writeln!(self.out, "[{at}] {team}: {what}")?;
        let index = self
            .scenario
            .teams
            .iter()
            .position(|t| t.name == team)
            .expect("a step or fault names a scenario team");
        let urls = self.servers.fleet.get_mut(team)?.urls();
        self.load.set_urls(index, urls)?;
        Ok(())
    }

    /// Asks the writer for a new run (fresh batch ids), off the loop: the load starts again
    /// when it answers ([`Game::answered`]). While the ledger is unavailable the game stays
    /// paused.
    fn resume(&mut self) -> Result<(), GameError> {
        if self.link.asking.resume {
            return Ok(());
        }
        let request = WriteRequest::Resume {
            meta: Box::new(self.began.meta.clone()),
            now_unix_ms: now_unix_ms(),
        };
        self.link.ask(request, Asked::Resume)?;
        self.link.asking.resume = true;
        Ok(())
    }

    /// The writer's answer to a request asked off the loop.
    pub(crate) async fn answered(
        &mut self,
        asked: Asked,
        done: WriteDone,
    ) -> Result<(), GameError> {
        let at = self.at();
        match (asked, done) {
            (Asked::Targets(urls), WriteDone::Stored) => {
                self.link.asking.targets = false;
                self.load.published = urls;
            }
            (Asked::Targets(_), other) => {
                self.link.asking.targets = false;
                self.ledger_failed(&failure(other))?;
            }
            (Asked::Resume, WriteDone::Resumed(session)) => {
                self.link.asking.resume = false;
                if self.core.quit() || !self.core.paused() {
                    return Ok(());
                }
                let pause = self.load.start(self.scenario, session.run)?;
                let effects = self.core.handle(Input::Resumed {
                    at,
                    run: session.run,
                    pause,
                    now_unix_ms: now_unix_ms(),
                });
                self.apply(effects).await?;
            }
            (Asked::Resume, other) => {
                self.link.asking.resume = false;
                let e = failure(other);
                writeln!(
                    self.out,
                    "[{at}] cannot resume while the ledger is unavailable ({e}): still paused"
                )?;
                self.ledger_failed(&e)?;
            }
            // A coordinator never joins: that is a load worker's.
            (Asked::Join, _) => {}
            (Asked::Rename(name, reply), done) => {
                if matches!(done, WriteDone::Stored) {
                    self.handle(Input::Renamed(name)).await?;
                    self.publish();
                }
                let _ = reply.send(done);
            }
        }
        Ok(())
    }

    /// Publishes the team URLs to the load workers of a split game, when they changed
    /// (through the writer, off the loop; a failure is reported, and the URLs are sent again
    /// at the next look).
    pub(crate) fn publish_targets(&mut self) -> Result<(), GameError> {
        if !self.load.external()
            || self.link.asking.targets
            || self.load.published == self.load.urls
        {
            return Ok(());
        }
        let targets: Vec<(String, Vec<String>)> = self
            .scenario
            .teams
            .iter()
            .map(|t| t.name.clone())
            .zip(self.load.urls.iter().cloned())
            .collect();
        let urls = self.load.urls.clone();
        self.link
            .ask(WriteRequest::Targets(targets), Asked::Targets(urls))?;
        self.link.asking.targets = true;
        Ok(())
    }

    /// The end of a split game: waits for the reads of its last ticks (at most their grace
    /// on the reads' clock; while the ledger does not answer, until it does).
    pub(crate) async fn collect_last(
        &mut self,
        reads: &mut mpsc::UnboundedReceiver<ReadDone>,
    ) -> Result<(), GameError> {
        while self.core.collecting() > 0 {
            match reads.recv().await {
                Some(read) => self.segments_read(read).await?,
                None => break,
            }
        }
        let late = self.core.late();
        if late > 0 {
            writeln!(
                self.out,
                "{late} worker batches came after their tick was scored (kept in the ledger, not scored)"
            )?;
        }
        Ok(())
    }

    /// Hands decided items (already counted in the projection) to the views and the ledger;
    /// while the ledger is unavailable they wait in the outbox (see [`Game::flush`]).
    fn commit(&mut self, items: Vec<Item>) -> Result<Vec<Effect>, GameError> {
        for (_, events) in &items {
            for e in events {
                self.views.live.event(e);
            }
        }
        self.link.outbox.push(items);
        self.flush()?;
        Ok(self.when_full())
    }

    /// What the core makes of a full outbox while the ledger is down (the game pauses until
    /// it is back).
    fn when_full(&mut self) -> Vec<Effect> {
        if !self.link.outbox.must_wait() {
            return Vec::new();
        }
        self.core.handle(Input::LedgerFull {
            at: self.at(),
            waiting: self.link.outbox.health().waiting_causes,
            now_unix_ms: now_unix_ms(),
        })
    }

    /// Hands a note to the ledger through the outbox (see [`Game::flush`]); a full outbox
    /// pauses the game as a full one of causes does.
    fn note(&mut self, note: scoreboard_ledger::Note) -> Result<Vec<Effect>, GameError> {
        self.link.outbox.push_note(note);
        self.flush()?;
        Ok(self.when_full())
    }

    /// Hands the writer what waits in the outbox, when it is time to try and it has nothing
    /// on hand (the link's [`LedgerLink::flush`](super::link::LedgerLink::flush)). A failure
    /// is reported once and tried again later, on a fresh connection; it never ends the
    /// game, and the game loop never waits for the database.
    pub(crate) fn flush(&mut self) -> Result<(), GameError> {
        Ok(self.link.flush()?)
    }

    /// The writer's answer: what it stored leaves the outbox (and is acknowledged), a
    /// failure is reported once; the rest goes to the writer next.
    pub(crate) async fn written(&mut self, done: WriteDone) -> Result<(), GameError> {
        match self.link.written(done)? {
            Wrote::Failed(e) => return self.ledger_failed(&e),
            Wrote::Stored { took, back, .. } => {
                if let Some(took) = took {
                    self.core.handle(Input::Written { took });
                }
                if let Some((after, written)) = back {
                    let at = self.at();
                    let effects = self.core.handle(Input::LedgerBack { at, after, written });
                    self.apply(effects).await?;
                }
            }
        }
        self.flush()
    }

    /// Every 10 s, the free space of a SQLite ledger's disk against what the rest of the
    /// game will write: said once when it runs short.
    fn watch_disk(&mut self, now: Duration) -> Result<(), GameError> {
        let Some(file) = self.options.ledger.file() else {
            return Ok(());
        };
        if !self.link.disk.due(now.as_millis() as u64) {
            return Ok(());
        }
        let rest = self.scenario.game.duration.saturating_sub(now);
        let need = crate::disk::ledger_bytes(
            self.scenario.teams.len(),
            crate::disk::ticks(self.scenario, rest),
        );
        if let Some(free) = crate::disk::free_bytes(file)
            && let Some(warning) = self.link.disk.look(need, free)
        {
            let at = GameTime::from_duration(now);
            writeln!(self.out, "[{at}] {warning}")?;
        }
        Ok(())
    }

    /// A ledger call failed: the outbox keeps what waits, the organizer is told once.
    pub(crate) fn ledger_failed(&mut self, e: &LedgerError) -> Result<(), GameError> {
        if self.link.failed(e) {
            let error = e.to_string();
            let at = self.at();
            let h = self.link.outbox.health();
            writeln!(
                self.out,
                "[{at}] {error}\n[{at}] the ledger is unavailable: the game goes on; what it decides waits in memory ({} causes so far; the game pauses at {}) and is written when the ledger is back",
                h.waiting_causes, h.capacity
            )?;
        }
        Ok(())
    }

    /// Looks at the inventory and hands the core what it holds.
    pub(crate) async fn observe(&mut self, at: GameTime) -> Result<Vec<Effect>, GameError> {
        let (observation, errors) = self
            .servers
            .inventory
            .observe(&self.servers.fleet, at, now_unix_ms())
            .await;
        for e in errors {
            writeln!(
                self.out,
                "[{at}] billing: {e} (retried at the next look; nothing is charged twice)"
            )?;
        }
        Ok(match observation {
            Some(observation) => self.core.handle(Input::Observed(observation)),
            None => Vec::new(),
        })
    }

    /// Bills what started by `at` (the end of the game).
    pub(crate) async fn bill(&mut self, at: GameTime) -> Result<(), GameError> {
        self.apply(vec![Effect::Bill(at)]).await.map(|_| ())
    }
}
