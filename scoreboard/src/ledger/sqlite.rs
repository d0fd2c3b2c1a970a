//! The SQLite ledger: one file, WAL, every commit durable (synchronous = FULL) when it
//! returns, versioned schema migrations.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use super::{EventFilter, GameMeta, GameSession, Ledger, Recorded, RecordedBatch, codec};
use crate::tokens::TokenHash;
use crate::{Adjustment, BillingBlock, GameTime, Points, Rules, ScoreError, ScoreEvent, Source};

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
];

/// A ledger in one SQLite file.
pub struct SqliteLedger {
    conn: Connection,
}

impl SqliteLedger {
    /// Opens (creating if needed) the ledger at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteLedger, ScoreError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mut ledger = SqliteLedger { conn };
        ledger.migrate()?;
        Ok(ledger)
    }

    /// Opens the ledger at `path`, which must exist (a typo must not start an empty game).
    pub fn open_existing(path: &Path) -> Result<SqliteLedger, ScoreError> {
        if !path.is_file() {
            return Err(ScoreError::Incompatible(format!(
                "no ledger at {}",
                path.display()
            )));
        }
        SqliteLedger::open(path)
    }

    fn migrate(&mut self) -> Result<(), ScoreError> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        let version = version as usize;
        if version > MIGRATIONS.len() {
            return Err(ScoreError::Incompatible(format!(
                "schema version {version} was written by a newer gameday (this one knows {})",
                MIGRATIONS.len()
            )));
        }
        let tx = self.conn.transaction()?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The schema version in force.
    pub fn schema_version(&self) -> Result<usize, ScoreError> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        Ok(version as usize)
    }
}

fn insert_cause(tx: &rusqlite::Transaction, item: &Recorded) -> Result<bool, ScoreError> {
    let changed = match item {
        Recorded::Batch(recorded) => {
            let RecordedBatch { at, batch } = &**recorded;
            tx.execute(
                "INSERT OR IGNORE INTO batches (id, at_ms, team, run, worker, target, tick, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    batch.id.to_string(),
                    at.0 as i64,
                    &*batch.target,
                    batch.id.run as i64,
                    batch.id.worker,
                    batch.id.target,
                    batch.id.tick as i64,
                    codec::encode(batch)
                ],
            )?
        }
        Recorded::Block(b) => tx.execute(
            "INSERT OR IGNORE INTO blocks (team, instance, block, instance_type, anchor_ms, at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                b.team,
                b.instance,
                b.block,
                b.instance_type,
                b.anchor.0 as i64,
                b.at.0 as i64
            ],
        )?,
        Recorded::Adjustment(a) => tx.execute(
            "INSERT OR IGNORE INTO adjustments (id, at_ms, team, points, reason, by_whom)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![a.id, a.at.0 as i64, a.team, a.points.0, a.reason, a.by],
        )?,
    };
    Ok(changed == 1)
}

fn insert_events(tx: &rusqlite::Transaction, events: &[ScoreEvent]) -> Result<(), ScoreError> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR IGNORE INTO events (cause, seq, at_ms, team, source, points, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for e in events {
        stmt.execute(params![
            e.cause,
            e.seq,
            e.at.0 as i64,
            e.team,
            e.source.name(),
            e.points.0,
            e.reason
        ])?;
    }
    Ok(())
}

fn event_from_row(row: &rusqlite::Row) -> rusqlite::Result<ScoreEvent> {
    let source: String = row.get(4)?;
    Ok(ScoreEvent {
        cause: row.get(0)?,
        seq: row.get(1)?,
        at: GameTime(row.get::<_, i64>(2)? as u64),
        team: row.get(3)?,
        source: Source::parse(&source).unwrap_or(Source::Engine),
        points: Points(row.get(5)?),
        reason: row.get(6)?,
    })
}

