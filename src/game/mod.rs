//! The game runner: from a scenario to a played game. Builds the expected answers, opens
//! (or resumes) the ledger, starts the simulated teams and the load, and turns every outcome
//! batch and billing block into recorded score events until the game ends or is stopped.

mod board;
mod collect;
mod control;
mod expect;
mod inventory;
mod load;
mod outbox;
mod record;
mod replica;
mod report;
mod run;
mod snapshot;
mod timeline;
mod worker;

use std::time::Duration;

use scoreboard::ledger::LedgerAt;

pub use board::{format_board, format_results};
pub use expect::{Verdict, check_expectations};
pub use outbox::DEFAULT_CAPACITY as DEFAULT_LEDGER_BUFFER;
pub use replica::Replica;
pub use report::{Report, junit_xml};
pub use run::{GameOutcome, play};
pub use snapshot::{Flags, load_now, snapshot};
pub use timeline::{HookRun, describe_fault, describe_step_from};
pub use worker::{WorkerOutcome, work};

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

/// Why a game could not run.
#[derive(Debug, thiserror::Error)]
pub enum GameError {
    #[error("expected answers: {0}")]
    Answers(#[from] hashref::HashrefError),
    /// The ledger's own message says it is the ledger.
    #[error(transparent)]
    Ledger(#[from] scoreboard::ScoreError),
    #[error("load engine: {0}")]
    Engine(#[from] loadgen::LoadgenError),
    #[error("simulated team: {0}")]
    Fleet(#[from] crate::fleet::FleetError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Unsupported(String),
}
