//! The SQLite ledger: one file, WAL, every commit durable (synchronous = FULL) when it
//! returns, versioned schema migrations.

use std::path::Path;

use rusqlite::Connection;

use loadgen_outcome::ExecSegment;

mod clock;
mod follow;
mod tokens;
mod workers;

use super::prelude::*;
use super::rows::{
    self, ADJUSTMENT_COLUMNS, BATCH_COLUMNS, BLOCK_COLUMNS, EVENT_COLUMNS, NOTE_COLUMNS,
    VOID_COLUMNS,
};
use super::{
    ClockEvent, EventFilter, GameMeta, GameSession, Note, Recorded, RecordedBatch, ScoringCause,
    SegmentBatch, WorkerSeen,
};
use crate::LedgerError;
use scoreboard_domain::tokens::TokenHash;
use scoreboard_domain::{BillingBlock, Rules, ScoreEvent};

/// Schema versions, applied in order; `PRAGMA user_version` says how many are in.
const MIGRATIONS: &[&str] = &[
    // 1: the game, its causes, and the events derived from them.
    "CREATE TABLE game (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        meta TEXT NOT NULL,
        started_unix_ms INTEGER NOT NULL,
        runs INTEGER NOT NULL
     );
     CREATE TABLE batches (
        id TEXT PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        team TEXT NOT NULL,
        run INTEGER NOT NULL, worker INTEGER NOT NULL, target INTEGER NOT NULL, tick INTEGER NOT NULL,
        body TEXT NOT NULL
     );
     CREATE TABLE blocks (
        team TEXT NOT NULL, instance TEXT NOT NULL, block INTEGER NOT NULL,
        instance_type TEXT NOT NULL, anchor_ms INTEGER NOT NULL, at_ms INTEGER NOT NULL,
        PRIMARY KEY (team, instance, block)
     );
     CREATE TABLE adjustments (
        id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL, team TEXT NOT NULL,
        points INTEGER NOT NULL, reason TEXT NOT NULL, by_whom TEXT NOT NULL
     );
     CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        cause TEXT NOT NULL, seq INTEGER NOT NULL,
        at_ms INTEGER NOT NULL, team TEXT NOT NULL, source TEXT NOT NULL,
        points INTEGER NOT NULL, reason TEXT NOT NULL,
        UNIQUE (cause, seq)
     );
     CREATE INDEX events_team_at ON events (team, at_ms);
     CREATE INDEX events_at ON events (at_ms);",
    // 2: pauses of the game clock, and token digests (teams and the admin).
    "ALTER TABLE game ADD COLUMN paused_ms INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE game ADD COLUMN paused_since_unix_ms INTEGER;
     CREATE TABLE tokens (
        owner TEXT PRIMARY KEY, hash BLOB NOT NULL, created_unix_ms INTEGER NOT NULL
     );",
    // 3: a game split over load workers: their batches, the voids of missing segments,
    // the workers, and the team URLs they send to.
    "CREATE TABLE segment_batches (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        at_ms INTEGER NOT NULL,
        team TEXT NOT NULL,
        run INTEGER NOT NULL, worker INTEGER NOT NULL, target INTEGER NOT NULL, tick INTEGER NOT NULL,
        body BLOB NOT NULL
     );
     CREATE TABLE voids (
        team TEXT NOT NULL, run INTEGER NOT NULL, tick INTEGER NOT NULL,
        at_ms INTEGER NOT NULL, segments INTEGER NOT NULL, missing TEXT NOT NULL,
        PRIMARY KEY (team, run, tick)
     );
     CREATE TABLE workers (
        segment INTEGER PRIMARY KEY, segments INTEGER NOT NULL,
        joined_unix_ms INTEGER NOT NULL, seen_unix_ms INTEGER NOT NULL
     );
     CREATE TABLE targets (team TEXT PRIMARY KEY, urls TEXT NOT NULL);",
    // 4: billing blocks are followed after a position (the read model's cursor); here a
    // row's rowid is that position, so nothing changes but the version, kept in step with
    // the PostgreSQL ledger's.
    "SELECT 1;",
    // 5: teams' public names (the ids stay the keys everywhere else).
    "CREATE TABLE team_names (
        team TEXT PRIMARY KEY, name TEXT NOT NULL, by_team INTEGER NOT NULL
     );",
    // 6: the pauses and resumes of the game clock, as they happened.
    "CREATE TABLE clock_events (
        unix_ms INTEGER NOT NULL, paused INTEGER NOT NULL, at_ms INTEGER NOT NULL,
        PRIMARY KEY (unix_ms, paused)
     );",
    // 7: notes of what was said and changed (announcements, teams' new URLs), each once
    // under its id; the rowid keeps the order they were recorded in.
    "CREATE TABLE notes (
        id TEXT PRIMARY KEY, at_ms INTEGER NOT NULL, kind TEXT NOT NULL,
        team TEXT, text TEXT NOT NULL
     );",
    // 8: what each score event is about and how many outcomes it counts (NULL in the rows
    // of an older game: read back as an unknown kind counting 1).
    "ALTER TABLE events ADD COLUMN kind TEXT;
     ALTER TABLE events ADD COLUMN count INTEGER;",
];

