//! The SQLite ledger: one file, WAL, every commit durable (synchronous = FULL) when it
//! returns, versioned schema migrations (sqlite/migrations.sql). What it supplies to the
//! one ledger ([`SqlLedger`]): opening, migrating, the write lock and busy retries.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::LedgerError;
use crate::rows::follow::{BY_ROWID, Follow};
use crate::rows::{SqlRow, Value};
use crate::sql::{Commit, Conn, Each, Sql, SqlLedger, migrations};

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
                other => return other.map(SqlLedger::new),
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

    /// The schema version in force.
    pub fn schema_version(&self) -> Result<usize, LedgerError> {
        let version: i64 = self
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        Ok(version as usize)
    }
}

fn open_once(path: &Path) -> Result<Connection, LedgerError> {
    let mut conn = Connection::open(path)?;
    // First: switching a new file to WAL takes a lock that processes opening it together
    // (a coordinator and its workers) must wait for, not fail on.
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    migrate(&mut conn)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), LedgerError> {
    let steps = migrations(include_str!("sqlite/migrations.sql"));
    // An immediate transaction takes the write lock before the version is read: processes
    // opening a new file together (a coordinator and its workers) migrate it once.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version = tx.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
    if version > steps.len() {
        return Err(LedgerError::Incompatible(format!(
            "schema version {version} was written by a newer gameday (this one knows {})",
            steps.len()
        )));
    }
    for (i, sql) in steps.iter().enumerate().skip(version) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
    }
    tx.commit()?;
    Ok(())
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
    fn commit(self) -> Result<(), LedgerError> {
        Ok(Transaction::commit(self)?)
    }
}

impl Conn for Connection {
    type Tx<'a> = Transaction<'a>;
    const FOLLOW: &'static Follow = &BY_ROWID;

    /// A transaction that takes the file's write lock at once (whatever tables it writes):
    /// one that began as a read would fail at its first write, without waiting, whenever
    /// another process (a worker, the coordinator) wrote in between. SQLite's busy handler
    /// waits for the lock.
    fn write(&mut self, _turns: &[&str]) -> Result<Transaction<'_>, LedgerError> {
        Ok(self.transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    fn place(&self) -> (String, &'static str) {
        ("this ledger".into(), "use another file")
    }
}
