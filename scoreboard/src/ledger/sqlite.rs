//! The SQLite ledger: one file, WAL, every commit durable (synchronous = FULL) when it
//! returns, versioned schema migrations.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use loadgen::ExecSegment;

mod follow;

use super::{
    BatchFacts, EventFilter, GameMeta, GameSession, Ledger, Recorded, RecordedBatch, ScoringCause,
    SegmentBatch, WorkerSeen, codec,
};
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
];

/// The columns of a batch row, in the order [`batch_from_row`] reads them.
const BATCH_COLUMNS: &str = "at_ms, team, run, worker, target, tick, body";

/// A ledger in one SQLite file.
pub struct SqliteLedger {
    conn: Connection,
}

impl SqliteLedger {
    /// Opens (creating if needed) the ledger at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteLedger, ScoreError> {
        // Processes that open a new file together (a coordinator and its workers) can find
        // it busy without SQLite's busy handler being asked (while another one sets up its
        // write-ahead log): they try again for a while.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            match SqliteLedger::open_once(path) {
                Err(ScoreError::Ledger(e))
                    if is_busy(&e) && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => return other,
            }
        }
    }

    fn open_once(path: &Path) -> Result<SqliteLedger, ScoreError> {
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
        // An immediate transaction takes the write lock before the version is read: processes
        // opening a new file together (a coordinator and its workers) migrate it once.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let version = version as usize;
        if version > MIGRATIONS.len() {
            return Err(ScoreError::Incompatible(format!(
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
    fn write(&mut self) -> Result<rusqlite::Transaction<'_>, ScoreError> {
        Ok(self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?)
    }

    /// The schema version in force.
    pub fn schema_version(&self) -> Result<usize, ScoreError> {
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

fn insert_cause(tx: &rusqlite::Transaction, item: &Recorded) -> Result<bool, ScoreError> {
    let changed = match item {
        Recorded::Batch(recorded) => insert_batch(tx, "batches", recorded)?,
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
        Recorded::Void(v) => tx.execute(
            "INSERT OR IGNORE INTO voids (team, run, tick, at_ms, segments, missing)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                v.team,
                v.run as i64,
                v.tick as i64,
                v.at.0 as i64,
                v.segments,
                super::missing_text(&v.missing)
            ],
        )?,
    };
    Ok(changed == 1)
}

/// Inserts a batch into `batches` or `segment_batches` unless its id is there; 1 if new.
fn insert_batch(
    tx: &rusqlite::Transaction,
    table: &str,
    recorded: &RecordedBatch,
) -> Result<usize, ScoreError> {
    let RecordedBatch { at, batch } = recorded;
    let mut stmt = tx.prepare_cached(&format!(
        "INSERT OR IGNORE INTO {table} (id, {BATCH_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    ))?;
    Ok(stmt.execute(params![
        batch.id.to_string(),
        at.0 as i64,
        &*batch.target,
        batch.id.run as i64,
        batch.id.worker,
        batch.id.target,
        batch.id.tick as i64,
        codec::encode(batch)
    ])?)
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
        f: &mut dyn FnMut(Walked) -> Result<(), ScoreError>,
    ) -> Result<(), ScoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {BATCH_COLUMNS} FROM batches"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(Walked::Batch(r))?;
        }
        let mut stmt = self
            .conn
            .prepare("SELECT team, run, tick, at_ms, segments, missing FROM voids")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let missing: String = r.get(5)?;
            f(Walked::Other(Recorded::Void(crate::SegmentVoid {
                team: r.get(0)?,
                run: r.get::<_, i64>(1)? as u64,
                tick: r.get::<_, i64>(2)? as u64,
                at: GameTime(r.get::<_, i64>(3)? as u64),
                segments: r.get(4)?,
                missing: super::missing_from_text(&missing)?,
            })))?;
        }
        for b in self.blocks()? {
            f(Walked::Other(Recorded::Block(b)))?;
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
            f(Walked::Other(a?))?;
        }
        Ok(())
    }
}

/// The columns [`BATCH_COLUMNS`] of a row of `batches` or `segment_batches`, from `first`.
struct BatchRow<'r> {
    at: GameTime,
    id: loadgen::BatchId,
    team: String,
    /// Binary bodies are BLOBs; older ledgers hold JSON TEXT. Both read as bytes.
    body: &'r [u8],
}

fn batch_row<'r>(r: &'r rusqlite::Row, first: usize) -> Result<BatchRow<'r>, ScoreError> {
    Ok(BatchRow {
        at: GameTime(r.get::<_, i64>(first)? as u64),
        id: loadgen::BatchId {
            run: r.get::<_, i64>(first + 2)? as u64,
            worker: r.get(first + 3)?,
            target: r.get(first + 4)?,
            tick: r.get::<_, i64>(first + 5)? as u64,
        },
        team: r.get(first + 1)?,
        body: r
            .get_ref(first + 6)?
            .as_bytes()
            .map_err(rusqlite::Error::from)?,
    })
}