/// A ledger in one SQLite file.
pub struct SqliteLedger {
    conn: Connection,
}

impl SqliteLedger {
    /// Opens (creating if needed) the ledger at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteLedger, LedgerError> {
        // Processes that open a new file together (a coordinator and its workers) can find
        // it busy without SQLite's busy handler being asked (while another one sets up its
        // write-ahead log): they try again for a while.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            match SqliteLedger::open_once(path) {
                Err(LedgerError::Sqlite(e))
                    if is_busy(&e) && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => return other,
            }
        }
    }

    fn open_once(path: &Path) -> Result<SqliteLedger, LedgerError> {
        let conn = Connection::open(path)?;
        // First: switching a new file to WAL takes a lock that processes opening it together
        // (a coordinator and its workers) must wait for, not fail on.
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        let mut ledger = SqliteLedger { conn };
        ledger.migrate()?;
        Ok(ledger)
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

    fn migrate(&mut self) -> Result<(), LedgerError> {
        // An immediate transaction takes the write lock before the version is read: processes
        // opening a new file together (a coordinator and its workers) migrate it once.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let version = version as usize;
        if version > MIGRATIONS.len() {
            return Err(LedgerError::Incompatible(format!(
                "schema version {version} was written by a newer gameday (this one knows {})",
                MIGRATIONS.len()
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// A write transaction that takes the write lock at once: one that began as a read
    /// would fail at its first write, without waiting, whenever another process (a worker,
    /// the coordinator) wrote in between.
    fn write(&mut self) -> Result<rusqlite::Transaction<'_>, LedgerError> {
        Ok(self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?)
    }

    /// The schema version in force.
    pub fn schema_version(&self) -> Result<usize, LedgerError> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        Ok(version as usize)
    }
}

/// SQLite says another connection holds the lock it needs.
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

fn insert_cause(tx: &rusqlite::Transaction, item: &Recorded) -> Result<bool, LedgerError> {
    let (sql, values) = rows::cause_insert(item);
    Ok(exec(tx, sql, &values)? == 1)
}

/// Inserts a worker's batch into `segment_batches` unless its id is there; 1 if new.
fn insert_segment_batch(
    tx: &rusqlite::Transaction,
    recorded: &RecordedBatch,
) -> Result<usize, LedgerError> {
    exec(
        tx,
        rows::INSERT_SEGMENT_BATCH,
        &rows::batch_params(recorded),
    )
}

/// Runs a statement of the shared dialect layer; the rows it changed.
fn exec(conn: &Connection, sql: &str, params: &[rows::Value]) -> Result<usize, LedgerError> {
    Ok(conn
        .prepare_cached(sql)?
        .execute(rusqlite::params_from_iter(params))?)
}

/// The rows of a statement of the shared dialect layer, each read by `read`.
fn rows_of<T>(
    conn: &Connection,
    sql: &str,
    params: &[rows::Value],
    read: impl Fn(&rusqlite::Row) -> Result<T, LedgerError>,
) -> Result<Vec<T>, LedgerError> {
    let mut stmt = conn.prepare_cached(sql)?;
    collect(&mut stmt, rusqlite::params_from_iter(params), read)
}

/// Every row of `stmt` run with `params`, each read by `read`.
fn collect<T>(
    stmt: &mut rusqlite::Statement,
    params: impl rusqlite::Params,
    read: impl Fn(&rusqlite::Row) -> Result<T, LedgerError>,
) -> Result<Vec<T>, LedgerError> {
    let mut rows = stmt.query(params)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(read(r)?);
    }
    Ok(out)
}

/// A cause as [`SqliteLedger::walk_causes`] meets it.
enum Walked<'r> {
    Batch(&'r rusqlite::Row<'r>),
    Other(Recorded),
}

impl SqliteLedger {
    /// Every cause: batches as their rows (each reader decodes what it needs), the rest read.
    fn walk_causes(
        &self,
        f: &mut dyn FnMut(Walked) -> Result<(), LedgerError>,
    ) -> Result<(), LedgerError> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {BATCH_COLUMNS} FROM batches"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(Walked::Batch(r))?;
        }
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {VOID_COLUMNS} FROM voids"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(Walked::Other(Recorded::Void(rows::void_from_row(r, 0)?)))?;
        }
        for b in self.blocks()? {
            f(Walked::Other(Recorded::Block(b)))?;
        }
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ADJUSTMENT_COLUMNS} FROM adjustments ORDER BY at_ms, id"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(Walked::Other(Recorded::Adjustment(
                rows::adjustment_from_row(r)?,
            )))?;
        }
        Ok(())
    }
}

