//! Where one test of the ledger suite keeps its ledger: a SQLite file in a temporary folder,
//! or a game of its own on the private PostgreSQL server.

use std::path::PathBuf;

use scoreboard_ledger::{Ledger, LedgerError, SqliteLedger};

/// Where one test's ledger lives, in one kind of ledger.
pub trait Store {
    /// Opens the ledger; each call is a new handle on the same game.
    fn try_open(&self) -> Result<Box<dyn Ledger>, LedgerError>;
    fn open(&self) -> Box<dyn Ledger> {
        self.try_open().unwrap()
    }
    fn schema_version(&self) -> usize;
    /// Marks the ledger as written by a gameday newer than this one.
    fn write_newer_schema_version(&self);
    /// Makes the ledger one of schema 7, before events had a kind and a count: their
    /// columns go, and the version says 7.
    fn write_schema_7(&self);
    /// Makes the ledger one of schema 8, before a team's name was also a note: the names'
    /// notes go, and the version says 8.
    fn write_schema_8(&self);
    /// What someone who got at the stored token digests would read.
    fn token_bytes(&self) -> Vec<u8>;
    /// Where the refusal of another game's ledger sends the user.
    fn use_another(&self) -> &'static str;
}

pub struct SqliteStore {
    dir: tempfile::TempDir,
}

impl SqliteStore {
    pub fn new(_test: &str) -> SqliteStore {
        SqliteStore {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("game.db")
    }
}

impl Store for SqliteStore {
    fn try_open(&self) -> Result<Box<dyn Ledger>, LedgerError> {
        Ok(Box::new(SqliteLedger::open(&self.path())?))
    }

    fn schema_version(&self) -> usize {
        SqliteLedger::open(&self.path())
            .unwrap()
            .schema_version()
            .unwrap()
    }

    fn write_newer_schema_version(&self) {
        let conn = rusqlite::Connection::open(self.path()).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }

    fn write_schema_7(&self) {
        let conn = rusqlite::Connection::open(self.path()).unwrap();
        conn.execute_batch(
            "ALTER TABLE events DROP COLUMN kind; ALTER TABLE events DROP COLUMN count;
             PRAGMA user_version = 7;",
        )
        .unwrap();
    }

    fn write_schema_8(&self) {
        let conn = rusqlite::Connection::open(self.path()).unwrap();
        conn.execute_batch("DELETE FROM notes WHERE kind = 'team_name'; PRAGMA user_version = 8;")
            .unwrap();
    }

    fn token_bytes(&self) -> Vec<u8> {
        // The database and its write-ahead log (where fresh writes sit).
        let mut file = std::fs::read(self.path()).unwrap();
        file.extend(std::fs::read(self.dir.path().join("game.db-wal")).unwrap_or_default());
        file
    }

    fn use_another(&self) -> &'static str {
        "use another file"
    }
}

#[cfg(feature = "postgres")]
pub use postgres_store::PostgresStore;

#[cfg(feature = "postgres")]
mod postgres_store {
    use scoreboard_ledger::PostgresLedger;
    use scoreboard_ledger::{Ledger, LedgerError};

    use super::Store;
    use crate::support::postgres as server;

    /// A game of its own on the test server.
    pub struct PostgresStore {
        pub game: String,
    }

    impl PostgresStore {
        pub fn new(test: &str) -> PostgresStore {
            PostgresStore {
                game: server::game_id(test),
            }
        }

        pub fn connect(&self) -> Result<PostgresLedger, LedgerError> {
            PostgresLedger::connect(server::url(), &self.game)
        }

        /// A plain client, in the game's schema.
        fn client(&self) -> postgres::Client {
            let schema = scoreboard_ledger::game_schema(&self.game).unwrap();
            let mut client = postgres::Client::connect(server::url(), postgres::NoTls).unwrap();
            client
                .batch_execute(&format!("SET search_path TO \"{schema}\""))
                .unwrap();
            client
        }
    }

    impl Store for PostgresStore {
        fn try_open(&self) -> Result<Box<dyn Ledger>, LedgerError> {
            Ok(Box::new(self.connect()?))
        }

        fn schema_version(&self) -> usize {
            self.connect().unwrap().schema_version().unwrap()
        }

        fn write_newer_schema_version(&self) {
            self.client()
                .execute("UPDATE schema_version SET version = 99", &[])
                .unwrap();
        }

        fn write_schema_7(&self) {
            self.client()
                .batch_execute(
                    "ALTER TABLE events DROP COLUMN kind, DROP COLUMN count;
                     UPDATE schema_version SET version = 7;",
                )
                .unwrap();
        }

        fn write_schema_8(&self) {
            self.client()
                .batch_execute(
                    "DELETE FROM notes WHERE kind = 'team_name';
                     UPDATE schema_version SET version = 8;",
                )
                .unwrap();
        }

        fn token_bytes(&self) -> Vec<u8> {
            let rows = self
                .client()
                .query("SELECT owner, hash FROM tokens", &[])
                .unwrap();
            let mut bytes = Vec::new();
            for row in rows {
                bytes.extend(row.get::<_, &str>(0).as_bytes());
                bytes.extend(row.get::<_, &[u8]>(1));
            }
            bytes
        }

        fn use_another(&self) -> &'static str {
            "use another game id"
        }
    }

    impl Drop for PostgresStore {
        fn drop(&mut self) {
            // A failed test leaves its game to look at (and a missing server must not be
            // asked for twice while unwinding).
            if std::thread::panicking() {
                return;
            }
            let schema = scoreboard_ledger::game_schema(&self.game).unwrap();
            let _ = self
                .client()
                .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
        }
    }
}
