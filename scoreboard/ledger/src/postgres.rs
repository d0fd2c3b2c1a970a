//! The PostgreSQL ledger: one game per schema of a database that the processes of a game
//! split over machines share, each commit durable when it returns (the server's default
//! `synchronous_commit`), versioned schema migrations (postgres/migrations.sql) in step with
//! the SQLite ledger's. What it supplies to the one ledger ([`SqlLedger`]): connecting,
//! prepared statements, the lock its schema migrates under, table locks for writers that
//! take turns, and the game's play lock.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, GenericClient, Statement, Transaction};

mod io;

use io::wait;

use crate::LedgerError;
use crate::rows::Value;
use crate::rows::follow::{BY_SEQ, Follow};
use crate::sql::{Commit, Conn, Each, Sql, SqlLedger, rows_of};

/// A game's ledger in a PostgreSQL database, in a schema of its own.
pub type PostgresLedger = SqlLedger<Postgres>;

/// A connection to the game's schema, as the one ledger uses it.
pub struct Postgres {
    client: Client,
    statements: Statements,
    game: String,
    schema: String,
}

/// A write transaction, with the connection's prepared statements.
pub struct PostgresTx<'a> {
    tx: Transaction<'a>,
    statements: &'a Statements,
}

/// Statements prepared once per connection (prepared statements are not transactional:
/// they outlive the transaction they were prepared in).
type Statements = RefCell<HashMap<String, Statement>>;

/// A client, the connection or a transaction of it, with the connection's statements.
trait Prepared {
    fn parts(&self) -> (&impl GenericClient, &Statements);

    /// `sql` prepared on this connection, once.
    fn prepared(&self, sql: &str) -> Result<Statement, LedgerError> {
        let (client, statements) = self.parts();
        if let Some(statement) = statements.borrow().get(sql) {
            return Ok(statement.clone());
        }
        let statement = wait(client.prepare(sql))?;
        let mut cache = statements.borrow_mut();
        cache.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

impl Prepared for Postgres {
    fn parts(&self) -> (&impl GenericClient, &Statements) {
        (&self.client, &self.statements)
    }
}

impl Prepared for PostgresTx<'_> {
    fn parts(&self) -> (&impl GenericClient, &Statements) {
        (&self.tx, self.statements)
    }
}

impl<P: Prepared> Sql for P {
    fn exec(&self, sql: &str, params: &[Value<'_>]) -> Result<u64, LedgerError> {
        let statement = self.prepared(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|v| v as _).collect();
        Ok(wait(self.parts().0.execute(&statement, &params))?)
    }

    fn each(&self, sql: &str, params: &[Value<'_>], each: Each<'_>) -> Result<(), LedgerError> {
        let statement = self.prepared(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|v| v as _).collect();
        for row in wait(self.parts().0.query(&statement, &params))? {
            each(&row)?;
        }
        Ok(())
    }
}

impl Commit for PostgresTx<'_> {
    fn batch(&self, sql: &str) -> Result<(), LedgerError> {
        Ok(wait(self.tx.batch_execute(sql))?)
    }

    fn commit(self) -> Result<(), LedgerError> {
        Ok(wait(self.tx.commit())?)
    }
}

impl Conn for Postgres {
    type Tx<'a> = PostgresTx<'a>;
    const FOLLOW: &'static Follow = &BY_SEQ;
    const ARRAYS: bool = true;
    const MIGRATIONS: &'static str = include_str!("postgres/migrations.sql");
    const VERSION: &'static str = "SELECT version FROM schema_version";

    fn set_version(version: usize) -> String {
        format!("UPDATE schema_version SET version = {version}")
    }

    /// Creates the game's schema and its version's table if needed, under a lock of the
    /// schema's name: processes of one game start together, one migrates, the others wait.
    fn migrating(&mut self) -> Result<PostgresTx<'_>, LedgerError> {
        let schema = self.schema.clone();
        let tx = self.write(&[])?;
        let lock = format!("gameday schema {schema}");
        tx.exec(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[Value::Text(&lock)],
        )?;
        // Created only when missing: a user that may not create schemas can still use one
        // that an administrator made for it.
        let exists = "SELECT 1 FROM pg_namespace WHERE nspname = $1";
        if rows_of(&tx, exists, &[Value::Text(&schema)], |_| Ok(()))?.is_empty() {
            tx.batch(&format!("CREATE SCHEMA \"{schema}\""))?;
        }
        tx.batch(&format!(
            "CREATE TABLE IF NOT EXISTS \"{schema}\".schema_version (version BIGINT NOT NULL);
             INSERT INTO schema_version SELECT 0 WHERE NOT EXISTS (SELECT FROM schema_version)"
        ))?;
        Ok(tx)
    }

