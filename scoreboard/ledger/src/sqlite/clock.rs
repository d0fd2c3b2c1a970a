//! The SQLite ledger's game and clock: the meta, the runs, the pauses, the notes (statements
//! and rows from the shared dialect layer, `rows::game`).

use super::*;
use crate::rows::SqlRow;
use crate::rows::game::{self as g, session_from_row};

impl GameClock for SqliteLedger {
    fn start_or_resume(
        &mut self,
        meta: &GameMeta,
        now_unix_ms: u64,
    ) -> Result<GameSession, LedgerError> {
        let tx = self.write()?;
        let fresh = exec(&tx, g::INSERT_GAME, &g::game_params(meta, now_unix_ms))? == 1;
        if !fresh
            && let Some(old) = rows_of(&tx, g::SELECT_META, &[], |r| g::meta_from_row(r))?.pop()
            && (old.name != meta.name || old.seed != meta.seed)
        {
            return Err(LedgerError::Incompatible(format!(
                "this ledger holds game {:?} (seed {}), not {:?} (seed {}): use another file",
                old.name, old.seed, meta.name, meta.seed
            )));
        }
        let runs = rows_of(&tx, g::NEXT_RUN, &[rows::Value::Bool(fresh)], |r| {
            session_from_row(r, !fresh)
        })?;
        let session = g::the_session(runs)?;
        tx.commit()?;
        Ok(session)
    }

    fn set_pauses(
        &mut self,
        paused_ms: u64,
        paused_since_unix_ms: Option<u64>,
        events: &[ClockEvent],
    ) -> Result<(), LedgerError> {
        let tx = self.write()?;
        for e in events {
            exec(&tx, g::INSERT_CLOCK_EVENT, &g::clock_event_params(e))?;
        }
        exec(
            &tx,
            g::SET_PAUSES,
            &g::pauses_params(paused_ms, paused_since_unix_ms),
        )?;
        tx.commit()?;
        Ok(())
    }

    fn clock_events(&self) -> Result<Vec<ClockEvent>, LedgerError> {
        rows_of(&self.conn, g::SELECT_CLOCK_EVENTS, &[], |r| {
            g::clock_event_from_row(r)
        })
    }

    fn record_notes(&mut self, notes: &[Note]) -> Result<usize, LedgerError> {
        let tx = self.write()?;
        let mut new = 0;
        for n in notes {
            new += exec(&tx, rows::INSERT_NOTE, &rows::note_params(n))?;
        }
        tx.commit()?;
        Ok(new)
    }

    fn notes_after(&self, after: u64) -> Result<Vec<(u64, Note)>, LedgerError> {
        // A row's rowid is its position (the order notes were recorded in).
        let sql =
            format!("SELECT {NOTE_COLUMNS}, rowid FROM notes WHERE rowid > $1 ORDER BY rowid");
        rows_of(&self.conn, &sql, &[rows::Value::int(after)], |r| {
            Ok((r.u64(5)?, rows::note_from_row(r)?))
        })
    }

    fn session(&self) -> Result<Option<GameSession>, LedgerError> {
        Ok(rows_of(&self.conn, g::SELECT_SESSION, &[], |r| {
            session_from_row(r, true)
        })?
        .pop())
    }

    fn meta(&self) -> Result<Option<GameMeta>, LedgerError> {
        Ok(rows_of(&self.conn, g::SELECT_META, &[], |r| g::meta_from_row(r))?.pop())
    }
}
