//! The shell's hands for the instructor's breaks: a simulated team's are carried out on the
//! fleet at once; a real team's act on its AWS account off the loop (chaos.rs, a game built
//! with the `aws` feature). Each answer goes back to the core as [`Input::Broken`] or [`Input::Restored`],
//! which notes it; an error is an answer too, and never stops the game.

use std::time::Duration;

use scoreboard_domain::GameTime;
use scoreboard_domain::breaks::BreakOutcome;
use tokio::sync::mpsc;

use super::core::breaks::{BreakOrder, RestoreOrder};
use super::core::{Effect, Input};
use super::error::GameError;
use super::run::Game;

impl Game<'_> {
    /// Breaks the order's team; returns what the core makes of the answer.
    pub(crate) fn break_team(&mut self, order: BreakOrder) -> Result<Vec<Effect>, GameError> {
        let outcome = match self.servers.fleet.get_mut(&order.team) {
            Ok(fleet) => fleet.break_stack(&order.id, order.action, order.seed, order.at),
            // A real team's answer comes later, off the loop.
            Err(_) => match self.servers.chaos.start_break(order.clone()) {
                Ok(()) => return Ok(Vec::new()),
                Err(outcome) => outcome,
            },
        };
        if matches!(outcome, BreakOutcome::Done { .. }) {
            self.point_load(&order.team)?;
        }
        Ok(self.core.handle(Input::Broken {
            id: order.id,
            at: order.at,
            outcome,
        }))
    }

    /// A resumed game's break of a simulated team still in place: its new servers are broken
    /// the same way, until the restore or the mend that is due. A failure is said.
    pub(crate) fn break_again(&mut self, order: BreakOrder) -> Result<(), GameError> {
        let Ok(fleet) = self.servers.fleet.get_mut(&order.team) else {
            return Ok(());
        };
        let (team, at) = (&order.team, order.at);
        match fleet.break_stack(&order.id, order.action, order.seed, at) {
            BreakOutcome::Done { what, .. } => {
                writeln!(self.out, "[{at}] {team}: {what}")?;
                self.point_load(team)?;
            }
            BreakOutcome::Failed { reason } => {
                writeln!(self.out, "[{at}] {team}: could not break again: {reason}")?;
            }
            BreakOutcome::AlreadyMended { .. } | BreakOutcome::Mended { .. } => {}
        }
        Ok(())
    }

    /// Puts back what the order's break recorded; returns what the core makes of it.
    pub(crate) fn restore_team(&mut self, order: RestoreOrder) -> Result<Vec<Effect>, GameError> {
        let outcome = match self.servers.fleet.get_mut(&order.team) {
            Ok(fleet) => fleet.restore(&order.id, order.at),
            Err(_) => match self.servers.chaos.start_restore(order.clone()) {
                Ok(()) => return Ok(Vec::new()),
                Err(outcome) => outcome,
            },
        };
        if matches!(outcome, BreakOutcome::Done { .. }) {
            self.point_load(&order.team)?;
        }
        Ok(self.core.handle(Input::Restored {
            id: order.id,
            at: order.at,
            outcome,
        }))
    }

    /// Real teams' breaks and restores still under way when the game ends: their answers
    /// are waited for (up to `within`), so that what they changed is noted.
    pub(crate) async fn await_breaks(
        &mut self,
        answers: &mut mpsc::UnboundedReceiver<Input>,
        within: Duration,
    ) -> Result<(), GameError> {
        let left = self.core.breaks_in_flight();
        if left == 0 {
            return Ok(());
        }
        writeln!(
            self.out,
            "waiting up to {within:?} for {left} break(s) under way to answer"
        )?;
        let deadline = tokio::time::Instant::now() + within;
        while self.core.breaks_in_flight() > 0 {
            match tokio::time::timeout_at(deadline, answers.recv()).await {
                Ok(Some(answer)) => self.handle(answer).await?,
                Ok(None) | Err(_) => break,
            }
        }
        Ok(())
    }

    /// A simulated team mends a break itself; returns what the core makes of it (a note).
    pub(crate) fn mend(
        &mut self,
        id: String,
        team: &str,
        at: GameTime,
    ) -> Result<Vec<Effect>, GameError> {
        let outcome = match self.servers.fleet.get_mut(team)?.mend(&id, at) {
            Ok(Some(what)) => {
                self.point_load(team)?;
                BreakOutcome::Mended { what }
            }
            Ok(None) => BreakOutcome::Mended {
                what: "nothing was left to mend: its servers answer".to_owned(),
            },
            Err(e) => BreakOutcome::Failed {
                reason: e.to_string(),
            },
        };
        Ok(self.core.handle(Input::Mended { id, at, outcome }))
    }

    /// The load goes where the simulated team's servers now answer.
    fn point_load(&mut self, team: &str) -> Result<(), GameError> {
        let Ok(fleet) = self.servers.fleet.get_mut(team) else {
            return Ok(());
        };
        let urls = fleet.urls();
        if let Some(index) = self.scenario.teams.iter().position(|t| t.name == team) {
            self.load.set_urls(index, urls)?;
        }
        Ok(())
    }
}