fn insert_events(tx: &rusqlite::Transaction, events: &[ScoreEvent]) -> Result<(), LedgerError> {
    let mut stmt = tx.prepare_cached(rows::INSERT_EVENT)?;
    for e in events {
        stmt.execute(rusqlite::params_from_iter(rows::event_params(e)))?;
    }
    Ok(())
}

impl CauseLog for SqliteLedger {
    fn record(&mut self, items: &[(Recorded, Vec<ScoreEvent>)]) -> Result<usize, LedgerError> {
        let tx = self.write()?;
        let mut new = 0;
        for (item, events) in items {
            if insert_cause(&tx, item)? {
                insert_events(&tx, events)?;
                new += 1;
            }
        }
        tx.commit()?;
        Ok(new)
    }

    fn for_each_cause(&self, f: &mut dyn FnMut(Recorded)) -> Result<(), LedgerError> {
        self.walk_causes(&mut |walked| {
            f(match walked {
                Walked::Batch(r) => Recorded::Batch(Box::new(rows::batch_from_row(r, 0)?)),
                Walked::Other(cause) => cause,
            });
            Ok(())
        })
    }

    fn for_each_scoring_cause(&self, f: &mut dyn FnMut(ScoringCause)) -> Result<(), LedgerError> {
        self.walk_causes(&mut |walked| {
            f(match walked {
                Walked::Batch(r) => ScoringCause::Batch(rows::facts_from_row(r)?),
                Walked::Other(cause) => ScoringCause::from(cause),
            });
            Ok(())
        })
    }

    fn blocks(&self) -> Result<Vec<BillingBlock>, LedgerError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {BLOCK_COLUMNS} FROM blocks ORDER BY at_ms"
        ))?;
        collect(&mut stmt, [], |r| rows::block_from_row(r, 0))
    }

    fn batches_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, RecordedBatch)>, LedgerError> {
        self.batches_after_rowid(after, limit)
    }

    fn blocks_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, BillingBlock)>, LedgerError> {
        self.blocks_after_rowid(after, limit)
    }

    fn events_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, ScoreEvent)>, LedgerError> {
        self.events_after_id(after, limit)
    }

    fn first_event(&self) -> Result<Option<u64>, LedgerError> {
        self.first_event_id()
    }

    fn events(&self, filter: &EventFilter) -> Result<Vec<ScoreEvent>, LedgerError> {
        use rusqlite::types::Value;
        // Only the conditions the filter sets: without any, all events are one scan of the
        // table, sorted here (asking SQLite for the order walks the time index and sorts
        // its right part: twice as slow for a long game).
        let mut conditions = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        let mut when = |condition: &str, value: Value| {
            values.push(value);
            conditions.push(format!("{condition} ?{}", values.len()));
        };
        if let Some(team) = &filter.team {
            when("team =", Value::Text(team.clone()));
        }
        if let Some(since) = filter.since.filter(|t| t.0 > 0) {
            when("at_ms >=", Value::Integer(since.0 as i64));
        }
        if let Some(source) = filter.source {
            when("source =", Value::Text(source.name().into()));
        }
        if let Some(before) = filter.before {
            when(
                "at_ms <",
                Value::Integer(i64::try_from(before.0).unwrap_or(i64::MAX)),
            );
        }
        // The newest `limit` events when paging.
        if let Some(limit) = filter.limit {
            values.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        }
        let mut sql = format!("SELECT {EVENT_COLUMNS} FROM events");
        if !conditions.is_empty() {
            sql += " WHERE ";
            sql += &conditions.join(" AND ");
        }
        if filter.limit.is_some() {
            sql += &format!(
                " ORDER BY at_ms DESC, cause DESC, seq DESC LIMIT ?{}",
                values.len()
            );
        }
        let mut stmt = self.conn.prepare(&sql)?;
        let mut events = collect(&mut stmt, rusqlite::params_from_iter(values), |r| {
            rows::event_from_row(r)
        })?;
        if filter.limit.is_none() {
            super::sort_events(&mut events);
        }
        Ok(events)
    }

    fn replace_events(&mut self, rules: &Rules, events: &[ScoreEvent]) -> Result<(), LedgerError> {
        let tx = self.write()?;
        tx.execute("DELETE FROM events", [])?;
        insert_events(&tx, events)?;
        let stored = rows_of(&tx, rows::game::SELECT_META, &[], |r| {
            rows::game::meta_from_row(r)
        })?;
        if let Some(mut meta) = stored.into_iter().next() {
            meta.rules = rules.clone();
            exec(&tx, rows::game::SET_RULES, &rows::game::meta_params(&meta))?;
        }
        tx.commit()?;
        Ok(())
    }
}