    /// A transaction that locks `turns` against other writers: numbers from a sequence are
    /// handed out at insert but seen at commit, so writers in turn make them visible in
    /// order, and a reader after a cursor never skips a row.
    fn write(&mut self, turns: &[&str]) -> Result<PostgresTx<'_>, LedgerError> {
        let tx = wait(self.client.transaction())?;
        if !turns.is_empty() {
            let lock = format!("LOCK TABLE {} IN EXCLUSIVE MODE", turns.join(", "));
            wait(tx.batch_execute(&lock))?;
        }
        Ok(PostgresTx {
            tx,
            statements: &self.statements,
        })
    }

    fn place(&self) -> (String, &'static str) {
        (
            format!("PostgreSQL game {}", self.game),
            "use another game id",
        )
    }
}

impl PostgresLedger {
    /// Connects to the database at `url` (`postgres://USER:PASSWORD@HOST/DATABASE`, or
    /// key=value pairs) and opens game `game` in it: its schema is created if missing and
    /// brought up to date. TLS is not supported: a server that requires it refuses us.
    pub fn connect(url: &str, game: &str) -> Result<PostgresLedger, LedgerError> {
        let schema = crate::game_schema(game)?;
        let mut config: tokio_postgres::Config = url.parse()?;
        if config.get_application_name().is_none() {
            config.application_name("gameday");
        }
        if config.get_connect_timeout().is_none() {
            // A host that never answers must not hang a game's start for minutes.
            config.connect_timeout(Duration::from_secs(10));
        }
        let client = io::connect(config)?;
        // Every statement reads and writes the game's schema only.
        wait(client.batch_execute(&format!("SET search_path TO \"{schema}\"")))?;
        SqlLedger::migrated(Postgres {
            client,
            statements: Statements::default(),
            game: game.to_owned(),
            schema,
        })
    }

    /// The schema that holds the game.
    pub fn schema(&self) -> &str {
        &self.conn().schema
    }

    /// Takes the game's play lock for this connection's session: a PostgreSQL advisory lock
    /// named after the game's schema, which the server lets go of when the session ends (the
    /// process ended, however, or its connection broke). `holder` says who takes it (its
    /// process), for one who finds it held. Returns `Err(who)` when another session holds it:
    /// its holder's words and since when, as far as the server tells.
    pub fn try_lock_play(&mut self, holder: &str) -> Result<Result<(), String>, LedgerError> {
        let conn = self.conn();
        let (game, schema) = (&conn.game, [Value::Text(&conn.schema)]);
        let lock = "SELECT pg_try_advisory_lock(hashtext($1))";
        if rows_of(conn, lock, &schema, |r| r.bool(0))? == [true] {
            // The session's name says who holds it: gameday GAME pid N (at most 63 bytes).
            let name = [Value::Owned(format!("gameday {game} {holder}"))];
            conn.exec("SELECT set_config('application_name', $1, false)", &name)?;
            return Ok(Ok(()));
        }
        let pattern = format!("gameday {} %", game.replace('_', "\\_"));
        let names = [
            Value::Owned(pattern),
            Value::Owned(format!("gameday {game} ")),
        ];
        let held = rows_of(conn, HOLDER, &names, |r| {
            Ok(format!("{}, since {}", r.text(0)?, r.text(1)?))
        })?;
        Ok(Err(held.into_iter().next().unwrap_or_default()))
    }
}

/// Who holds a game's play lock and since when: the oldest session whose name is like `$1`
/// (`gameday GAME %`), its name after `$2` (`gameday GAME `).
const HOLDER: &str = "SELECT substr(application_name, length($2) + 1),
        to_char(backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
    FROM pg_stat_activity WHERE application_name LIKE $1 ORDER BY backend_start LIMIT 1";
