//! The game's decisions without I/O: an [`Input`] in (batches, a look at the clock, a read
//! of a split game's segment batches, an inventory observation, an organizer's command, news
//! of the ledger), [`Effect`]s out (causes and notes to record, lines to log, steps, faults
//! and hooks to carry out, the load to pause or resume). The async shell in run.rs does the
//! sockets, the clock and the ledger; the core keeps the scorer, the biller, the timeline,
//! a split game's collector and the projection, and decides. The shell changes the core
//! only through inputs. No async runtime, no clock reads, no processes or sockets here: a
//! test (tests.rs, `the_core_does_no_io`) fails on any.

use std::collections::HashSet;
use std::time::Duration;

use scoreboard::live::{CHECK_EVERY, Refusal};
use scoreboard_domain::{
    Adjustment, Biller, BillingRules, Cause, GameProjection, GameTime, Observation, Scorer,
};
use scoreboard_ledger::{ClockEvent, Note, NoteKind, Recorded, RecordedBatch};

use self::breaks::Breaks;
use self::clock::TickClock;
use self::collect::Collector;
use super::timeline::{Happening, Timeline};
use crate::scenario::{Action, Endpoint, Scenario, check_team_url};

pub(crate) mod breaks;
pub(crate) mod clock;
pub(crate) mod collect;
mod messages;
#[cfg(test)]
mod tests;
pub(crate) mod worker;

pub use self::messages::Signal;
pub(crate) use self::messages::{Command, Effect, Input, Item};

/// How the core starts: a fresh game, or one resumed from its ledger.
pub(crate) struct Start {
    pub(crate) state: GameProjection,
    /// Adjustment causes the ledger holds already.
    pub(crate) adjusted: HashSet<String>,
    pub(crate) biller: Biller,
    pub(crate) run: u64,
    /// Game time at the start of this run, and the pauses so far.
    pub(crate) offset: Duration,
    pub(crate) paused_ms: u64,
    /// How often the plain-text board is printed (zero: never), and the inventory looked at.
    pub(crate) board_every: Duration,
    pub(crate) billing_every_ms: u64,
    /// A split game's collector of its workers' batches.
    pub(crate) collector: Option<Collector>,
}

/// Each team's name, whether the engine runs its servers, and its URLs now.
#[derive(Debug)]
struct TeamInfo {
    name: String,
    simulated: bool,
    urls: Vec<String>,
    /// Wall-clock time of its endpoint's last probe.
    probed_unix_ms: Option<u64>,
}

/// The game's decisions and the state they need.
pub(crate) struct Core {
    clock: TickClock,
    scoring: Scoring,
    /// The one read model of the game: every view reads it.
    state: GameProjection,
    timeline: Timeline,
    teams: Vec<TeamInfo>,
    allow_private: bool,
    organizer: Organizer,
    running: Running,
    looks: Looks,
    /// A split game's: gathers its workers' segment batches into scored ticks.
    collector: Option<Collector>,
    /// The instructor's breaks under way.
    breaks: Breaks,
}

/// What turns causes into points: the rules, and the biller of instances' blocks.
struct Scoring {
    scorer: Scorer,
    biller: Biller,
    billing: BillingRules,
}

/// What the organizer did that the core keeps.
struct Organizer {
    /// Adjustment causes recorded or waiting (a retried request is recorded once).
    adjusted: HashSet<String>,
    adjustments: u64,
    /// Notes made live in this process (their ids count them).
    notes: u64,
}

/// The run under way, its pauses, and whether the game has stopped.
struct Running {
    /// This run's number in the ledger (batch ids differ between runs of one game).
    run: u64,
    paused: bool,
    quit: bool,
    /// The game paused itself because the outbox filled; it resumes when the ledger is back.
    paused_for_ledger: bool,
    /// Pauses so far, in milliseconds of wall clock.
    paused_ms: u64,
}

/// When the inventory is looked at next, and the plain-text board printed (zero: never).
struct Looks {
    billing_every_ms: u64,
    next_billing_ms: u64,
    board_every_ms: u64,
    next_board_ms: u64,
}

