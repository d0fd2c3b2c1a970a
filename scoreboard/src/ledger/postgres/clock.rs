//! The PostgreSQL ledger's game and clock: the meta, the runs, the pauses, the notes.

use super::*;

impl GameClock for PostgresLedger {
    fn start_or_resume(
        &mut self,
        meta: &GameMeta,
        now_unix_ms: u64,
    ) -> Result<GameSession, ScoreError> {
        let json = serde_json::to_string(meta).expect("meta serializes");
        let mut tx = self.client.get_mut().transaction()?;
        // Inserting first settles a race between processes that start the game together.
        let fresh = tx.execute(
            "INSERT INTO game (id, meta, started_unix_ms, runs) VALUES (1, $1, $2, 1)
             ON CONFLICT (id) DO NOTHING",
            &[&json, &(now_unix_ms as i64)],
        )? == 1;
        if !fresh
            && let Some(old) = PostgresLedger::stored_meta(&mut tx)?
            && (old.name != meta.name || old.seed != meta.seed)
        {
            return Err(ScoreError::Incompatible(format!(
                "PostgreSQL game {} holds game {:?} (seed {}), not {:?} (seed {}): use another game id",
                self.game, old.name, old.seed, meta.name, meta.seed
            )));
        }
        let row = tx.query_one(
            "UPDATE game SET runs = runs + CASE WHEN $1 THEN 0 ELSE 1 END WHERE id = 1
             RETURNING started_unix_ms, runs, paused_ms, paused_since_unix_ms",
            &[&fresh],
        )?;
        let session = session_from_row(&row, !fresh)?;
        tx.commit()?;
        Ok(session)
    }

    fn meta(&self) -> Result<Option<GameMeta>, ScoreError> {
        PostgresLedger::stored_meta(&mut *self.client.borrow_mut())
    }

    fn session(&self) -> Result<Option<GameSession>, ScoreError> {
        let row = self.client.borrow_mut().query_opt(
            "SELECT started_unix_ms, runs, paused_ms, paused_since_unix_ms FROM game WHERE id = 1",
            &[],
        )?;
        row.map(|r| session_from_row(&r, true)).transpose()
    }

    fn set_pauses(
        &mut self,
        paused_ms: u64,
        paused_since_unix_ms: Option<u64>,
        events: &[ClockEvent],
    ) -> Result<(), ScoreError> {
        let mut tx = self.client.get_mut().transaction()?;
        for e in events {
            tx.execute(
                "INSERT INTO clock_events (unix_ms, paused, at_ms) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&(e.unix_ms as i64), &e.paused, &(e.at.0 as i64)],
            )?;
        }
        tx.execute(
            "UPDATE game SET paused_ms = $1, paused_since_unix_ms = $2 WHERE id = 1",
            &[&(paused_ms as i64), &paused_since_unix_ms.map(|p| p as i64)],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn clock_events(&self) -> Result<Vec<ClockEvent>, ScoreError> {
        let rows = self.query(
            "SELECT unix_ms, paused, at_ms FROM clock_events ORDER BY unix_ms, paused",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                Ok(ClockEvent {
                    unix_ms: r.u64(0)?,
                    paused: r.try_get(1)?,
                    at: r.time(2)?,
                })
            })
            .collect()
    }

    fn record_notes(&mut self, notes: &[Note]) -> Result<usize, ScoreError> {
        let mut tx = self.client.get_mut().transaction()?;
        let statement = self.statements.get(&mut tx, rows::INSERT_NOTE)?;
        let mut new = 0;
        for n in notes {
            let values = rows::note_params(n);
            let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as _).collect();
            new += tx.execute(&statement, &params)? as usize;
        }
        tx.commit()?;
        Ok(new)
    }

    fn notes(&self) -> Result<Vec<Note>, ScoreError> {
        let rows = self.query(
            concat!(
                "SELECT ",
                note_columns!(),
                " FROM notes ORDER BY at_ms, seq"
            ),
            &[],
        )?;
        rows.iter().map(rows::note_from_row).collect()
    }
}
