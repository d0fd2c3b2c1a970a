//! The error type of the ledger: what its databases, its stored rows and its writer thread
//! can fail with (the domain's own errors pass through).

use scoreboard_domain::ScoreError;

/// What can go wrong while recording or reading a ledger.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The ledger database failed (SQLite's message and code, each once).
    #[error("ledger: {}", sqlite_text(.0))]
    Sqlite(rusqlite::Error),
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
    /// The ledger cannot be opened or used as asked (a bad location, a thread that would
    /// not start, an answer the writer should not have given): what, in words.
    #[error("{0}")]
    Config(String),
    /// The ledger's thread is gone (it panicked or was shut down).
    #[error("ledger: the ledger's thread stopped")]
    Stopped,
    /// The domain refused what was stored or asked (rules out of range).
    #[error(transparent)]
    Score(#[from] ScoreError),
}

impl From<rusqlite::Error> for LedgerError {
    fn from(e: rusqlite::Error) -> Self {
        LedgerError::Sqlite(e)
    }
}

/// A SQLite error and its causes, each said once: rusqlite says SQLite's message (with the
/// file name when it could not open one), and its cause says the code with the same words
/// again (`Error code 14: unable to open database file`). Not a `source` of [`LedgerError`]
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
        let text = LedgerError::from(e).to_string();
        assert_eq!(
            text,
            "ledger: unable to open database file: /nonexistent/dir/x.db (SQLite error code 14)"
        );
        let e = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(5), None);
        let text = LedgerError::from(e).to_string();
        assert_eq!(text.matches("locked").count(), 1, "{text}");
    }
}