/// The notes of the scenario's team URLs (`url = …`) that the game's projection does not
/// hold yet, for run `run` to record at its start: every team's in a new game, none in a
/// resumed one (the ledger has them), all in a ledger older than these notes, and a team's
/// whose URLs the scenario changed since. The projection then knows every team's URLs, and
/// so does every reader of the ledger.
pub(crate) fn scenario_urls(scenario: &Scenario, state: &GameProjection, run: u64) -> Vec<Note> {
    scenario
        .teams
        .iter()
        .filter_map(|t| match &t.endpoint {
            Endpoint::Urls(urls) => Some((&t.name, urls)),
            _ => None,
        })
        .filter(|(team, urls)| {
            state
                .endpoint(team)
                .is_none_or(|e| e.scenario_urls != **urls)
        })
        .map(|(team, urls)| Note {
            id: format!("r{run}-urls-{team}"),
            at: GameTime(0),
            kind: NoteKind::ScenarioUrls,
            team: Some(team.clone()),
            text: urls.join("\n"),
        })
        .collect()
}

impl Core {
    pub(crate) fn new(
        scenario: &Scenario,
        start: Start,
    ) -> Result<Core, scoreboard_domain::ScoreError> {
        let g = &scenario.game;
        let board_every_ms = start.board_every.as_millis() as u64;
        let teams = scenario
            .teams
            .iter()
            .map(|t| {
                // A URL registered or changed before a restart stands.
                let changed = start.state.endpoint(&t.name).and_then(|e| e.url.clone());
                TeamInfo {
                    name: t.name.clone(),
                    simulated: matches!(t.endpoint, Endpoint::Simulate(_)),
                    urls: match (&t.endpoint, changed) {
                        (Endpoint::Simulate(_), _) => Vec::new(),
                        (_, Some(url)) => vec![url],
                        (Endpoint::Urls(urls), None) => urls.clone(),
                        (Endpoint::Registers, None) => Vec::new(),
                    },
                    probed_unix_ms: None,
                }
            })
            .collect();
        let breaks = Breaks::new(scenario, start.state.breaks());
        let mut collector = start.collector;
        if let Some(collector) = &mut collector {
            collector.begin_run(start.run, start.offset);
        }
        Ok(Core {
            clock: TickClock::new(g.tick, g.duration),
            scoring: Scoring {
                scorer: Scorer::new(scenario.rules.clone())?,
                biller: start.biller,
                billing: scenario.rules.billing.clone(),
            },
            state: start.state,
            timeline: Timeline::new(scenario, start.offset),
            teams,
            allow_private: g.allow_private_targets,
            organizer: Organizer {
                adjusted: start.adjusted,
                adjustments: 0,
                notes: 0,
            },
            running: Running {
                run: start.run,
                paused: false,
                quit: false,
                paused_for_ledger: false,
                paused_ms: start.paused_ms,
            },
            looks: Looks {
                billing_every_ms: start.billing_every_ms,
                next_billing_ms: 0,
                board_every_ms,
                next_board_ms: start.offset.as_millis() as u64 + board_every_ms,
            },
            collector,
            breaks,
        })
    }

    /// The one read model of the game: every view reads it.
    pub(crate) fn state(&self) -> &GameProjection {
        &self.state
    }

    pub(crate) fn into_state(self) -> GameProjection {
        self.state
    }

    /// This run's number in the ledger.
    pub(crate) fn run(&self) -> u64 {
        self.running.run
    }

    pub(crate) fn paused(&self) -> bool {
        self.running.paused
    }

    /// The game was stopped, or has ended.
    pub(crate) fn quit(&self) -> bool {
        self.running.quit
    }

    /// A split game's ticks still waiting for segment batches.
    pub(crate) fn collecting(&self) -> usize {
        self.collector.as_ref().map_or(0, Collector::waiting)
    }

    /// A split game's worker batches that came after their tick was scored.
    pub(crate) fn late(&self) -> u64 {
        self.collector.as_ref().map_or(0, |c| c.late)
    }

