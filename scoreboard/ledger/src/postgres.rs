//! The PostgreSQL ledger: one game per schema of a database that the processes of a game
//! split over machines share, each commit durable when it returns (the server's default
//! `synchronous_commit`), versioned schema migrations in step with the SQLite ledger's.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use loadgen_outcome::ExecSegment;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, GenericClient, Row, Statement, Transaction};

mod clock;
mod follow;
mod io;
mod tokens;
mod workers;

use io::wait;

use super::prelude::*;
use super::rows::{
    self, EVENT_COLUMNS, SqlRow, adjustment_columns, batch_columns, batch_from_row, block_columns,
    block_from_row, event_columns, event_from_row, note_columns, void_columns,
};
use super::{
    ClockEvent, EventFilter, GameMeta, GameSession, Note, Recorded, RecordedBatch, SegmentBatch,
    WorkerSeen,
};
use crate::LedgerError;
use scoreboard_domain::tokens::TokenHash;
use scoreboard_domain::{BillingBlock, Rules, ScoreEvent};

/// Schema versions, applied in order (the same steps as the SQLite ledger's, so a version
/// means the same tables in both); the `schema_version` table says how many are in.
///
/// Text that is sorted or compared is `COLLATE "C"`: byte order, as in SQLite and in Rust,
/// whatever the database's locale. `seq` (and `events.id`) grow with every row written, for
/// readers that poll for rows after a cursor.
const MIGRATIONS: &[&str] = &[
    // 1: the game, its causes, and the events derived from them.
    r#"CREATE TABLE game (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        meta TEXT NOT NULL,
        started_unix_ms BIGINT NOT NULL,
        runs BIGINT NOT NULL
     );
     CREATE TABLE batches (
        seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
        id TEXT COLLATE "C" PRIMARY KEY,
        at_ms BIGINT NOT NULL,
        team TEXT COLLATE "C" NOT NULL,
        run BIGINT NOT NULL, worker BIGINT NOT NULL, target BIGINT NOT NULL, tick BIGINT NOT NULL,
        body BYTEA NOT NULL
     );
     CREATE TABLE blocks (
        team TEXT COLLATE "C" NOT NULL, instance TEXT COLLATE "C" NOT NULL, block BIGINT NOT NULL,
        instance_type TEXT NOT NULL, anchor_ms BIGINT NOT NULL, at_ms BIGINT NOT NULL,
        PRIMARY KEY (team, instance, block)
     );
     CREATE TABLE adjustments (
        id TEXT COLLATE "C" PRIMARY KEY, at_ms BIGINT NOT NULL, team TEXT COLLATE "C" NOT NULL,
        points BIGINT NOT NULL, reason TEXT NOT NULL, by_whom TEXT NOT NULL
     );
     CREATE TABLE events (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        cause TEXT COLLATE "C" NOT NULL, seq BIGINT NOT NULL,
        at_ms BIGINT NOT NULL, team TEXT COLLATE "C" NOT NULL, source TEXT NOT NULL,
        points BIGINT NOT NULL, reason TEXT NOT NULL,
        UNIQUE (cause, seq)
     );
     CREATE INDEX events_team_at ON events (team, at_ms);
     CREATE INDEX events_at ON events (at_ms);"#,
    // 2: pauses of the game clock, and token digests (teams and the admin).
    r#"ALTER TABLE game ADD COLUMN paused_ms BIGINT NOT NULL DEFAULT 0;
     ALTER TABLE game ADD COLUMN paused_since_unix_ms BIGINT;
     CREATE TABLE tokens (
        owner TEXT COLLATE "C" PRIMARY KEY, hash BYTEA NOT NULL, created_unix_ms BIGINT NOT NULL
     );"#,
    // 3: a game split over load workers: their batches, the voids of missing segments,
    // the workers, and the team URLs they send to.
    r#"CREATE TABLE segment_batches (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id TEXT COLLATE "C" NOT NULL UNIQUE,
        at_ms BIGINT NOT NULL,
        team TEXT COLLATE "C" NOT NULL,
        run BIGINT NOT NULL, worker BIGINT NOT NULL, target BIGINT NOT NULL, tick BIGINT NOT NULL,
        body BYTEA NOT NULL
     );
     CREATE TABLE voids (
        seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
        team TEXT COLLATE "C" NOT NULL, run BIGINT NOT NULL, tick BIGINT NOT NULL,
        at_ms BIGINT NOT NULL, segments BIGINT NOT NULL, missing TEXT NOT NULL,
        PRIMARY KEY (team, run, tick)
     );
     CREATE TABLE workers (
        segment BIGINT PRIMARY KEY, segments BIGINT NOT NULL,
        joined_unix_ms BIGINT NOT NULL, seen_unix_ms BIGINT NOT NULL
     );
     CREATE TABLE targets (team TEXT COLLATE "C" PRIMARY KEY, urls TEXT NOT NULL);"#,
    // 4: billing blocks are followed after a position too (the read model's cursor).
    r#"ALTER TABLE blocks ADD COLUMN seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE;"#,
    // 5: teams' public names (the ids stay the keys everywhere else).
    r#"CREATE TABLE team_names (
        team TEXT COLLATE "C" PRIMARY KEY, name TEXT NOT NULL, by_team BOOLEAN NOT NULL
     );"#,
    // 6: the pauses and resumes of the game clock, as they happened.
    r#"CREATE TABLE clock_events (
        unix_ms BIGINT NOT NULL, paused BOOLEAN NOT NULL, at_ms BIGINT NOT NULL,
        PRIMARY KEY (unix_ms, paused)
     );"#,
    // 7: notes of what was said and changed (announcements, teams' new URLs), each once
    // under its id; `seq` keeps the order they were recorded in.
    r#"CREATE TABLE notes (
        seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
        id TEXT COLLATE "C" PRIMARY KEY, at_ms BIGINT NOT NULL, kind TEXT NOT NULL,
        team TEXT COLLATE "C", text TEXT NOT NULL
     );"#,
    // 8: what each score event is about and how many outcomes it counts (NULL in the rows
    // of an older game: read back as an unknown kind counting 1).
    r#"ALTER TABLE events ADD COLUMN kind TEXT, ADD COLUMN count BIGINT;"#,
];

