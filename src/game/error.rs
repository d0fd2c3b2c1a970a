//! Why a game could not run.

#[derive(Debug, thiserror::Error)]
pub enum GameError {
    #[error("expected answers: {0}")]
    Answers(#[from] hashref::HashrefError),
    /// The ledger's own message says it is the ledger.
    #[error(transparent)]
    Ledger(#[from] scoreboard_ledger::LedgerError),
    /// The scoring domain refused (rules out of range); its message says what.
    #[error(transparent)]
    Score(#[from] scoreboard_domain::ScoreError),
    #[error("load engine: {0}")]
    Engine(#[from] loadgen::LoadgenError),
    #[error("simulated team: {0}")]
    Fleet(#[from] crate::fleet::FleetError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Unsupported(String),
    /// Stopped before the game began (while it waited for its load workers).
    #[error(
        "{why} while waiting for load workers ({joined} had joined): nothing was played; the same command waits for them again"
    )]
    NotStarted { why: super::Signal, joined: usize },
    /// Another process plays the game in this ledger.
    #[error("the game in {ledger} is being played by {holder}")]
    Busy { ledger: String, holder: String },
    #[error("cannot lock the ledger for this game: {}", path.display())]
    Lock {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}
