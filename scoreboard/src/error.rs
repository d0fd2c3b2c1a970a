//! The error type of the scoreboard library.

/// What can go wrong while scoring or recording.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// The ledger database failed (SQLite's message and code, each once).
    #[error("ledger: {}", sqlite_text(.0))]
    Ledger(rusqlite::Error),
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

impl From<rusqlite::Error> for ScoreError {
    fn from(e: rusqlite::Error) -> Self {
        ScoreError::Ledger(e)
    }
}

/// A SQLite error and its causes, each said once: rusqlite says SQLite's message (with the
/// file name when it could not open one), and its cause says the code with the same words
/// again (`Error code 14: unable to open database file`). Not a `source` of [`ScoreError`]
/// for that reason: the text carries the whole chain.
fn sqlite_text(e: &rusqlite::Error) -> String {
    if let rusqlite::Error::SqliteFailure(code, Some(message)) = e {
        return format!("{message} (SQLite error code {})", code.extended_code);
    }
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let said = c.to_string();
        if !text.contains(&said) {
            text = format!("{text}: {said}");
        }
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sqlite_failure_is_said_once_with_its_code() {
        let e = rusqlite::Connection::open("/nonexistent/dir/x.db").unwrap_err();
        let text = ScoreError::from(e).to_string();
        assert_eq!(
            text,
            "ledger: unable to open database file: /nonexistent/dir/x.db (SQLite error code 14)"
        );
        let e = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(5), None);
        let text = ScoreError::from(e).to_string();
        assert_eq!(text.matches("locked").count(), 1, "{text}");
    }
}