/// Events go in as columns of arrays: one round trip for many events.
const INSERT_EVENTS: &str = concat!(
    "INSERT INTO events (",
    event_columns!(),
    ") SELECT * FROM UNNEST($1::TEXT[], $2::BIGINT[], $3::BIGINT[], $4::TEXT[], $5::TEXT[],
                          $6::BIGINT[], $7::TEXT[], $8::TEXT[], $9::BIGINT[])
     ON CONFLICT (cause, seq) DO NOTHING"
);
/// The next chunk of batches (columns from 1 as [`batch_from_row`] reads them).
const BATCHES_AFTER: &str = concat!(
    "SELECT seq, ",
    batch_columns!(),
    " FROM batches WHERE seq > $1 ORDER BY seq LIMIT $2"
);
const VOIDS_AFTER: &str = concat!(
    "SELECT seq, ",
    void_columns!(),
    " FROM voids WHERE seq > $1 ORDER BY seq LIMIT $2"
);

/// Rows read at a time while walking the causes: a long game's batch bodies do not fit in
/// memory at once.
const WALK_CHUNK: i64 = 256;
/// Events sent in one statement.
const EVENT_CHUNK: usize = 2_000;

/// A game's ledger in a PostgreSQL database, in a schema of its own.
pub struct PostgresLedger {
    client: Client,
    statements: Statements,
    game: String,
    schema: String,
}

/// Statements prepared once per connection (prepared statements are not transactional:
/// they outlive the transaction they were prepared in).
#[derive(Default)]
struct Statements(RefCell<HashMap<String, Statement>>);

impl Statements {
    fn get(
        &self,
        client: &impl GenericClient,
        sql: &str,
    ) -> Result<Statement, tokio_postgres::Error> {
        if let Some(statement) = self.0.borrow().get(sql) {
            return Ok(statement.clone());
        }
        let statement = wait(client.prepare(sql))?;
        self.0
            .borrow_mut()
            .insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

/// Runs a statement of the shared dialect layer on a connection or in a transaction; the
/// rows it changed.
fn exec(
    client: &impl GenericClient,
    statements: &Statements,
    sql: &str,
    params: &[rows::Value],
) -> Result<u64, LedgerError> {
    let statement = statements.get(client, sql)?;
    let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|v| v as _).collect();
    Ok(wait(client.execute(&statement, &params))?)
}

/// The rows of a statement of the shared dialect layer, each read by `read`.
fn rows_of<T>(
    client: &impl GenericClient,
    statements: &Statements,
    sql: &str,
    params: &[rows::Value],
    read: impl Fn(&Row) -> Result<T, LedgerError>,
) -> Result<Vec<T>, LedgerError> {
    let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|v| v as _).collect();
    prepared_query(client, statements, sql, &params)?
        .iter()
        .map(read)
        .collect()
}

