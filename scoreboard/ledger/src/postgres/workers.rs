//! The PostgreSQL ledger's side of a game split over load workers: who joined, their
//! batches, the URLs (statements and rows from the shared dialect layer, `rows::game`).

use super::*;
use crate::rows::game as g;

impl WorkerBoard for PostgresLedger {
    fn join_worker(&mut self, segment: ExecSegment, now_unix_ms: u64) -> Result<(), LedgerError> {
        let st = &self.statements;
        let tx = wait(self.client.transaction())?;
        // Workers that join together must agree on one split.
        wait(tx.batch_execute("LOCK TABLE workers IN EXCLUSIVE MODE"))?;
        let count = [rows::Value::int(segment.count())];
        if let Some(other) = rows_of(&tx, st, g::OTHER_SPLIT, &count, |r| r.u32(0))?.pop() {
            return Err(crate::split_mismatch(segment, other));
        }
        exec(
            &tx,
            st,
            g::JOIN_WORKER,
            &g::join_params(segment, now_unix_ms),
        )?;
        wait(tx.commit())?;
        Ok(())
    }

    fn workers(&self) -> Result<Vec<WorkerSeen>, LedgerError> {
        rows_of(
            &self.client,
            &self.statements,
            g::SELECT_WORKERS,
            &[],
            g::worker_from_row,
        )
    }

    fn record_segment_batches(
        &mut self,
        segment: ExecSegment,
        batches: &[RecordedBatch],
        now_unix_ms: u64,
    ) -> Result<usize, LedgerError> {
        let st = &self.statements;
        let tx = wait(self.client.transaction())?;
        // As in `record`: the coordinator reads after a cursor, so writers take turns.
        wait(tx.batch_execute("LOCK TABLE segment_batches IN EXCLUSIVE MODE"))?;
        let mut new = 0;
        for b in batches {
            new += insert_segment_batch(&tx, st, b)? as usize;
        }
        let seen = [
            rows::Value::int(now_unix_ms),
            rows::Value::int(segment.index()),
        ];
        exec(&tx, st, g::WORKER_SEEN, &seen)?;
        wait(tx.commit())?;
        Ok(new)
    }

    fn segment_batches_after(
        &self,
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<SegmentBatch>, LedgerError> {
        let bounds = [rows::Value::int(cursor), rows::Value::int(limit as u64)];
        let (client, st) = (&self.client, &self.statements);
        rows_of(client, st, rows::SEGMENT_BATCHES_AFTER, &bounds, |r| {
            Ok(SegmentBatch {
                seq: r.u64(0)?,
                recorded: batch_from_row(r, 1)?,
            })
        })
    }

    fn set_targets(&mut self, targets: &[(String, Vec<String>)]) -> Result<(), LedgerError> {
        let st = &self.statements;
        let tx = wait(self.client.transaction())?;
        for (team, urls) in targets {
            exec(&tx, st, g::SET_TARGET, &g::target_params(team, urls))?;
        }
        wait(tx.commit())?;
        Ok(())
    }

    fn targets(&self) -> Result<Vec<(String, Vec<String>)>, LedgerError> {
        rows_of(
            &self.client,
            &self.statements,
            g::SELECT_TARGETS,
            &[],
            g::target_from_row,
        )
    }
}
