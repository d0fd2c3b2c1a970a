//! The one implementation of everything in a ledger besides its causes: the game and its
//! clock, token digests and team names, the load workers and the URLs they send to.

use loadgen_outcome::ExecSegment;
use scoreboard_domain::names::TeamName;
use scoreboard_domain::tokens::TokenHash;
use scoreboard_domain::{ClockEvent, GameMeta, GameSession, Note, RecordedBatch, SegmentBatch};

use super::{Commit, Conn, Sql, SqlLedger, rows_of};
use crate::rows::game::{self as g, session_from_row};
use crate::rows::{self, Value};
use crate::{GameClock, LedgerError, TokenStore, WorkerBoard, WorkerSeen};

/// The meta as stored, read through a connection or a transaction (None before the game
/// starts).
pub(super) fn stored_meta(sql: &(impl Sql + ?Sized)) -> Result<Option<GameMeta>, LedgerError> {
    Ok(rows_of(sql, g::SELECT_META, &[], g::meta_from_row)?.pop())
}

impl<C: Conn> GameClock for SqlLedger<C> {
    fn start_or_resume(
        &mut self,
        meta: &GameMeta,
        now_unix_ms: u64,
    ) -> Result<GameSession, LedgerError> {
        let (place, advice) = self.conn.place();
        let tx = self.conn.write(&[])?;
        // Inserting first settles a race between processes that start the game together.
        let fresh = tx.exec(g::INSERT_GAME, &g::game_params(meta, now_unix_ms))? == 1;
        if !fresh
            && let Some(old) = stored_meta(&tx)?
            && (old.name != meta.name || old.seed != meta.seed)
        {
            return Err(LedgerError::Incompatible(format!(
                "{place} holds game {:?} (seed {}), not {:?} (seed {}): {advice}",
                old.name, old.seed, meta.name, meta.seed
            )));
        }
        let runs = rows_of(&tx, g::NEXT_RUN, &[Value::Bool(fresh)], |r| {
            session_from_row(r, !fresh)
        })?;
        let session = g::the_session(runs)?;
        tx.commit()?;
        Ok(session)
    }

    fn meta(&self) -> Result<Option<GameMeta>, LedgerError> {
        stored_meta(&self.conn)
    }

    fn session(&self) -> Result<Option<GameSession>, LedgerError> {
        let sessions = rows_of(&self.conn, g::SELECT_SESSION, &[], |r| {
            session_from_row(r, true)
        })?;
        Ok(sessions.into_iter().next())
    }

    fn set_pauses(
        &mut self,
        paused_ms: u64,
        paused_since_unix_ms: Option<u64>,
        events: &[ClockEvent],
    ) -> Result<(), LedgerError> {
        let tx = self.conn.write(&[])?;
        for e in events {
            tx.exec(g::INSERT_CLOCK_EVENT, &g::clock_event_params(e))?;
        }
        let pauses = g::pauses_params(paused_ms, paused_since_unix_ms);
        tx.exec(g::SET_PAUSES, &pauses)?;
        tx.commit()
    }

    fn clock_events(&self) -> Result<Vec<ClockEvent>, LedgerError> {
        rows_of(
            &self.conn,
            g::SELECT_CLOCK_EVENTS,
            &[],
            g::clock_event_from_row,
        )
    }

    fn record_notes(&mut self, notes: &[Note]) -> Result<usize, LedgerError> {
        let tx = self.conn.write(&[])?;
        let mut new = 0;
        for n in notes {
            new += tx.exec(rows::INSERT_NOTE, &rows::note_params(n))? as usize;
        }
        tx.commit()?;
        Ok(new)
    }

    fn notes_after(&self, after: u64, limit: usize) -> Result<Vec<(u64, Note)>, LedgerError> {
        let bounds = [Value::int(after), Value::int(limit as u64)];
        rows_of(&self.conn, C::FOLLOW.notes, &bounds, |r| {
            Ok((r.u64(5)?, rows::note_from_row(r)?))
        })
    }
}