/// The rows of `sql`, prepared once per connection.
fn prepared_query(
    client: &impl GenericClient,
    statements: &Statements,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>, LedgerError> {
    let statement = statements.get(client, sql)?;
    Ok(wait(client.query(&statement, params))?)
}

/// `name` as a quoted SQL identifier.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl PostgresLedger {
    /// Connects to the database at `url` (`postgres://USER:PASSWORD@HOST/DATABASE`, or
    /// key=value pairs) and opens game `game` in it: its schema is created if missing and
    /// brought up to date. TLS is not supported: a server that requires it refuses us.
    pub fn connect(url: &str, game: &str) -> Result<PostgresLedger, LedgerError> {
        let schema = PostgresLedger::schema_for(game)?;
        let mut config: tokio_postgres::Config = url.parse()?;
        if config.get_application_name().is_none() {
            config.application_name("gameday");
        }
        if config.get_connect_timeout().is_none() {
            // A host that never answers must not hang a game's start for minutes.
            config.connect_timeout(Duration::from_secs(10));
        }
        let mut client = io::connect(config)?;
        // Every statement reads and writes the game's schema only.
        wait(client.batch_execute(&format!("SET search_path TO {}", quote_ident(&schema))))?;
        migrate(&mut client, game, &schema)?;
        Ok(PostgresLedger {
            client,
            statements: Statements::default(),
            game: game.to_owned(),
            schema,
        })
    }

    /// The schema of game `game`, after checking that the id is one: 1 to 40 of `a-z`,
    /// `0-9`, `_` and `-`. The prefix keeps games clear of `public` and of PostgreSQL's own
    /// `pg_*` schemas.
    pub fn schema_for(game: &str) -> Result<String, LedgerError> {
        let valid = (1..=40).contains(&game.len())
            && game
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !valid {
            return Err(LedgerError::Config(format!(
                "game id {game:?} is not one: 1 to 40 lower-case letters, digits, - and _"
            )));
        }
        Ok(format!("gameday_{game}"))
    }

    /// The schema that holds the game.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The schema version in force.
    pub fn schema_version(&self) -> Result<usize, LedgerError> {
        let row = wait(
            self.client
                .query_opt("SELECT version FROM schema_version", &[]),
        )?;
        Ok(row.map_or(Ok(0), |r| r.try_get::<_, i64>(0))? as usize)
    }

    /// The rows of a prepared statement.
    fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, LedgerError> {
        prepared_query(&self.client, &self.statements, sql, params)
    }

    /// Calls `f` with every row of `sql`, which reads `WHERE seq > $1 ORDER BY seq LIMIT $2`
    /// with `seq` first, a chunk at a time.
    fn walk(
        &self,
        sql: &'static str,
        f: &mut dyn FnMut(&Row) -> Result<(), LedgerError>,
    ) -> Result<(), LedgerError> {
        let mut cursor = 0i64;
        loop {
            let rows = self.query(sql, &[&cursor, &WALK_CHUNK])?;
            for row in &rows {
                f(row)?;
            }
            match rows.last() {
                Some(last) if rows.len() as i64 == WALK_CHUNK => cursor = last.try_get(0)?,
                _ => return Ok(()),
            }
        }
    }

    /// The meta as stored, read through a connection or a transaction (None before the
    /// game starts).
    fn stored_meta(
        client: &impl GenericClient,
        statements: &Statements,
    ) -> Result<Option<GameMeta>, LedgerError> {
        let meta = rows_of(client, statements, rows::game::SELECT_META, &[], |r| {
            rows::game::meta_from_row(r)
        })?;
        Ok(meta.into_iter().next())
    }
}