    /// Takes in one input and says what to do about it.
    pub(crate) fn handle(&mut self, input: Input) -> Vec<Effect> {
        match input {
            Input::Batches(batches) => {
                let causes = batches
                    .into_iter()
                    .map(|batch| {
                        let at = self.clock.batch_at(batch.id.tick);
                        Recorded::Batch(Box::new(RecordedBatch { at, batch }))
                    })
                    .collect();
                self.record(causes)
            }
            Input::Segments(read) => match &mut self.collector {
                Some(collector) => {
                    let causes = collector.read(read);
                    self.record(causes)
                }
                None => Vec::new(),
            },
            Input::Look { now } => self.look(now),
            Input::Observed(observation) => self.observed(&observation),
            Input::Command {
                at,
                now_unix_ms,
                command,
            } => self.command(at, now_unix_ms, command),
            Input::Resumed {
                at,
                run,
                pause,
                now_unix_ms,
            } => self.resumed(at, run, pause, now_unix_ms),
            Input::LedgerFull {
                at,
                waiting,
                now_unix_ms,
            } => self.ledger_full(at, waiting, now_unix_ms),
            Input::LedgerBack { at, after, written } => self.ledger_back(at, after, written),
            Input::Checked {
                at,
                team,
                passed,
                text,
                now_unix_ms,
            } => self.checked(at, team, passed, text, now_unix_ms),
            Input::Stop { at, signal } => {
                let why = signal.map_or("quit".to_owned(), |s| s.to_string());
                if self.running.quit {
                    return Vec::new();
                }
                self.running.quit = true;
                vec![
                    Effect::Say(format!(
                        "[{at}] {why}: stopping the game (requests in flight finish; run the same command again to resume)"
                    )),
                    Effect::Stop,
                ]
            }
            Input::End { at } => {
                self.state.now = at;
                self.running.quit = true;
                if let Some(collector) = &mut self.collector {
                    collector.end_run(at.as_duration());
                }
                Vec::new()
            }
            Input::Broken { id, at, outcome } => self.broken(id, at, outcome),
            Input::Restored { id, at, outcome } => self.restored(id, at, outcome),
            Input::Mended { id, at, outcome } => self.mended(id, at, outcome),
            Input::Written { took } => {
                self.state.wrote(took);
                Vec::new()
            }
            Input::Renamed(name) => {
                // The note the ledger keeps with it is what a replica reads.
                self.state.apply_note(&name.note(String::new()));
                Vec::new()
            }
        }
    }

    /// The outbox is full while the ledger is away: the game pauses until it is back.
    fn ledger_full(&mut self, at: GameTime, waiting: u64, now_unix_ms: u64) -> Vec<Effect> {
        if self.running.paused || self.running.quit {
            return Vec::new();
        }
        let mut effects = vec![Effect::Say(format!(
            "[{at}] {waiting} causes wait for the ledger, as many as may: the game pauses until it is back"
        ))];
        effects.extend(self.pause(at, now_unix_ms));
        self.running.paused_for_ledger = true;
        effects
    }

    /// The ledger took what waited: a game it paused resumes.
    fn ledger_back(&mut self, at: GameTime, after: Duration, written: usize) -> Vec<Effect> {
        let after = humantime::format_duration(Duration::from_secs(after.as_secs()));
        let mut effects = vec![Effect::Say(format!(
            "[{at}] ledger back after {after}: {written} waiting causes written, none lost or doubled"
        ))];
        if std::mem::take(&mut self.running.paused_for_ledger)
            && self.running.paused
            && !self.running.quit
        {
            effects.push(Effect::Resume);
        }
        effects
    }

    /// The load started again as run `run` after a pause of `pause`.
    fn resumed(
        &mut self,
        at: GameTime,
        run: u64,
        pause: Duration,
        now_unix_ms: u64,
    ) -> Vec<Effect> {
        self.running.run = run;
        self.running.paused = false;
        self.running.paused_ms += pause.as_millis() as u64;
        if let Some(collector) = &mut self.collector {
            collector.begin_run(run, at.as_duration());
        }
        let pause = humantime::format_duration(Duration::from_secs(pause.as_secs()));
        vec![
            self.store_pauses(at, now_unix_ms, false),
            Effect::Say(format!(
                "[{at}] resumed after a pause of {pause}: the game ends {pause} later"
            )),
        ]
    }

    /// Scores causes, counts them in, and hands them on to be recorded.
    fn record(&mut self, causes: Vec<Recorded>) -> Vec<Effect> {
        if causes.is_empty() {
            return Vec::new();
        }
        let items: Vec<Item> = causes
            .into_iter()
            .map(|recorded| {
                let events = self.scoring.scorer.events(&recorded);
                self.state.apply(&recorded, &events);
                (recorded, events)
            })
            .collect();
        vec![Effect::Record(items)]
    }

