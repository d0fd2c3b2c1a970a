//! The SQLite ledger's side of a game split over load workers: who joined, their batches,
//! the URLs (statements and rows from the shared dialect layer, `rows::game`).

use super::*;
use crate::rows::SqlRow;
use crate::rows::game as g;

impl WorkerBoard for SqliteLedger {
    fn join_worker(&mut self, segment: ExecSegment, now_unix_ms: u64) -> Result<(), LedgerError> {
        // A write transaction holds the file: workers that join together take turns.
        let tx = self.write()?;
        let count = [rows::Value::int(segment.count())];
        if let Some(other) = rows_of(&tx, g::OTHER_SPLIT, &count, |r| r.u32(0))?.pop() {
            return Err(crate::split_mismatch(segment, other));
        }
        exec(&tx, g::JOIN_WORKER, &g::join_params(segment, now_unix_ms))?;
        tx.commit()?;
        Ok(())
    }

    fn workers(&self) -> Result<Vec<WorkerSeen>, LedgerError> {
        rows_of(&self.conn, g::SELECT_WORKERS, &[], |r| {
            g::worker_from_row(r)
        })
    }

    fn record_segment_batches(
        &mut self,
        segment: ExecSegment,
        batches: &[RecordedBatch],
        now_unix_ms: u64,
    ) -> Result<usize, LedgerError> {
        let tx = self.write()?;
        let mut new = 0;
        for b in batches {
            new += insert_segment_batch(&tx, b)?;
        }
        let seen = [
            rows::Value::int(now_unix_ms),
            rows::Value::int(segment.index()),
        ];
        exec(&tx, g::WORKER_SEEN, &seen)?;
        tx.commit()?;
        Ok(new)
    }

    fn segment_batches_after(
        &self,
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<SegmentBatch>, LedgerError> {
        let bounds = [rows::Value::int(cursor), rows::Value::int(limit as u64)];
        rows_of(&self.conn, rows::SEGMENT_BATCHES_AFTER, &bounds, |r| {
            Ok(SegmentBatch {
                seq: r.u64(0)?,
                recorded: rows::batch_from_row(r, 1)?,
            })
        })
    }

    fn set_targets(&mut self, targets: &[(String, Vec<String>)]) -> Result<(), LedgerError> {
        let tx = self.write()?;
        for (team, urls) in targets {
            exec(&tx, g::SET_TARGET, &g::target_params(team, urls))?;
        }
        tx.commit()?;
        Ok(())
    }

    fn targets(&self) -> Result<Vec<(String, Vec<String>)>, LedgerError> {
        rows_of(&self.conn, g::SELECT_TARGETS, &[], |r| {
            g::target_from_row(r)
        })
    }
}
