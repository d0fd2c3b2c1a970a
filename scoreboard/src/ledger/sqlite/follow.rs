//! What a read model follows in a SQLite ledger: batches, billing blocks and events written
//! after a position. A row's position is its rowid, which grows with every row written (the
//! ledger never deletes a cause; a rescore replaces every event with newer ids).

use rusqlite::{OptionalExtension, params};

use super::{SqliteLedger, batch_from_row, block_from_row, event_from_row};
use crate::ledger::RecordedBatch;
use crate::{BillingBlock, ScoreError, ScoreEvent};

impl SqliteLedger {
    pub(super) fn batches_after_rowid(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, RecordedBatch)>, ScoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT rowid, {} FROM batches WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
            super::BATCH_COLUMNS
        ))?;
        let mut rows = stmt.query(params![after as i64, limit as i64])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push((r.get::<_, i64>(0)? as u64, batch_from_row(r, 1)?));
        }
        Ok(out)
    }

    pub(super) fn blocks_after_rowid(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, BillingBlock)>, ScoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT rowid, team, instance, block, instance_type, anchor_ms, at_ms FROM blocks
             WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after as i64, limit as i64], |r| {
            Ok((r.get::<_, i64>(0)? as u64, block_from_row(r, 1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub(super) fn events_after_id(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, ScoreEvent)>, ScoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT cause, seq, at_ms, team, source, points, reason, id FROM events
             WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after as i64, limit as i64], |r| {
            Ok((r.get::<_, i64>(7)? as u64, event_from_row(r)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub(super) fn first_event_id(&self) -> Result<Option<u64>, ScoreError> {
        let first: Option<Option<i64>> = self
            .conn
            .query_row("SELECT min(id) FROM events", [], |r| r.get(0))
            .optional()?;
        Ok(first.flatten().map(|id| id as u64))
    }
}
