//! What the organizer asks through a view, handed to the core as a [`Command`]: pause and
//! resume the clock, freeze the public board, announce, adjust a team's points, change a
//! team's URL, quit. Requests that wait for an answer get the core's reply. A view's write
//! to the ledger (a new token, a team's name) goes to the game's one writer.

use scoreboard::live::Control;

use super::clock::now_unix_ms;
use super::core::{Command, Input};
use super::error::GameError;
use super::run::Game;
use super::timeline::HookRun;

impl Game<'_> {
    /// Carries out one control.
    pub(crate) async fn control(&mut self, control: Control) -> Result<(), GameError> {
        let (command, reply) = match control {
            Control::Pause => (Command::Pause, None),
            Control::Resume => (Command::Resume, None),
            Control::Freeze => {
                let public = self.live.view().now().public.clone();
                (Command::Freeze { public }, None)
            }
            Control::Unfreeze => (Command::Unfreeze, None),
            Control::Announce(text) => (Command::Announce(text), None),
            Control::Adjust {
                team,
                points,
                reason,
                by,
                request,
                reply,
            } => (
                Command::Adjust {
                    team,
                    points,
                    reason,
                    by,
                    request,
                },
                Some(reply),
            ),
            Control::SetUrl { team, url, reply } => (Command::SetUrl { team, url }, Some(reply)),
            Control::Write { request, reply } => {
                // Not a decision of the game's: the view's write goes to the one writer, in
                // turn with the game's own, and the writer answers the view.
                return Ok(self.writer.ask(request, reply)?);
            }
            Control::Quit => (Command::Quit, None),
        };
        let input = Input::Command {
            at: self.at(),
            now_unix_ms: now_unix_ms(),
            command,
        };
        let effects = self.core.handle(input);
        let answer = self.apply(effects).await?;
        if let (Some(reply), Some(answer)) = (reply, answer) {
            let _ = reply.send(answer);
        }
        Ok(())
    }

    pub(crate) fn hook_done(&mut self, hook: HookRun) -> Result<(), GameError> {
        let at = scoreboard::GameTime(hook.at_ms);
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
