//! What the organizer or a team asks through a view, handed to the core as a [`Command`]:
//! pause and resume the clock, freeze the public board, announce, adjust a team's points,
//! register or change a team's URL, check a team's endpoint, quit. Requests that wait for an
//! answer get the core's reply (a URL or a check: what the probe found, once it is done). A
//! view's write to the ledger (a new token, a team's name) goes to the game's one writer.

use scoreboard::live::{Control, Reply};
use scoreboard_domain::projection::EndpointCheck;
use scoreboard_ledger::WriteRequest;

use super::clock::now_unix_ms;
use super::core::{Command, Input};
use super::error::GameError;
use super::hook::HookRun;
use super::link::Asked;
use super::probe::ProbeDone;
use super::run::Game;

impl Game<'_> {
    /// Carries out one control.
    pub(crate) async fn control(&mut self, control: Control) -> Result<(), GameError> {
        let (command, reply) = match control {
            Control::Command(command, reply) => (command, reply),
            // A team's new name is a fact of the projection's: the board shows it once the
            // ledger holds it (never a name the ledger refused), before the view hears back.
            // The answer comes to the loop as a message: the loop never waits for it.
            Control::Write {
                request: WriteRequest::TeamName(name),
                reply,
            } => {
                let request = WriteRequest::TeamName(name.clone());
                return self.link.ask(request, Asked::Rename(name, reply));
            }
            Control::Write { request, reply } => {
                // Not a decision of the game's: the view's write goes to the one writer, in
                // turn with the game's own, and the writer answers the view.
                return Ok(self.link.writer.ask(request, reply)?);
            }
        };
        // Whose endpoint a probe answers, for a URL or a check.
        let team = match &command {
            Command::SetUrl { team, .. } | Command::Check { team } => Some(team.clone()),
            _ => None,
        };
        let input = Input::Command {
            at: self.at(),
            now_unix_ms: now_unix_ms(),
            command,
        };
        let effects = self.core.handle(input);
        let answer = self.apply(effects).await?;
        match (reply, answer) {
            (Reply::Done(reply), Some(answer)) => {
                let _ = reply.send(answer);
            }
            (Reply::Check(reply), Some(Err(refused))) => {
                let _ = reply.send(Err(refused));
            }
            (Reply::Check(reply), Some(Ok(()))) => {
                // The probe is on its way: the answer is what it finds.
                let index =
                    team.and_then(|team| self.scenario.teams.iter().position(|t| t.name == team));
                match index {
                    Some(index) => self.probes.wait(index, reply),
                    None => drop(reply),
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A probe finished: recorded (never scored), and answered to whoever waits for it.
    pub(crate) async fn probed(&mut self, done: ProbeDone) -> Result<(), GameError> {
        let at = self.at();
        let check = EndpointCheck {
            at,
            passed: done.passed,
            text: done.text.clone(),
        };
        self.handle(Input::Checked {
            at,
            team: done.team,
            passed: done.passed,
            text: done.text,
            now_unix_ms: now_unix_ms(),
        })
        .await?;
        // The views show it before the asker hears of it (a page that asks again at once
        // finds it there).
        self.publish();
        self.probes.answer(done.team, &check);
        Ok(())
    }

    pub(crate) fn hook_done(&mut self, hook: HookRun) -> Result<(), GameError> {
        let at = scoreboard_domain::GameTime(hook.at_ms);
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
        self.hooks.runs.push(hook);
        Ok(())
    }
}
