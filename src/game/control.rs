//! What the organizer asks through a view: pause and resume the clock, freeze the public
//! board, announce, adjust a team's points, change a team's URL, quit.

use scoreboard::live::Control;
use scoreboard::{Adjustment, Cause, GameTime, Points, Recorded};

use super::GameError;
use super::run::{Game, now_unix_ms};
use crate::scenario::check_team_url;

impl Game<'_> {
    /// Carries out one control.
    pub(crate) fn control(&mut self, control: Control) -> Result<(), GameError> {
        let at = GameTime::from_duration(self.load.now(self.scenario));
        match control {
            Control::Pause if !self.load.is_paused() && !self.quit => {
                self.paused_for_ledger = false;
                self.pause(at)?;
            }
            Control::Resume if self.load.is_paused() && !self.quit => self.resume(at)?,
            Control::Pause | Control::Resume => {}
            Control::Freeze => {
                if self.frozen.is_none() {
                    self.frozen = Some(self.live.view().now().public.clone());
                    writeln!(self.out, "[{at}] public scoreboard frozen")?;
                }
            }
            Control::Unfreeze => {
                if self.frozen.take().is_some() {
                    writeln!(self.out, "[{at}] public scoreboard live again")?;
                }
            }
            Control::Announce(text) => self.announce(at, text)?,
            Control::Adjust {
                team,
                points,
                reason,
                by,
                request,
                reply,
            } => {
                let result = self.adjust(
                    at,
                    Asked {
                        team,
                        points,
                        reason,
                        by,
                        request,
                    },
                );
                let _ = reply.send(result);
            }
            Control::SetUrl { team, url, reply } => {
                let result = self.set_url(at, &team, url);
                let _ = reply.send(result);
            }
            Control::Quit => {
                if !self.quit {
                    self.stop("quit")?;
                }
            }
        }
        Ok(())
    }

    /// Stops the load and the clock (the pause is stored with the ledger's next write).
    pub(crate) fn pause(&mut self, at: GameTime) -> Result<(), GameError> {
        self.load.pause(self.scenario);
        if let Some(collector) = &mut self.collector {
            collector.end_run(self.load.now(self.scenario));
        }
        self.outbox.set_pauses(self.paused_ms, Some(now_unix_ms()));
        self.flush()?;
        writeln!(self.out, "[{at}] paused: no load, the clock stands still")?;
        Ok(())
    }

    /// Starts the load again where the clock stood, as a new run (fresh batch ids). A new
    /// run needs the ledger: while it is unavailable the game stays paused.
    pub(crate) fn resume(&mut self, at: GameTime) -> Result<(), GameError> {
        let session = match self.ledger.start_or_resume(&self.meta, now_unix_ms()) {
            Ok(session) => session,
            Err(e) => {
                writeln!(
                    self.out,
                    "[{at}] cannot resume while the ledger is unavailable ({e}): still paused"
                )?;
                return self.ledger_failed(&e);
            }
        };
        self.run = session.run;
        let pause = self.load.start(self.scenario, self.run)?;
        if let Some(collector) = &mut self.collector {
            collector.begin_run(self.run, at.as_duration());
        }
        self.paused_ms += pause.as_millis() as u64;
        self.outbox.set_pauses(self.paused_ms, None);
        self.flush()?;
        writeln!(
            self.out,
            "[{at}] resumed after a pause of {}: the game ends {} later",
            humantime::format_duration(std::time::Duration::from_secs(pause.as_secs())),
            humantime::format_duration(std::time::Duration::from_secs(pause.as_secs()))
        )?;
        Ok(())
    }

    fn adjust(&mut self, at: GameTime, asked: Asked) -> Result<(), String> {
        let Asked {
            team,
            points,
            reason,
            by,
            request,
        } = asked;
        if self.state.team(&team).is_none() {
            return Err(format!("no team is called {team:?}"));
        }
        if reason.trim().is_empty() {
            return Err("an adjustment needs a reason the team can read".to_owned());
        }
        self.adjustments += 1;
        // The asker's id makes a retried request land once; without one, each is new.
        let id = match request {
            Some(request) => format!("req-{request}"),
            None => format!("r{}-a{}-{}", self.run, self.adjustments, now_unix_ms()),
        };
        if !self.adjusted.insert(Cause::Adjustment(id.clone()).key()) {
            return Ok(());
        }
        let adjustment = Adjustment {
            id,
            at,
            team,
            points,
            reason: reason.trim().to_owned(),
            by,
        };
        let recorded = Recorded::Adjustment(adjustment);
        let events = self.scorer.events(&recorded);
        self.commit(vec![(recorded, events)])
            .map_err(|e| format!("not recorded: {e}"))?;
        let _ = writeln!(self.out, "[{at}] organizer adjusted a score");
        Ok(())
    }

    fn set_url(&mut self, at: GameTime, team: &str, url: String) -> Result<(), String> {
        let index = self
            .scenario
            .teams
            .iter()
            .position(|t| t.name == team)
            .ok_or_else(|| format!("no team is called {team:?}"))?;
        if self.fleet.get_mut(team).is_ok() {
            return Err(format!(
                "{team} is a simulated team: its servers are the engine's"
            ));
        }
        check_team_url(&url, self.scenario.game.allow_private_targets)?;
        self.load
            .set_urls(index, vec![url.clone()])
            .map_err(|e| e.to_string())?;
        let _ = writeln!(self.out, "[{at}] {team} now answers at {url}");
        Ok(())
    }
}

/// An organizer's adjustment as asked for.
struct Asked {
    team: String,
    points: Points,
    reason: String,
    by: String,
    request: Option<String>,
}