    /// The regular look: happenings due, billing, the board.
    fn look(&mut self, at: GameTime) -> Vec<Effect> {
        self.state.now = at;
        let mut effects = Vec::new();
        // Announcements due at one moment, so far: the scenario's are named by their place
        // (a resumed game that makes one again records it once).
        let mut said: Option<(GameTime, u32)> = None;
        // Breaks at one moment, so far: a break is named by its place too.
        let mut broke: Option<(GameTime, u32)> = None;
        for (when, happening) in self.timeline.due(at.as_duration()) {
            let when = GameTime::from_duration(when);
            let effect = match happening {
                Happening::Step { team, step } => Effect::Step {
                    team,
                    step,
                    at: when,
                },
                Happening::Timeline(Action::Fault { team, fault }) => Effect::Fault {
                    team,
                    fault,
                    at: when,
                },
                Happening::Timeline(Action::Announce(text)) => {
                    let place = match said {
                        Some((t, place)) if t == when => place + 1,
                        _ => 0,
                    };
                    said = Some((when, place));
                    let id = format!("timeline-{}-{place}", when.0);
                    let [say, note] = self.announce(when, text, id);
                    effects.push(say);
                    note
                }
                Happening::Timeline(Action::Register { team, url }) => {
                    let Some(index) = self.teams.iter().position(|t| t.name == team) else {
                        continue;
                    };
                    let id = format!("timeline-{}-register-{team}", when.0);
                    effects.extend(self.change_url(index, when, url, id, None));
                    continue;
                }
                Happening::Timeline(Action::Freeze(freeze)) => {
                    let id = format!("timeline-{}-freeze-{freeze}", when.0);
                    effects.extend(self.freeze(when, freeze, id));
                    continue;
                }
                Happening::Timeline(Action::Break(asked)) => {
                    let place = match broke {
                        Some((t, place)) if t == when => place + 1,
                        _ => 0,
                    };
                    broke = Some((when, place));
                    effects.extend(self.timeline_break(when, place, asked));
                    continue;
                }
                Happening::Timeline(Action::Hook { command, timeout }) => {
                    effects.push(Effect::Say(format!("[{when}] hook: {command}")));
                    Effect::Hook {
                        command,
                        timeout,
                        at: when,
                    }
                }
            };
            effects.push(effect);
        }
        effects.extend(self.restores_due(at));
        if at.0 >= self.looks.next_billing_ms {
            self.looks.next_billing_ms = at.0 + self.looks.billing_every_ms;
            effects.push(Effect::Bill(at));
        }
        if self.looks.board_every_ms > 0 && at.0 >= self.looks.next_board_ms {
            self.looks.next_board_ms = at.0 + self.looks.board_every_ms;
            effects.push(Effect::Board);
        }
        if let Some(collector) = &mut self.collector {
            collector.look(at.as_duration());
        }
        effects
    }

    /// The inventory as it stands: instances counted, the blocks that started charged.
    fn observed(&mut self, observation: &Observation) -> Vec<Effect> {
        let at = observation.at;
        self.state.set_instances(
            observation
                .runs
                .iter()
                .filter(|r| r.until >= at)
                .map(|r| r.team.clone()),
        );
        // A block that would start at the game's end or after it is not the game's: an
        // instance seen there (a fleet started again to resume a finished game, an inventory
        // looked at late) costs nothing more.
        let end = GameTime::from_duration(self.clock.duration());
        let blocks = self
            .scoring
            .biller
            .observe(&self.scoring.billing, observation);
        self.record(
            blocks
                .into_iter()
                .filter(|b| b.at < end)
                .map(Recorded::Block)
                .collect(),
        )
    }

    /// An announcement at `at`, noted under `id`: the log's line and the ledger's note.
    fn announce(&mut self, at: GameTime, text: String, id: String) -> [Effect; 2] {
        let said = format!("[{at}] ANNOUNCEMENT: {text}");
        let note = Note {
            id,
            at,
            kind: NoteKind::Announcement,
            team: None,
            text,
        };
        self.state.apply_note(&note);
        [Effect::Say(said), Effect::Note(note)]
    }

    /// Freezes the public board as it is now (`freeze`), or shows it live again: a note the
    /// projection applies (every reader's board, a restart's too, shows the same frozen
    /// board) and the ledger keeps. Nothing when it already is so.
    fn freeze(&mut self, at: GameTime, freeze: bool, id: String) -> Vec<Effect> {
        if self.state.frozen_at().is_some() == freeze {
            return Vec::new();
        }
        let note = self.state.freeze_note(id, at, freeze);
        self.state.apply_note(&note);
        let said = if freeze {
            format!("[{at}] public scoreboard frozen: the standings stay hidden until the end")
        } else {
            format!("[{at}] public scoreboard live again")
        };
        vec![Effect::Say(said), Effect::Note(note)]
    }

