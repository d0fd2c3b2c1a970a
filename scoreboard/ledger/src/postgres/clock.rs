//! The PostgreSQL ledger's game and clock: the meta, the runs, the pauses, the notes
//! (statements and rows from the shared dialect layer, `rows::game`).

use super::*;
use crate::rows::game::{self as g, session_from_row};

impl GameClock for PostgresLedger {
    fn start_or_resume(
        &mut self,
        meta: &GameMeta,
        now_unix_ms: u64,
    ) -> Result<GameSession, LedgerError> {
        let st = &self.statements;
        let tx = wait(self.client.transaction())?;
        // Inserting first settles a race between processes that start the game together.
        let fresh = exec(&tx, st, g::INSERT_GAME, &g::game_params(meta, now_unix_ms))? == 1;
        if !fresh
            && let Some(old) = PostgresLedger::stored_meta(&tx, st)?
            && (old.name != meta.name || old.seed != meta.seed)
        {
            return Err(LedgerError::Incompatible(format!(
                "PostgreSQL game {} holds game {:?} (seed {}), not {:?} (seed {}): use another game id",
                self.game, old.name, old.seed, meta.name, meta.seed
            )));
        }
        let runs = rows_of(&tx, st, g::NEXT_RUN, &[rows::Value::Bool(fresh)], |r| {
            session_from_row(r, !fresh)
        })?;
        let session = g::the_session(runs)?;
        wait(tx.commit())?;
        Ok(session)
    }

    fn meta(&self) -> Result<Option<GameMeta>, LedgerError> {
        PostgresLedger::stored_meta(&self.client, &self.statements)
    }

    fn session(&self) -> Result<Option<GameSession>, LedgerError> {
        let (client, st) = (&self.client, &self.statements);
        Ok(rows_of(client, st, g::SELECT_SESSION, &[], |r| {
            session_from_row(r, true)
        })?
        .pop())
    }

    fn set_pauses(
        &mut self,
        paused_ms: u64,
        paused_since_unix_ms: Option<u64>,
        events: &[ClockEvent],
    ) -> Result<(), LedgerError> {
        let st = &self.statements;
        let tx = wait(self.client.transaction())?;
        for e in events {
            exec(&tx, st, g::INSERT_CLOCK_EVENT, &g::clock_event_params(e))?;
        }
        let pauses = g::pauses_params(paused_ms, paused_since_unix_ms);
        exec(&tx, st, g::SET_PAUSES, &pauses)?;
        wait(tx.commit())?;
        Ok(())
    }

    fn clock_events(&self) -> Result<Vec<ClockEvent>, LedgerError> {
        let (client, st) = (&self.client, &self.statements);
        rows_of(client, st, g::SELECT_CLOCK_EVENTS, &[], |r| {
            g::clock_event_from_row(r)
        })
    }

    fn record_notes(&mut self, notes: &[Note]) -> Result<usize, LedgerError> {
        let st = &self.statements;
        let tx = wait(self.client.transaction())?;
        let mut new = 0;
        for n in notes {
            new += exec(&tx, st, rows::INSERT_NOTE, &rows::note_params(n))? as usize;
        }
        wait(tx.commit())?;
        Ok(new)
    }

    fn notes_after(&self, after: u64) -> Result<Vec<(u64, Note)>, LedgerError> {
        let sql = concat!(
            "SELECT ",
            note_columns!(),
            ", seq FROM notes WHERE seq > $1 ORDER BY seq"
        );
        let (client, st) = (&self.client, &self.statements);
        rows_of(client, st, sql, &[rows::Value::int(after)], |r| {
            Ok((r.u64(5)?, rows::note_from_row(r)?))
        })
    }
}

impl PostgresLedger {
    /// Takes the game's play lock for this connection's session: a PostgreSQL advisory lock
    /// named after the game's schema, which the server lets go of when the session ends (the
    /// process ended, however, or its connection broke). `holder` says who takes it (its
    /// process), for one who finds it held. Returns `Err(who)` when another session holds it:
    /// its holder's words and since when, as far as the server tells.
    pub fn try_lock_play(&mut self, holder: &str) -> Result<Result<(), String>, LedgerError> {
        let client = &self.client;
        let taken: bool =
            wait(client.query_one("SELECT pg_try_advisory_lock(hashtext($1))", &[&self.schema]))?
                .try_get(0)?;
        // The session's name says who holds it: gameday GAME pid N (at most 63 bytes).
        let name = format!("gameday {} {holder}", self.game);
        if taken {
            wait(client.execute("SELECT set_config('application_name', $1, false)", &[&name]))?;
            return Ok(Ok(()));
        }
        let pattern = format!("gameday {} %", self.game.replace('_', "\\_"));
        let held = wait(client.query_opt(
            "SELECT substr(application_name, length($2) + 1),
                    to_char(backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
             FROM pg_stat_activity WHERE application_name LIKE $1
             ORDER BY backend_start LIMIT 1",
            &[&pattern, &format!("gameday {} ", self.game)],
        ))?;
        Ok(Err(match held {
            Some(row) => {
                let (who, since): (String, String) = (row.try_get(0)?, row.try_get(1)?);
                format!("{who}, since {since}")
            }
            None => String::new(),
        }))
    }
}