/// What the scorer reads of the row of `batches`.
fn facts_from_row(r: &rusqlite::Row) -> Result<BatchFacts, ScoreError> {
    let row = batch_row(r, 0)?;
    codec::decode_facts(row.at, row.id, row.team, row.body)
}

/// A batch from the row of `batches` or `segment_batches` whose columns, from `first`, are
/// [`BATCH_COLUMNS`].
fn batch_from_row(r: &rusqlite::Row, first: usize) -> Result<RecordedBatch, ScoreError> {
    let row = batch_row(r, first)?;
    let batch = codec::decode(row.id, &row.team, row.body)?;
    Ok(RecordedBatch { at: row.at, batch })
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

/// A billing block from `team, instance, block, instance_type, anchor_ms, at_ms`, the
/// first of them at column `at`.
fn block_from_row(r: &rusqlite::Row, at: usize) -> rusqlite::Result<BillingBlock> {
    Ok(BillingBlock {
        team: r.get(at)?,
        instance: r.get(at + 1)?,
        block: r.get(at + 2)?,
        instance_type: r.get(at + 3)?,
        anchor: GameTime(r.get::<_, i64>(at + 4)? as u64),
        at: GameTime(r.get::<_, i64>(at + 5)? as u64),
    })
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
        let tx = self.write()?;
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

    fn store_team_name(&mut self, name: &crate::names::TeamName) -> Result<(), ScoreError> {
        self.conn.execute(
            "INSERT INTO team_names (team, name, by_team) VALUES (?1, ?2, ?3)
             ON CONFLICT (team) DO UPDATE SET name = excluded.name, by_team = excluded.by_team",
            params![name.team, name.name, name.by_team],
        )?;
        Ok(())
    }

    fn team_names(&self) -> Result<Vec<crate::names::TeamName>, ScoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT team, name, by_team FROM team_names ORDER BY team")?;
        let rows = stmt.query_map([], |r| {
            Ok(crate::names::TeamName {
                team: r.get(0)?,
                name: r.get(1)?,
                by_team: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
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

    fn session(&self) -> Result<Option<GameSession>, ScoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT started_unix_ms, runs, paused_ms, paused_since_unix_ms FROM game WHERE id = 1",
                [],
                |r| {
                    Ok(GameSession {
                        started_unix_ms: r.get::<_, i64>(0)? as u64,
                        run: r.get::<_, i64>(1)? as u64,
                        resumed: true,
                        paused_ms: r.get::<_, i64>(2)? as u64,
                        paused_since_unix_ms: r.get::<_, Option<i64>>(3)?.map(|p| p as u64),
                    })
                },
            )
            .optional()?)
    }

    fn join_worker(&mut self, segment: ExecSegment, now_unix_ms: u64) -> Result<(), ScoreError> {
        let tx = self.write()?;
        let other: Option<u32> = tx
            .query_row(
                "SELECT segments FROM workers WHERE segments <> ?1 LIMIT 1",
                [segment.count()],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(other) = other {
            return Err(super::split_mismatch(segment, other));
        }
        tx.execute(
            "INSERT INTO workers (segment, segments, joined_unix_ms, seen_unix_ms)
             VALUES (?1, ?2, ?3, ?3)
             ON CONFLICT (segment) DO UPDATE SET seen_unix_ms = excluded.seen_unix_ms",
            params![segment.index(), segment.count(), now_unix_ms as i64],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn workers(&self) -> Result<Vec<WorkerSeen>, ScoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT segment, segments, joined_unix_ms, seen_unix_ms FROM workers ORDER BY segment",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (index, count, joined, seen) = row?;
            out.push(super::worker_seen(index, count, joined, seen)?);
        }
        Ok(out)
    }

    fn record_segment_batches(
        &mut self,
        segment: ExecSegment,
        batches: &[RecordedBatch],
        now_unix_ms: u64,
    ) -> Result<usize, ScoreError> {
        let tx = self.write()?;
        let mut new = 0;
        for b in batches {
            new += insert_batch(&tx, "segment_batches", b)?;
        }
        tx.execute(
            "UPDATE workers SET seen_unix_ms = ?1 WHERE segment = ?2",
            params![now_unix_ms as i64, segment.index()],
        )?;
        tx.commit()?;
        Ok(new)
    }

    fn segment_batches_after(
        &self,
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<SegmentBatch>, ScoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT seq, {BATCH_COLUMNS} FROM segment_batches WHERE seq > ?1 ORDER BY seq LIMIT ?2"
        ))?;
        let mut rows = stmt.query(params![
            i64::try_from(cursor).unwrap_or(i64::MAX),
            i64::try_from(limit).unwrap_or(i64::MAX)
        ])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(SegmentBatch {
                seq: r.get::<_, i64>(0)? as u64,
                recorded: batch_from_row(r, 1)?,
            });
        }
        Ok(out)
    }

    fn set_targets(&mut self, targets: &[(String, Vec<String>)]) -> Result<(), ScoreError> {
        let tx = self.write()?;
        for (team, urls) in targets {
            let urls = serde_json::to_string(urls).expect("URLs serialize");
            tx.execute(
                "INSERT INTO targets (team, urls) VALUES (?1, ?2)
                 ON CONFLICT (team) DO UPDATE SET urls = excluded.urls",
                params![team, urls],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn targets(&self) -> Result<Vec<(String, Vec<String>)>, ScoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT team, urls FROM targets ORDER BY team")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (team, urls) = row?;
            out.push((team.clone(), super::urls_from_text(&team, &urls)?));
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

    fn for_each_cause(&self, f: &mut dyn FnMut(Recorded)) -> Result<(), ScoreError> {
        self.walk_causes(&mut |walked| {
            f(match walked {
                Walked::Batch(r) => Recorded::Batch(Box::new(batch_from_row(r, 0)?)),
                Walked::Other(cause) => cause,
            });
            Ok(())
        })
    }

    fn for_each_scoring_cause(&self, f: &mut dyn FnMut(ScoringCause)) -> Result<(), ScoreError> {
        self.walk_causes(&mut |walked| {
            f(match walked {
                Walked::Batch(r) => ScoringCause::Batch(facts_from_row(r)?),
                Walked::Other(cause) => ScoringCause::from(cause),
            });
            Ok(())
        })
    }

    fn blocks(&self) -> Result<Vec<BillingBlock>, ScoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT team, instance, block, instance_type, anchor_ms, at_ms FROM blocks ORDER BY at_ms",
        )?;
        let rows = stmt.query_map([], |r| block_from_row(r, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn batches_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, RecordedBatch)>, ScoreError> {
        self.batches_after_rowid(after, limit)
    }

    fn blocks_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, BillingBlock)>, ScoreError> {
        self.blocks_after_rowid(after, limit)
    }

    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<(u64, ScoreEvent)>, ScoreError> {
        self.events_after_id(after, limit)
    }

    fn first_event(&self) -> Result<Option<u64>, ScoreError> {
        self.first_event_id()
    }

    fn events(&self, filter: &EventFilter) -> Result<Vec<ScoreEvent>, ScoreError> {
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
        let mut sql =
            String::from("SELECT cause, seq, at_ms, team, source, points, reason FROM events");
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
        let rows = stmt.query_map(rusqlite::params_from_iter(values), event_from_row)?;
        let mut events: Vec<ScoreEvent> = rows.collect::<Result<_, _>>()?;
        if filter.limit.is_none() {
            super::sort_events(&mut events);
        }
        Ok(events)
    }

    fn replace_events(&mut self, rules: &Rules, events: &[ScoreEvent]) -> Result<(), ScoreError> {
        let tx = self.write()?;
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