    /// The id of a note made live: the run, its count in this process and the wall clock
    /// (a process of another run, or the same run again after a failed resume, differs).
    fn live_note_id(&mut self, now_unix_ms: u64) -> String {
        self.organizer.notes += 1;
        format!(
            "r{}-n{}-{now_unix_ms}",
            self.running.run, self.organizer.notes
        )
    }

    fn command(&mut self, at: GameTime, now_unix_ms: u64, command: Command) -> Vec<Effect> {
        match command {
            Command::Pause if !self.running.paused && !self.running.quit => {
                self.running.paused_for_ledger = false;
                self.pause(at, now_unix_ms)
            }
            Command::Resume if self.running.paused && !self.running.quit => vec![Effect::Resume],
            Command::Pause | Command::Resume => Vec::new(),
            Command::Freeze | Command::Unfreeze => {
                let id = self.live_note_id(now_unix_ms);
                self.freeze(at, command == Command::Freeze, id)
            }
            Command::Announce(text) => {
                let id = self.live_note_id(now_unix_ms);
                self.announce(at, text, id).into()
            }
            Command::Adjust {
                team,
                points,
                reason,
                by,
                request,
            } => {
                let asked = Adjustment {
                    id: request.map(|r| format!("req-{r}")).unwrap_or_default(),
                    at,
                    team,
                    points,
                    reason,
                    by,
                };
                self.adjust(asked, now_unix_ms)
            }
            Command::SetUrl { team, url } => match self.set_url(&team, &url) {
                Ok(index) => {
                    let id = self.live_note_id(now_unix_ms);
                    let mut effects = self.change_url(index, at, url, id, Some(now_unix_ms));
                    effects.push(Effect::Reply(Ok(())));
                    effects
                }
                Err(refusal) => vec![Effect::Reply(Err(refusal))],
            },
            Command::Check { team } => match self.check(&team, now_unix_ms) {
                Ok(probe) => vec![probe, Effect::Reply(Ok(()))],
                Err(refusal) => vec![Effect::Reply(Err(refusal))],
            },
            Command::Break {
                team,
                action,
                lasting,
                tell,
            } => {
                let id = self.live_note_id(now_unix_ms);
                self.organizer_break(at, &id, team, (action, lasting, tell))
            }
            Command::Restore { team } => self.organizer_restore(at, team),
            Command::Quit => self.handle(Input::Stop { at, signal: None }),
        }
    }

    /// Stops the load and the clock; the pause is stored with the ledger's next write.
    fn pause(&mut self, at: GameTime, now_unix_ms: u64) -> Vec<Effect> {
        self.running.paused = true;
        if let Some(collector) = &mut self.collector {
            collector.end_run(at.as_duration());
        }
        vec![
            Effect::Pause,
            self.store_pauses(at, now_unix_ms, true),
            Effect::Say(format!("[{at}] paused: no load, the clock stands still")),
        ]
    }

    /// The pauses so far, after a pause (`paused`) or a resume at `at`, `now_unix_ms`.
    fn store_pauses(&self, at: GameTime, now_unix_ms: u64, paused: bool) -> Effect {
        Effect::StorePauses {
            paused_ms: self.running.paused_ms,
            since_unix_ms: paused.then_some(now_unix_ms),
            event: ClockEvent {
                at,
                unix_ms: now_unix_ms,
                paused,
            },
        }
    }

