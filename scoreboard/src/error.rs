//! The error type of the scoreboard library.

/// What can go wrong while scoring or recording.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// The ledger database failed.
    #[error("ledger: {0}")]
    Ledger(#[from] rusqlite::Error),
    /// The PostgreSQL ledger failed (its own message says little: the server's cause follows).
    #[cfg(feature = "postgres")]
    #[error(
        "ledger (PostgreSQL): {}{}",
        .0,
        std::error::Error::source(.0).map(|s| format!(": {s}")).unwrap_or_default()
    )]
    Postgres(#[from] tokio_postgres::Error),
    /// The ledger file belongs to another game, or to a newer gameday.
    #[error("ledger: {0}")]
    Incompatible(String),
    /// A stored record could not be read back.
    #[error("ledger: stored {what} is unreadable: {reason}")]
    Corrupt { what: String, reason: String },
    /// Rules out of range.
    #[error("rules: {0}")]
    Rules(String),
    /// The system could not give what was needed (randomness for a token).
    #[error("{0}")]
    Config(String),
    /// The ledger's thread is gone (it panicked or was shut down).
    #[error("ledger: the ledger's thread stopped")]
    Stopped,
    /// An inventory source failed (it is retried; nothing is charged twice).
    #[error("inventory for team {team}: {reason}")]
    Inventory { team: String, reason: String },
}
