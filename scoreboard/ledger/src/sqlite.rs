//! The SQLite ledger: one file, WAL, every commit durable (synchronous = FULL) when it
//! returns, versioned schema migrations (sqlite/migrations.sql). What it supplies to the
//! one ledger ([`SqlLedger`]): opening, migrating, the write lock and busy retries.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::LedgerError;
use crate::rows::follow::{BY_ROWID, Follow};
use crate::rows::{SqlRow, Value};
use crate::sql::{Commit, Conn, Each, Sql, SqlLedger};

/// A ledger in one SQLite file.
pub type SqliteLedger = SqlLedger<Connection>;

impl SqliteLedger {
    /// Opens (creating if needed) the ledger at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteLedger, LedgerError> {
        // Processes that open a new file together (a coordinator and its workers) can find
        // it busy without SQLite's busy handler being asked (while another one sets up its
        // write-ahead log): they try again for a while.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match open_once(path) {
                Err(LedgerError::Sqlite(e)) if is_busy(&e) && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                other => return other,
            }
        }
    }

    /// Opens the ledger at `path`, which must exist (a typo must not start an empty game).
    pub fn open_existing(path: &Path) -> Result<SqliteLedger, LedgerError> {
        if !path.is_file() {
            return Err(LedgerError::Incompatible(format!(
                "no ledger at {}",
                path.display()
            )));
        }
        SqliteLedger::open(path)
    }
}

fn open_once(path: &Path) -> Result<SqliteLedger, LedgerError> {
    let conn = Connection::open(path)?;
    // First: switching a new file to WAL takes a lock that processes opening it together
    // (a coordinator and its workers) must wait for, not fail on.
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    SqlLedger::migrated(conn)
}

/// SQLite says another connection holds the lock it needs.
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

impl Sql for Connection {
    fn exec(&self, sql: &str, params: &[Value<'_>]) -> Result<u64, LedgerError> {
        let mut stmt = self.prepare_cached(sql)?;
        Ok(stmt.execute(rusqlite::params_from_iter(params))? as u64)
    }

    fn each(&self, sql: &str, params: &[Value<'_>], each: Each<'_>) -> Result<(), LedgerError> {
        let mut stmt = self.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
        while let Some(r) = rows.next()? {
            each(r as &dyn SqlRow)?;
        }
        Ok(())
    }
}

impl Sql for Transaction<'_> {
    fn exec(&self, sql: &str, params: &[Value<'_>]) -> Result<u64, LedgerError> {
        (**self).exec(sql, params)
    }

    fn each(&self, sql: &str, params: &[Value<'_>], each: Each<'_>) -> Result<(), LedgerError> {
        (**self).each(sql, params, each)
    }
}

impl Commit for Transaction<'_> {
    fn batch(&self, sql: &str) -> Result<(), LedgerError> {
        Ok(self.execute_batch(sql)?)
    }

    fn commit(self) -> Result<(), LedgerError> {
        Ok(Transaction::commit(self)?)
    }
}

impl Conn for Connection {
    type Tx<'a> = Transaction<'a>;
    const FOLLOW: &'static Follow = &BY_ROWID;
    const ARRAYS: bool = false;
    const MIGRATIONS: &'static str = include_str!("sqlite/migrations.sql");
    const VERSION: &'static str = "SELECT user_version FROM pragma_user_version";

    fn set_version(version: usize) -> String {
        format!("PRAGMA user_version = {version}")
    }

    /// A transaction that takes the file's write lock at once (whatever tables it writes):
    /// one that began as a read would fail at its first write, without waiting, whenever
    /// another process (a worker, the coordinator) wrote in between. SQLite's busy handler
    /// waits for the lock. So it migrates too: processes opening a new file together (a
    /// coordinator and its workers) read its version in turn, and migrate it once.
    fn write(&mut self, _turns: &[&str]) -> Result<Transaction<'_>, LedgerError> {
        Ok(self.transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    fn place(&self) -> (String, &'static str) {
        ("this ledger".into(), "use another file")
    }
}