    /// An organizer's adjustment, checked; `asked.id` is the asker's id (empty: none, and
    /// each such request is new).
    fn adjust(&mut self, mut asked: Adjustment, now_unix_ms: u64) -> Vec<Effect> {
        if self.state.team(&asked.team).is_none() {
            return vec![Effect::Reply(Err(Refusal::NoSuchTeam(asked.team)))];
        }
        let reason = asked.reason.trim();
        if reason.is_empty() {
            return vec![Effect::Reply(Err(Refusal::Invalid(
                "an adjustment needs a reason the team can read".to_owned(),
            )))];
        }
        asked.reason = reason.to_owned();
        self.organizer.adjustments += 1;
        if asked.id.is_empty() {
            asked.id = format!(
                "r{}-a{}-{now_unix_ms}",
                self.running.run, self.organizer.adjustments
            );
        }
        if !self
            .organizer
            .adjusted
            .insert(Cause::Adjustment(asked.id.clone()).key())
        {
            return vec![Effect::Reply(Ok(()))];
        }
        let at = asked.at;
        let mut effects = self.record(vec![Recorded::Adjustment(asked)]);
        effects.push(Effect::Say(format!("[{at}] organizer adjusted a score")));
        effects.push(Effect::Reply(Ok(())));
        effects
    }

    /// Team `index` answers at `url` from now on: a registration (its first endpoint) or a
    /// change, noted under `id`, then probed. The probe comes last.
    fn change_url(
        &mut self,
        index: usize,
        at: GameTime,
        url: String,
        id: String,
        now_unix_ms: Option<u64>,
    ) -> Vec<Effect> {
        let team = &mut self.teams[index];
        let waiting = self
            .state
            .endpoint(&team.name)
            .is_some_and(|e| e.is_waiting());
        let note = Note {
            id,
            at,
            kind: if waiting {
                NoteKind::Registration
            } else {
                NoteKind::UrlChange
            },
            team: Some(team.name.clone()),
            text: url.clone(),
        };
        team.urls = vec![url.clone()];
        team.probed_unix_ms = now_unix_ms.or(team.probed_unix_ms);
        self.state.apply_note(&note);
        vec![
            Effect::SetUrl {
                team: index,
                url: url.clone(),
                note,
            },
            Effect::Probe { team: index, url },
        ]
    }

    /// A probe asked for team `team`: its endpoint, if it has one and was not probed within
    /// [`CHECK_EVERY`].
    fn check(&mut self, team: &str, now_unix_ms: u64) -> Result<Effect, Refusal> {
        let index = self
            .teams
            .iter()
            .position(|t| t.name == team)
            .ok_or_else(|| Refusal::NoSuchTeam(team.to_owned()))?;
        let t = &mut self.teams[index];
        if t.simulated {
            return Err(simulated(team));
        }
        let Some(url) = t.urls.first().cloned() else {
            return Err(Refusal::Conflict(
                "no endpoint to check yet: register your endpoint's URL first".to_owned(),
            ));
        };
        let every = CHECK_EVERY.as_millis() as u64;
        if let Some(last) = t.probed_unix_ms
            && now_unix_ms < last + every
        {
            let wait = Duration::from_millis(last + every - now_unix_ms);
            return Err(Refusal::TooSoon(wait));
        }
        t.probed_unix_ms = Some(now_unix_ms);
        Ok(Effect::Probe { team: index, url })
    }

    /// A probe's result: recorded as a note (never scored), and said.
    fn checked(
        &mut self,
        at: GameTime,
        team: usize,
        passed: bool,
        text: String,
        now_unix_ms: u64,
    ) -> Vec<Effect> {
        let Some(name) = self.teams.get(team).map(|t| t.name.clone()) else {
            return Vec::new();
        };
        let note = Note {
            id: self.live_note_id(now_unix_ms),
            at,
            kind: if passed {
                NoteKind::CheckPassed
            } else {
                NoteKind::CheckFailed
            },
            team: Some(name.clone()),
            text,
        };
        self.state.apply_note(&note);
        let verdict = if passed { "passed" } else { "failed" };
        vec![
            Effect::Say(format!(
                "[{at}] {name}: endpoint check {verdict}: {}",
                note.text
            )),
            Effect::Note(note),
        ]
    }

    /// Checks a team's new URL; returns the team's index.
    fn set_url(&self, team: &str, url: &str) -> Result<usize, Refusal> {
        let index = self
            .teams
            .iter()
            .position(|t| t.name == team)
            .ok_or_else(|| Refusal::NoSuchTeam(team.to_owned()))?;
        if self.teams[index].simulated {
            return Err(simulated(team));
        }
        check_team_url(url, self.allow_private).map_err(Refusal::Invalid)?;
        Ok(index)
    }
}

/// A simulated team's endpoint is the engine's: not the team's to change or check.
fn simulated(team: &str) -> Refusal {
    Refusal::Conflict(format!(
        "{team} is a simulated team: its servers are the engine's"
    ))
}
