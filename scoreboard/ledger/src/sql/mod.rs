//! The one implementation of the ledger traits, for either database: every statement is the
//! shared dialect layer's (rows/), run through a [`Conn`], and so is migrating a schema. A
//! backend supplies only how to connect, its migrations (its own `CREATE TABLE` text), its
//! locks (through [`Conn::write`] and [`Conn::migrating`]) and its busy retries.

mod game;

use scoreboard_domain::{BillingBlock, Recorded, RecordedBatch, Rules, ScoreEvent, ScoringCause};

use crate::rows::follow::{EVENTS_AFTER, FIRST_EVENT, Follow};
use crate::rows::{self, ADJUSTMENT_COLUMNS, BLOCK_COLUMNS, EVENT_COLUMNS, SqlRow, Value};
use crate::{CauseLog, EventFilter, LedgerError};

/// What a query calls with each of its rows.
pub type Each<'f> = &'f mut dyn FnMut(&dyn SqlRow) -> Result<(), LedgerError>;

/// Statements of the shared dialect layer, on a connection or in a transaction.
pub trait Sql {
    /// Runs a statement; the rows it changed.
    fn exec(&self, sql: &str, params: &[Value<'_>]) -> Result<u64, LedgerError>;
    /// Calls `each` with every row of a query, in order.
    fn each(&self, sql: &str, params: &[Value<'_>], each: Each<'_>) -> Result<(), LedgerError>;
}

/// A write transaction: nothing of it is seen until it commits.
pub trait Commit: Sql {
    /// Runs statements without parameters, several in one text (a migration).
    fn batch(&self, sql: &str) -> Result<(), LedgerError>;
    fn commit(self) -> Result<(), LedgerError>;
}

/// A database as the ledger uses it: statements on its connection, and write transactions.
pub trait Conn: Sql + Sized {
    type Tx<'a>: Commit
    where
        Self: 'a;
    /// How this database names a row's position (the catch-up statements).
    const FOLLOW: &'static Follow;
    /// Whether it takes arrays as parameters: then events go in as columns of arrays
    /// ([`rows::INSERT_EVENT_ARRAYS`]), one round trip for many events.
    const ARRAYS: bool;
    /// The schema's migrations, in one text (split by [`migrations`]).
    const MIGRATIONS: &'static str;
    /// The schema version in force: a query of one row and column (no row: version 0).
    const VERSION: &'static str;
    /// The statement that records `version` as the one in force.
    fn set_version(version: usize) -> String;
    /// Begins the transaction that migrates the schema: it holds the schema's lock, so that
    /// processes that open it together migrate it once, and [`Conn::VERSION`] can be read.
    /// A write transaction, for a database whose writes lock it all from their start.
    fn migrating(&mut self) -> Result<Self::Tx<'_>, LedgerError> {
        self.write(&[])
    }
    /// Begins a write transaction. `turns` are the tables whose writers must take turns in
    /// it: a reader follows them after a position, so their positions must become visible
    /// in order. Waits (and retries) while another process holds what it needs.
    fn write(&mut self, turns: &[&str]) -> Result<Self::Tx<'_>, LedgerError>;
    /// Where the game is, and what to do when another game is there: (`this ledger`, `use
    /// another file`).
    fn place(&self) -> (String, &'static str);
}

/// A game's ledger in a database: SQLite's [`crate::SqliteLedger`] or PostgreSQL's
/// [`crate::PostgresLedger`].
pub struct SqlLedger<C> {
    conn: C,
}

impl<C: Conn> SqlLedger<C> {
    /// The ledger on `conn`, once its schema is brought up to date in one transaction (a
    /// schema written by a newer gameday is refused).
    pub(crate) fn migrated(mut conn: C) -> Result<SqlLedger<C>, LedgerError> {
        let steps = migrations(C::MIGRATIONS);
        let (place, _) = conn.place();
        let tx = conn.migrating()?;
        let version = schema_version::<C>(&tx)?;
        if version > steps.len() {
            return Err(LedgerError::Incompatible(format!(
                "{place} has schema version {version}, written by a newer gameday (this one knows {}): \
                 use that gameday or a newer one",
                steps.len()
            )));
        }
        for (i, sql) in steps.iter().enumerate().skip(version) {
            tx.batch(sql)?;
            tx.batch(&C::set_version(i + 1))?;
        }
        tx.commit()?;
        Ok(SqlLedger { conn })
    }

    /// The schema version in force.
    pub fn schema_version(&self) -> Result<usize, LedgerError> {
        schema_version::<C>(&self.conn)
    }

    #[cfg(feature = "postgres")]
    pub(crate) fn conn(&self) -> &C {
        &self.conn
    }

    /// Calls `f` with every row of `sql` (the position first, as the [`Follow`] statements
    /// read), a chunk at a time: a long game's batch bodies do not fit in memory at once.
    fn walk(&self, sql: &str, f: Each<'_>) -> Result<(), LedgerError> {
        const CHUNK: i64 = 256;
        let mut cursor = 0;
        loop {
            let mut read = 0;
            let bounds = [Value::Int(cursor), Value::Int(CHUNK)];
            self.conn.each(sql, &bounds, &mut |r| {
                cursor = r.int(0)?;
                read += 1;
                f(r)
            })?;
            if read < CHUNK {
                return Ok(());
            }
        }
    }

    /// Every cause: batches as their rows (each reader decodes what it needs), the rest read.
    fn walk_causes(
        &self,
        f: &mut dyn FnMut(Walked) -> Result<(), LedgerError>,
    ) -> Result<(), LedgerError> {
        self.walk(C::FOLLOW.batches, &mut |r| f(Walked::Batch(r)))?;
        self.walk(C::FOLLOW.voids, &mut |r| {
            f(Walked::Other(Recorded::Void(rows::void_from_row(r, 1)?)))
        })?;
        for b in self.blocks()? {
            f(Walked::Other(Recorded::Block(b)))?;
        }
        let sql = format!("SELECT {ADJUSTMENT_COLUMNS} FROM adjustments ORDER BY at_ms, id");
        self.conn.each(&sql, &[], &mut |r| {
            f(Walked::Other(Recorded::Adjustment(
                rows::adjustment_from_row(r)?,
            )))
        })
    }

    /// Up to `limit` rows after position `after` of a [`Follow`] statement, with positions.
    fn after<T>(
        &self,
        sql: &str,
        after: u64,
        limit: usize,
        read: impl Fn(&dyn SqlRow) -> Result<T, LedgerError>,
    ) -> Result<Vec<(u64, T)>, LedgerError> {
        let bounds = [Value::int(after), Value::int(limit as u64)];
        rows_of(&self.conn, sql, &bounds, |r| Ok((r.u64(0)?, read(r)?)))
    }
}

/// The schema version in force, read on a connection or in a transaction.
fn schema_version<C: Conn>(sql: &impl Sql) -> Result<usize, LedgerError> {
    let version = rows_of(sql, C::VERSION, &[], |r| r.u64(0))?.pop();
    Ok(version.unwrap_or(0) as usize)
}

/// Inserts score events in a transaction of `C` (one already there is left as it is).
fn insert_events<C: Conn>(tx: &C::Tx<'_>, events: &[&ScoreEvent]) -> Result<(), LedgerError> {
    if C::ARRAYS {
        for chunk in events.chunks(rows::EVENT_ARRAY_CHUNK) {
            tx.exec(rows::INSERT_EVENT_ARRAYS, &rows::event_arrays(chunk))?;
        }
    } else {
        for e in events {
            tx.exec(rows::INSERT_EVENT, &rows::event_params(e))?;
        }
    }
    Ok(())
}

/// A cause as [`SqlLedger::walk_causes`] meets it.
enum Walked<'r> {
    /// A batch's row: its position, then `batch_columns!()`.
    Batch(&'r dyn SqlRow),
    Other(Recorded),
}

/// The rows of a statement of the shared dialect layer, each read by `read`.
pub(crate) fn rows_of<T>(
    sql: &(impl Sql + ?Sized),
    statement: &str,
    params: &[Value<'_>],
    read: impl Fn(&dyn SqlRow) -> Result<T, LedgerError>,
) -> Result<Vec<T>, LedgerError> {
    let mut out = Vec::new();
    sql.each(statement, params, &mut |r| {
        out.push(read(r)?);
        Ok(())
    })?;
    Ok(out)
}

impl<C: Conn> CauseLog for SqlLedger<C> {
    fn record(&mut self, items: &[(Recorded, Vec<ScoreEvent>)]) -> Result<usize, LedgerError> {
        let tx = self.conn.write(&["batches", "events"])?;
        let mut new = 0;
        let mut events = Vec::new();
        for (item, item_events) in items {
            let (sql, values) = rows::cause_insert(item);
            if tx.exec(sql, &values)? == 1 {
                events.extend(item_events);
                new += 1;
            }
        }
        insert_events::<C>(&tx, &events)?;
        tx.commit()?;
        Ok(new)
    }

    fn for_each_cause(&self, f: &mut dyn FnMut(Recorded)) -> Result<(), LedgerError> {
        self.walk_causes(&mut |walked| {
            f(match walked {
                Walked::Batch(r) => Recorded::Batch(Box::new(rows::batch_from_row(r, 1)?)),
                Walked::Other(cause) => cause,
            });
            Ok(())
        })
    }

    fn for_each_scoring_cause(&self, f: &mut dyn FnMut(ScoringCause)) -> Result<(), LedgerError> {
        self.walk_causes(&mut |walked| {
            f(match walked {
                Walked::Batch(r) => ScoringCause::Batch(rows::facts_from_row(r, 1)?),
                Walked::Other(cause) => ScoringCause::from(cause),
            });
            Ok(())
        })
    }

    fn blocks(&self) -> Result<Vec<BillingBlock>, LedgerError> {
        let sql = format!("SELECT {BLOCK_COLUMNS} FROM blocks ORDER BY at_ms");
        rows_of(&self.conn, &sql, &[], |r| rows::block_from_row(r, 0))
    }

    fn events(&self, filter: &EventFilter) -> Result<Vec<ScoreEvent>, LedgerError> {
        // Only the conditions the filter sets, so that each shape of query has a plan that
        // fits it (a team's page walks the team's index). Without a limit, all of them are
        // sorted here: asking the database for the order walks the time index and sorts its
        // right part, twice as slow for a long game in SQLite.
        let mut conditions = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        let mut when = |condition: &str, value: Value<'static>| {
            values.push(value);
            conditions.push(format!("{condition} ${}", values.len()));
        };
        if let Some(team) = &filter.team {
            when("team =", Value::Owned(team.clone()));
        }
        if let Some(since) = filter.since.filter(|t| t.0 > 0) {
            when("at_ms >=", Value::int(since.0));
        }
        if let Some(source) = filter.source {
            when("source =", Value::Text(source.name()));
        }
        if let Some(before) = filter.before {
            when("at_ms <", Value::int(before.0));
        }
        let mut sql = format!("SELECT {EVENT_COLUMNS} FROM events");
        if !conditions.is_empty() {
            sql += " WHERE ";
            sql += &conditions.join(" AND ");
        }
        // The newest `limit` events when paging.
        if let Some(limit) = filter.limit {
            values.push(Value::int(limit as u64));
            sql += &format!(
                " ORDER BY at_ms DESC, cause DESC, seq DESC LIMIT ${}",
                values.len()
            );
        }
        let mut events = rows_of(&self.conn, &sql, &values, rows::event_from_row)?;
        if filter.limit.is_none() {
            crate::sort_events(&mut events);
        }
        Ok(events)
    }

    fn batches_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, RecordedBatch)>, LedgerError> {
        self.after(C::FOLLOW.batches, after, limit, |r| {
            rows::batch_from_row(r, 1)
        })
    }

    fn blocks_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, BillingBlock)>, LedgerError> {
        self.after(C::FOLLOW.blocks, after, limit, |r| {
            rows::block_from_row(r, 1)
        })
    }

    fn events_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, ScoreEvent)>, LedgerError> {
        let bounds = [Value::int(after), Value::int(limit as u64)];
        rows_of(&self.conn, EVENTS_AFTER, &bounds, |r| {
            Ok((r.u64(rows::EVENT_COLUMN_COUNT)?, rows::event_from_row(r)?))
        })
    }