impl Ledger for SqliteLedger {
    fn start_or_resume(
        &mut self,
        meta: &GameMeta,
        now_unix_ms: u64,
    ) -> Result<GameSession, ScoreError> {
        let tx = self.conn.transaction()?;
        let stored: Option<(String, i64, i64, i64, Option<i64>)> = tx
            .query_row(
                "SELECT meta, started_unix_ms, runs, paused_ms, paused_since_unix_ms
                 FROM game WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let session = match stored {
            None => {
                let json = serde_json::to_string(meta).expect("meta serializes");
                tx.execute(
                    "INSERT INTO game (id, meta, started_unix_ms, runs) VALUES (1, ?1, ?2, 1)",
                    params![json, now_unix_ms as i64],
                )?;
                GameSession {
                    started_unix_ms: now_unix_ms,
                    run: 1,
                    resumed: false,
                    paused_ms: 0,
                    paused_since_unix_ms: None,
                }
            }
            Some((json, started, runs, paused_ms, paused_since)) => {
                let old: GameMeta =
                    serde_json::from_str(&json).map_err(|e| ScoreError::Corrupt {
                        what: "game".into(),
                        reason: e.to_string(),
                    })?;
                if old.name != meta.name || old.seed != meta.seed {
                    return Err(ScoreError::Incompatible(format!(
                        "this ledger holds game {:?} (seed {}), not {:?} (seed {}): use another file",
                        old.name, old.seed, meta.name, meta.seed
                    )));
                }
                tx.execute("UPDATE game SET runs = runs + 1 WHERE id = 1", [])?;
                GameSession {
                    started_unix_ms: started as u64,
                    run: runs as u64 + 1,
                    resumed: true,
                    paused_ms: paused_ms as u64,
                    paused_since_unix_ms: paused_since.map(|p| p as u64),
                }
            }
        };
        tx.commit()?;
        Ok(session)
    }

    fn set_pauses(
        &mut self,
        paused_ms: u64,
        paused_since_unix_ms: Option<u64>,
    ) -> Result<(), ScoreError> {
        self.conn.execute(
            "UPDATE game SET paused_ms = ?1, paused_since_unix_ms = ?2 WHERE id = 1",
            params![paused_ms as i64, paused_since_unix_ms.map(|p| p as i64)],
        )?;
        Ok(())
    }

    fn store_token(
        &mut self,
        owner: &str,
        hash: &TokenHash,
        now_unix_ms: u64,
    ) -> Result<(), ScoreError> {
        self.conn.execute(
            "INSERT INTO tokens (owner, hash, created_unix_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (owner) DO UPDATE SET hash = excluded.hash,
                created_unix_ms = excluded.created_unix_ms",
            params![owner, &hash.0[..], now_unix_ms as i64],
        )?;
        Ok(())
    }

    fn token_hashes(&self) -> Result<Vec<(String, TokenHash)>, ScoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT owner, hash FROM tokens ORDER BY owner")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (owner, bytes) = row?;
            let hash: [u8; 32] = bytes.try_into().map_err(|_| ScoreError::Corrupt {
                what: format!("token of {owner}"),
                reason: "not a 32-byte digest".into(),
            })?;
            out.push((owner, TokenHash(hash)));
        }
        Ok(out)
    }

    fn meta(&self) -> Result<Option<GameMeta>, ScoreError> {
        let json: Option<String> = self
            .conn
            .query_row("SELECT meta FROM game WHERE id = 1", [], |r| r.get(0))
            .optional()?;
        json.map(|j| {
            serde_json::from_str(&j).map_err(|e| ScoreError::Corrupt {
                what: "game".into(),
                reason: e.to_string(),
            })
        })
        .transpose()
    }

    fn record(&mut self, items: &[(Recorded, Vec<ScoreEvent>)]) -> Result<usize, ScoreError> {
        let tx = self.conn.transaction()?;
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

    fn for_each_cause(&self, f: &mut dyn FnMut(Recorded)) -> Result<(), ScoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT at_ms, team, run, worker, target, tick, body FROM batches")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id = loadgen::BatchId {
                run: r.get::<_, i64>(2)? as u64,
                worker: r.get(3)?,
                target: r.get(4)?,
                tick: r.get::<_, i64>(5)? as u64,
            };
            let team: String = r.get(1)?;
            let body: String = r.get(6)?;
            let batch = codec::decode(id, &team, &body)?;
            let at = GameTime(r.get::<_, i64>(0)? as u64);
            f(Recorded::Batch(Box::new(RecordedBatch { at, batch })));
        }
        for b in self.blocks()? {
            f(Recorded::Block(b));
        }
        let mut stmt = self.conn.prepare(
            "SELECT id, at_ms, team, points, reason, by_whom FROM adjustments ORDER BY at_ms, id",
        )?;
        let adjustments = stmt.query_map([], |r| {
            Ok(Recorded::Adjustment(Adjustment {
                id: r.get(0)?,
                at: GameTime(r.get::<_, i64>(1)? as u64),
                team: r.get(2)?,
                points: Points(r.get(3)?),
                reason: r.get(4)?,
                by: r.get(5)?,
            }))
        })?;
        for a in adjustments {
            f(a?);
        }
        Ok(())
    }

    fn blocks(&self) -> Result<Vec<BillingBlock>, ScoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT team, instance, block, instance_type, anchor_ms, at_ms FROM blocks ORDER BY at_ms",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(BillingBlock {
                team: r.get(0)?,
                instance: r.get(1)?,
                block: r.get(2)?,
                instance_type: r.get(3)?,
                anchor: GameTime(r.get::<_, i64>(4)? as u64),
                at: GameTime(r.get::<_, i64>(5)? as u64),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn events(&self, filter: &EventFilter) -> Result<Vec<ScoreEvent>, ScoreError> {
        // The newest `limit` events when paging, else all of them in game-time order.
        let order = if filter.limit.is_some() {
            "ORDER BY at_ms DESC, cause DESC, seq DESC LIMIT ?5"
        } else {
            "ORDER BY at_ms, cause, seq LIMIT ?5"
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT cause, seq, at_ms, team, source, points, reason FROM events
             WHERE (?1 IS NULL OR team = ?1) AND at_ms >= ?2 AND (?3 IS NULL OR source = ?3)
               AND (?4 IS NULL OR at_ms < ?4)
             {order}"
        ))?;
        let since = filter.since.map_or(0, |t| t.0 as i64);
        let source = filter.source.map(Source::name);
        let before = filter
            .before
            .map(|t| i64::try_from(t.0).unwrap_or(i64::MAX));
        // SQLite reads a negative LIMIT as "no limit".
        let limit = filter
            .limit
            .map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        let rows = stmt.query_map(
            params![filter.team, since, source, before, limit],
            event_from_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn replace_events(&mut self, rules: &Rules, events: &[ScoreEvent]) -> Result<(), ScoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM events", [])?;
        insert_events(&tx, events)?;
        let json: Option<String> = tx
            .query_row("SELECT meta FROM game WHERE id = 1", [], |r| r.get(0))
            .optional()?;
        if let Some(json) = json {
            let mut meta: GameMeta =
                serde_json::from_str(&json).map_err(|e| ScoreError::Corrupt {
                    what: "game".into(),
                    reason: e.to_string(),
                })?;
            meta.rules = rules.clone();
            let json = serde_json::to_string(&meta).expect("meta serializes");
            tx.execute("UPDATE game SET meta = ?1 WHERE id = 1", params![json])?;
        }
        tx.commit()?;
        Ok(())
    }
}
