//! What a read model follows in a SQLite ledger: batches, billing blocks and events written
//! after a position. A row's position is its rowid, which grows with every row written (the
//! ledger never deletes a cause; a rescore replaces every event with newer ids).

use rusqlite::{OptionalExtension, params};

use super::{SqliteLedger, collect};
use crate::LedgerError;
use crate::RecordedBatch;
use crate::rows::{
    BATCH_COLUMNS, BLOCK_COLUMNS, EVENT_COLUMN_COUNT, EVENT_COLUMNS, SqlRow, batch_from_row,
    block_from_row, event_from_row,
};
use scoreboard_domain::{BillingBlock, ScoreEvent};

impl SqliteLedger {
    pub(super) fn batches_after_rowid(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, RecordedBatch)>, LedgerError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT rowid, {BATCH_COLUMNS} FROM batches WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
        ))?;
        collect(&mut stmt, params![after as i64, limit as i64], |r| {
            Ok((r.u64(0)?, batch_from_row(r, 1)?))
        })
    }

    pub(super) fn blocks_after_rowid(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, BillingBlock)>, LedgerError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT rowid, {BLOCK_COLUMNS} FROM blocks WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
        ))?;
        collect(&mut stmt, params![after as i64, limit as i64], |r| {
            Ok((r.u64(0)?, block_from_row(r, 1)?))
        })
    }

    pub(super) fn events_after_id(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, ScoreEvent)>, LedgerError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS}, id FROM events WHERE id > ?1 ORDER BY id LIMIT ?2"
        ))?;
        collect(&mut stmt, params![after as i64, limit as i64], |r| {
            Ok((r.u64(EVENT_COLUMN_COUNT)?, event_from_row(r)?))
        })
    }

    pub(super) fn first_event_id(&self) -> Result<Option<u64>, LedgerError> {
        let first: Option<Option<i64>> = self
            .conn
            .query_row("SELECT min(id) FROM events", [], |r| r.get(0))
            .optional()?;
        Ok(first.flatten().map(|id| id as u64))
    }
}
