//! What a read model follows in a PostgreSQL ledger: batches, billing blocks and events
//! written after a position (their `seq` or `id` identity column). Only the coordinator writes
//! these tables, one transaction after another, so positions become visible in order.

use super::{BATCHES_AFTER, PostgresLedger};
use crate::LedgerError;
use crate::RecordedBatch;
use crate::rows::{
    EVENT_COLUMN_COUNT, SqlRow, batch_from_row, block_columns, block_from_row, event_columns,
    event_from_row,
};
use scoreboard_domain::{BillingBlock, ScoreEvent};

const BLOCKS_AFTER: &str = concat!(
    "SELECT seq, ",
    block_columns!(),
    " FROM blocks WHERE seq > $1 ORDER BY seq LIMIT $2"
);
const EVENTS_AFTER: &str = concat!(
    "SELECT ",
    event_columns!(),
    ", id FROM events WHERE id > $1 ORDER BY id LIMIT $2"
);

fn bounds(after: u64, limit: usize) -> (i64, i64) {
    (
        i64::try_from(after).unwrap_or(i64::MAX),
        i64::try_from(limit).unwrap_or(i64::MAX),
    )
}

impl PostgresLedger {
    pub(super) fn batches_after_seq(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, RecordedBatch)>, LedgerError> {
        let (after, limit) = bounds(after, limit);
        self.query(BATCHES_AFTER, &[&after, &limit])?
            .iter()
            .map(|r| Ok((r.u64(0)?, batch_from_row(r, 1)?)))
            .collect()
    }

    pub(super) fn blocks_after_seq(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, BillingBlock)>, LedgerError> {
        let (after, limit) = bounds(after, limit);
        self.query(BLOCKS_AFTER, &[&after, &limit])?
            .iter()
            .map(|r| Ok((r.u64(0)?, block_from_row(r, 1)?)))
            .collect()
    }

    pub(super) fn events_after_id(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, ScoreEvent)>, LedgerError> {
        let (after, limit) = bounds(after, limit);
        self.query(EVENTS_AFTER, &[&after, &limit])?
            .iter()
            .map(|r| Ok((r.u64(EVENT_COLUMN_COUNT)?, event_from_row(r)?)))
            .collect()
    }

    pub(super) fn first_event_id(&self) -> Result<Option<u64>, LedgerError> {
        let row = self.query("SELECT min(id) FROM events", &[])?;
        let first: Option<i64> = row.first().map_or(Ok(None), |r| r.try_get(0))?;
        Ok(first.map(|id| id as u64))
    }
}