    fn first_event(&self) -> Result<Option<u64>, LedgerError> {
        let first = rows_of(&self.conn, FIRST_EVENT, &[], |r| r.opt_int(0))?;
        Ok(first.into_iter().flatten().next().map(|id| id as u64))
    }

    fn replace_events(&mut self, rules: &Rules, events: &[ScoreEvent]) -> Result<(), LedgerError> {
        let tx = self.conn.write(&["events"])?;
        tx.exec("DELETE FROM events", &[])?;
        insert_events::<C>(&tx, &events.iter().collect::<Vec<_>>())?;
        if let Some(mut meta) = game::stored_meta(&tx)? {
            meta.rules = rules.clone();
            tx.exec(rows::game::SET_RULES, &rows::game::meta_params(&meta))?;
        }
        tx.commit()
    }
}

/// The migrations of a schema file, in order: each begins at a line `-- N: what it adds`
/// (what comes before the first is the file's own comment).
pub(crate) fn migrations(text: &'static str) -> Vec<&'static str> {
    let mut starts = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let numbered = line.strip_prefix("-- ").is_some_and(|rest| {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            digits > 0 && rest[digits..].starts_with(':')
        });
        if numbered {
            starts.push(offset);
        }
        offset += line.len();
    }
    let ends = starts.iter().skip(1).copied().chain([text.len()]);
    starts.iter().zip(ends).map(|(&s, e)| &text[s..e]).collect()
}

#[cfg(test)]
mod tests {
    use super::migrations;

    #[test]
    fn schema_files_split_into_their_numbered_migrations() {
        let sqlite = migrations(include_str!("../sqlite/migrations.sql"));
        #[cfg(feature = "postgres")]
        assert_eq!(
            migrations(include_str!("../postgres/migrations.sql")).len(),
            sqlite.len()
        );
        assert_eq!(sqlite.len(), 9);
        for (i, m) in sqlite.iter().enumerate() {
            assert!(m.starts_with(&format!("-- {}:", i + 1)), "{m}");
        }
        assert!(sqlite[0].contains("CREATE TABLE game") && !sqlite[0].contains("paused_ms"));
        assert!(sqlite[7].contains("ADD COLUMN count"));
        assert!(sqlite[8].contains("'team_name'"));
    }
}
