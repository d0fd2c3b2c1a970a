//! How a game is run apart from its scenario: the ledger, who sends the load, the board's
//! rhythm, the answer cache, acknowledgements and the ledger buffer.

use std::time::Duration;

use scoreboard_ledger::LedgerAt;

/// How a game is run, apart from its scenario.
#[derive(Clone, Debug)]
pub struct GameOptions {
    /// The ledger (created, or resumed when it holds this game).
    pub ledger: LedgerAt,
    /// Who sends the load.
    pub workers: Workers,
    /// How often the plain-text scoreboard is printed; zero prints only the final one.
    pub board_every: Duration,
    /// Use the on-disk cache of expected answers.
    pub answer_cache: bool,
    /// A file to append one line to for every item the ledger has committed, once it has
    /// (the crash-consistency check compares it with the ledger after a kill).
    pub acks: Option<std::path::PathBuf>,
    /// Causes that may wait in memory while the ledger is unavailable; when as many wait,
    /// the game pauses until the ledger is back.
    pub ledger_buffer: usize,
}

/// Who sends a game's load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workers {
    /// This process.
    Local,
    /// `gameday worker` processes writing to the shared ledger, each a segment of the
    /// schedule; a tick is scored when every segment's batch is in, or after `grace`.
    External { grace: Duration },
}
