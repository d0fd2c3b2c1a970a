//! `gameday chaos`: the instructor's breaks outside a game. [`plan`] says what each break of
//! a scenario would touch, changing nothing; [`restore`] puts back the breaks a finished game
//! left in place, as its ledger recorded them, and notes each restore there.

pub mod plan;
pub mod restore;
#[cfg(test)]
mod tests;

use crate::game::GameError;
use crate::preflight::PreflightError;

/// Why a chaos command could not run at all (a team's own failure is its line, not this).
#[derive(Debug, thiserror::Error)]
pub enum ChaosError {
    #[error(transparent)]
    Scenario(#[from] PreflightError),
    /// A game is being played on the ledger: it restores its own breaks.
    #[error(
        "{0}: a running game restores its breaks itself (at their `for`), or its organizer \
         does from the admin page's Breaks card or the TUI; run `gameday chaos restore` after \
         the game ends"
    )]
    Running(GameError),
    #[error(transparent)]
    Lock(GameError),
    #[error(transparent)]
    Ledger(#[from] scoreboard_ledger::LedgerError),
    #[error("cannot start the runtime for the AWS calls")]
    Runtime(#[source] std::io::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