impl<C: Conn> TokenStore for SqlLedger<C> {
    fn store_token(
        &mut self,
        owner: &str,
        hash: &TokenHash,
        now_unix_ms: u64,
    ) -> Result<(), LedgerError> {
        let params = g::token_params(owner, hash, now_unix_ms);
        self.conn.exec(g::STORE_TOKEN, &params)?;
        Ok(())
    }

    fn token_hashes(&self) -> Result<Vec<(String, TokenHash)>, LedgerError> {
        rows_of(&self.conn, g::SELECT_TOKENS, &[], g::token_from_row)
    }

    fn store_team_name(&mut self, name: &TeamName) -> Result<(), LedgerError> {
        // The name, for the rules (a team names itself once), and its note, which the
        // projections that follow the ledger read after their cursor.
        let note = g::team_name_note(name);
        let tx = self.conn.write(&[])?;
        tx.exec(g::STORE_TEAM_NAME, &g::team_name_params(name))?;
        tx.exec(rows::INSERT_NOTE, &rows::note_params(&note))?;
        tx.commit()
    }

    fn team_names(&self) -> Result<Vec<TeamName>, LedgerError> {
        rows_of(&self.conn, g::SELECT_TEAM_NAMES, &[], g::team_name_from_row)
    }
}

impl<C: Conn> WorkerBoard for SqlLedger<C> {
    fn join_worker(&mut self, segment: ExecSegment, now_unix_ms: u64) -> Result<(), LedgerError> {
        // Workers that join together take turns, and must agree on one split.
        let tx = self.conn.write(&["workers"])?;
        let count = [Value::int(segment.count())];
        if let Some(other) = rows_of(&tx, g::OTHER_SPLIT, &count, |r| r.u32(0))?.pop() {
            return Err(crate::split_mismatch(segment, other));
        }
        tx.exec(g::JOIN_WORKER, &g::join_params(segment, now_unix_ms))?;
        tx.commit()
    }

    fn workers(&self) -> Result<Vec<WorkerSeen>, LedgerError> {
        rows_of(&self.conn, g::SELECT_WORKERS, &[], g::worker_from_row)
    }

    fn record_segment_batches(
        &mut self,
        segment: ExecSegment,
        batches: &[RecordedBatch],
        now_unix_ms: u64,
    ) -> Result<usize, LedgerError> {
        // As in `record`: the coordinator reads after a cursor, so writers take turns.
        let tx = self.conn.write(&["segment_batches"])?;
        let mut new = 0;
        for b in batches {
            new += tx.exec(rows::INSERT_SEGMENT_BATCH, &rows::batch_params(b))? as usize;
        }
        let seen = [Value::int(now_unix_ms), Value::int(segment.index())];
        tx.exec(g::WORKER_SEEN, &seen)?;
        tx.commit()?;
        Ok(new)
    }

    fn segment_batches_after(
        &self,
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<SegmentBatch>, LedgerError> {
        let bounds = [Value::int(cursor), Value::int(limit as u64)];
        rows_of(&self.conn, rows::SEGMENT_BATCHES_AFTER, &bounds, |r| {
            Ok(SegmentBatch {
                seq: r.u64(0)?,
                recorded: rows::batch_from_row(r, 1)?,
            })
        })
    }

    fn set_targets(&mut self, targets: &[(String, Vec<String>)]) -> Result<(), LedgerError> {
        let tx = self.conn.write(&[])?;
        for (team, urls) in targets {
            tx.exec(g::SET_TARGET, &g::target_params(team, urls))?;
        }
        tx.commit()
    }

    fn targets(&self) -> Result<Vec<(String, Vec<String>)>, LedgerError> {
        rows_of(&self.conn, g::SELECT_TARGETS, &[], g::target_from_row)
    }
}
