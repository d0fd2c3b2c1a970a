//! The SQLite ledger's game and clock: the meta, the runs, the pauses, the notes.

use super::*;

impl GameClock for SqliteLedger {
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
        events: &[ClockEvent],
    ) -> Result<(), ScoreError> {
        let tx = self.write()?;
        for e in events {
            tx.execute(
                "INSERT INTO clock_events (unix_ms, paused, at_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
                params![e.unix_ms as i64, e.paused, e.at.0 as i64],
            )?;
        }
        tx.execute(
            "UPDATE game SET paused_ms = ?1, paused_since_unix_ms = ?2 WHERE id = 1",
            params![paused_ms as i64, paused_since_unix_ms.map(|p| p as i64)],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn clock_events(&self) -> Result<Vec<ClockEvent>, ScoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT unix_ms, paused, at_ms FROM clock_events ORDER BY unix_ms, paused")?;
        let rows = stmt.query_map([], |r| {
            Ok(ClockEvent {
                unix_ms: r.get::<_, i64>(0)? as u64,
                paused: r.get(1)?,
                at: crate::GameTime(r.get::<_, i64>(2)? as u64),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn record_notes(&mut self, notes: &[Note]) -> Result<usize, ScoreError> {
        let tx = self.write()?;
        let mut new = 0;
        {
            let mut stmt = tx.prepare_cached(rows::INSERT_NOTE)?;
            for n in notes {
                new += stmt.execute(rusqlite::params_from_iter(rows::note_params(n)))?;
            }
        }
        tx.commit()?;
        Ok(new)
    }

    fn notes(&self) -> Result<Vec<Note>, ScoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {NOTE_COLUMNS} FROM notes ORDER BY at_ms, rowid"
        ))?;
        collect(&mut stmt, [], |r| rows::note_from_row(r))
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
}