/// Creates the schema if needed and applies the migrations it lacks, in one transaction.
fn migrate(client: &mut Client, game: &str, schema: &str) -> Result<(), LedgerError> {
    let tx = wait(client.transaction())?;
    // Processes of one game start together: one creates and migrates, the others wait.
    wait(tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &[&format!("gameday schema {schema}")],
    ))?;
    // Created only when missing: a user that may not create schemas can still use one that
    // an administrator made for it.
    let exists =
        wait(tx.query_opt("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&schema]))?.is_some();
    let schema = quote_ident(schema);
    if !exists {
        wait(tx.batch_execute(&format!("CREATE SCHEMA {schema}")))?;
    }
    wait(tx.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {schema}.schema_version (version BIGINT NOT NULL)"
    )))?;
    let version = match wait(tx.query_opt("SELECT version FROM schema_version", &[]))? {
        Some(row) => row.try_get::<_, i64>(0)? as usize,
        None => {
            wait(tx.execute("INSERT INTO schema_version (version) VALUES (0)", &[]))?;
            0
        }
    };
    if version > MIGRATIONS.len() {
        return Err(LedgerError::Incompatible(format!(
            "game {game}: schema version {version} was written by a newer gameday (this one knows {})",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        wait(tx.batch_execute(sql))?;
        wait(tx.execute(
            "UPDATE schema_version SET version = $1",
            &[&((i + 1) as i64)],
        ))?;
    }
    wait(tx.commit())?;
    Ok(())
}

fn insert_cause(
    tx: &Transaction<'_>,
    statements: &Statements,
    item: &Recorded,
) -> Result<bool, LedgerError> {
    let (sql, values) = rows::cause_insert(item);
    Ok(exec(tx, statements, sql, &values)? == 1)
}

/// Inserts a worker's batch unless its id is there; 1 if new.
fn insert_segment_batch(
    tx: &Transaction<'_>,
    statements: &Statements,
    recorded: &RecordedBatch,
) -> Result<u64, LedgerError> {
    let values = rows::batch_params(recorded);
    exec(tx, statements, rows::INSERT_SEGMENT_BATCH, &values)
}

fn insert_events(
    tx: &Transaction<'_>,
    statements: &Statements,
    events: &[&ScoreEvent],
) -> Result<(), LedgerError> {
    let statement = statements.get(tx, INSERT_EVENTS)?;
    for chunk in events.chunks(EVENT_CHUNK) {
        let cause: Vec<&str> = chunk.iter().map(|e| e.cause.as_str()).collect();
        let seq: Vec<i64> = chunk.iter().map(|e| i64::from(e.seq)).collect();
        let at: Vec<i64> = chunk.iter().map(|e| e.at.0 as i64).collect();
        let team: Vec<&str> = chunk.iter().map(|e| e.team.as_str()).collect();
        let source: Vec<&str> = chunk.iter().map(|e| e.source.name()).collect();
        let points: Vec<i64> = chunk.iter().map(|e| e.points.0).collect();
        let reason: Vec<&str> = chunk.iter().map(|e| e.reason.as_str()).collect();
        let kind: Vec<String> = chunk.iter().map(|e| e.kind.name().into_owned()).collect();
        let count: Vec<i64> = chunk
            .iter()
            .map(|e| i64::try_from(e.count).unwrap_or(i64::MAX))
            .collect();
        wait(tx.execute(
            &statement,
            &[
                &cause, &seq, &at, &team, &source, &points, &reason, &kind, &count,
            ],
        ))?;
    }
    Ok(())
}

impl CauseLog for PostgresLedger {
    fn record(&mut self, items: &[(Recorded, Vec<ScoreEvent>)]) -> Result<usize, LedgerError> {
        let tx = wait(self.client.transaction())?;
        // Numbers from a sequence are handed out at insert but seen at commit: writers in
        // turn make them visible in order, so a reader after a cursor never skips a row.
        wait(tx.batch_execute("LOCK TABLE batches, events IN EXCLUSIVE MODE"))?;
        let mut new = 0;
        let mut events = Vec::new();
        for (item, item_events) in items {
            if insert_cause(&tx, &self.statements, item)? {
                events.extend(item_events);
                new += 1;
            }
        }
        insert_events(&tx, &self.statements, &events)?;
        wait(tx.commit())?;
        Ok(new)
    }

    fn for_each_cause(&self, f: &mut dyn FnMut(Recorded)) -> Result<(), LedgerError> {
        self.walk(BATCHES_AFTER, &mut |r| {
            f(Recorded::Batch(Box::new(batch_from_row(r, 1)?)));
            Ok(())
        })?;
        self.walk(VOIDS_AFTER, &mut |r| {
            f(Recorded::Void(rows::void_from_row(r, 1)?));
            Ok(())
        })?;
        for b in self.blocks()? {
            f(Recorded::Block(b));
        }
        let rows = self.query(
            concat!(
                "SELECT ",
                adjustment_columns!(),
                " FROM adjustments ORDER BY at_ms, id"
            ),
            &[],
        )?;
        for r in &rows {
            f(Recorded::Adjustment(rows::adjustment_from_row(r)?));
        }
        Ok(())
    }

    fn blocks(&self) -> Result<Vec<BillingBlock>, LedgerError> {
        let rows = self.query(
            concat!("SELECT ", block_columns!(), " FROM blocks ORDER BY at_ms"),
            &[],
        )?;
        rows.iter().map(|r| block_from_row(r, 0)).collect()
    }

    fn events(&self, filter: &EventFilter) -> Result<Vec<ScoreEvent>, LedgerError> {
        // Only the conditions the filter sets, so that each shape of query is prepared once
        // with a plan that fits it (a team's page walks the team's index).
        let mut conditions = Vec::new();
        let mut values: Vec<rows::Value> = Vec::new();
        let mut when = |condition: &str, value: rows::Value<'static>| {
            values.push(value);
            conditions.push(format!("{condition} ${}", values.len()));
        };
        if let Some(team) = &filter.team {
            when("team =", rows::Value::Owned(team.clone()));
        }
        if let Some(since) = filter.since.filter(|t| t.0 > 0) {
            when("at_ms >=", rows::Value::Int(since.0 as i64));
        }
        if let Some(source) = filter.source {
            when("source =", rows::Value::Text(source.name()));
        }
        if let Some(before) = filter.before {
            let before = i64::try_from(before.0).unwrap_or(i64::MAX);
            when("at_ms <", rows::Value::Int(before));
        }
        let mut sql = format!("SELECT {EVENT_COLUMNS} FROM events");
        if !conditions.is_empty() {
            sql += " WHERE ";
            sql += &conditions.join(" AND ");
        }
        // The newest `limit` events when paging, else all of them in game-time order.
        match filter.limit {
            Some(limit) => {
                values.push(rows::Value::Int(i64::try_from(limit).unwrap_or(i64::MAX)));
                sql += &format!(
                    " ORDER BY at_ms DESC, cause DESC, seq DESC LIMIT ${}",
                    values.len()
                );
            }
            None => sql += " ORDER BY at_ms, cause, seq",
        }
        let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as _).collect();
        let rows = self.query(&sql, &params)?;
        rows.iter().map(event_from_row).collect()
    }

    fn batches_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, RecordedBatch)>, LedgerError> {
        self.batches_after_seq(after, limit)
    }

    fn blocks_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, BillingBlock)>, LedgerError> {
        self.blocks_after_seq(after, limit)
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

    fn replace_events(&mut self, rules: &Rules, events: &[ScoreEvent]) -> Result<(), LedgerError> {
        let tx = wait(self.client.transaction())?;
        wait(tx.batch_execute("LOCK TABLE events IN EXCLUSIVE MODE; DELETE FROM events"))?;
        let events: Vec<&ScoreEvent> = events.iter().collect();
        insert_events(&tx, &self.statements, &events)?;
        if let Some(mut meta) = PostgresLedger::stored_meta(&tx, &self.statements)? {
            meta.rules = rules.clone();
            let params = rows::game::meta_params(&meta);
            exec(&tx, &self.statements, rows::game::SET_RULES, &params)?;
        }
        wait(tx.commit())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn game_ids_name_schemas_and_nothing_else_does() {
        let schema = PostgresLedger::schema_for;
        assert_eq!(schema("spring-day_2").unwrap(), "gameday_spring-day_2");
        assert_eq!(schema(&"a".repeat(40)).unwrap().len(), 48);
        for bad in ["", "Spring", "a b", "a\"b", "x;drop", "é", &"a".repeat(41)] {
            let err = schema(bad).unwrap_err().to_string();
            assert!(
                err.contains("lower-case letters, digits, - and _"),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("gameday_a-b"), "\"gameday_a-b\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
