//! The PostgreSQL ledger's side of a game split over load workers: who joined, their batches, the URLs.

use super::*;

impl WorkerBoard for PostgresLedger {
    fn join_worker(&mut self, segment: ExecSegment, now_unix_ms: u64) -> Result<(), ScoreError> {
        let mut tx = self.client.get_mut().transaction()?;
        // Workers that join together must agree on one split.
        tx.batch_execute("LOCK TABLE workers IN EXCLUSIVE MODE")?;
        let other = tx.query_opt(
            "SELECT segments FROM workers WHERE segments <> $1 LIMIT 1",
            &[&i64::from(segment.count())],
        )?;
        if let Some(other) = other {
            return Err(crate::ledger::split_mismatch(segment, other.u32(0)?));
        }
        tx.execute(
            "INSERT INTO workers (segment, segments, joined_unix_ms, seen_unix_ms)
             VALUES ($1, $2, $3, $3)
             ON CONFLICT (segment) DO UPDATE SET seen_unix_ms = excluded.seen_unix_ms",
            &[
                &i64::from(segment.index()),
                &i64::from(segment.count()),
                &(now_unix_ms as i64),
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn workers(&self) -> Result<Vec<WorkerSeen>, ScoreError> {
        let rows = self.query(
            "SELECT segment, segments, joined_unix_ms, seen_unix_ms FROM workers ORDER BY segment",
            &[],
        )?;
        rows.iter()
            .map(|r| crate::ledger::worker_seen(r.u32(0)?, r.u32(1)?, r.try_get(2)?, r.try_get(3)?))
            .collect()
    }

    fn record_segment_batches(
        &mut self,
        segment: ExecSegment,
        batches: &[RecordedBatch],
        now_unix_ms: u64,
    ) -> Result<usize, ScoreError> {
        let mut tx = self.client.get_mut().transaction()?;
        // As in `record`: the coordinator reads after a cursor, so writers take turns.
        tx.batch_execute("LOCK TABLE segment_batches IN EXCLUSIVE MODE")?;
        let mut new = 0;
        for b in batches {
            new += insert_segment_batch(&mut tx, &self.statements, b)? as usize;
        }
        tx.execute(
            "UPDATE workers SET seen_unix_ms = $1 WHERE segment = $2",
            &[&(now_unix_ms as i64), &i64::from(segment.index())],
        )?;
        tx.commit()?;
        Ok(new)
    }

    fn segment_batches_after(
        &self,
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<SegmentBatch>, ScoreError> {
        let cursor = i64::try_from(cursor).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.query(SEGMENT_BATCHES_AFTER, &[&cursor, &limit])?;
        rows.iter()
            .map(|r| {
                Ok(SegmentBatch {
                    seq: r.u64(0)?,
                    recorded: batch_from_row(r, 1)?,
                })
            })
            .collect()
    }

    fn set_targets(&mut self, targets: &[(String, Vec<String>)]) -> Result<(), ScoreError> {
        let mut tx = self.client.get_mut().transaction()?;
        for (team, urls) in targets {
            let urls = serde_json::to_string(urls).expect("URLs serialize");
            tx.execute(
                "INSERT INTO targets (team, urls) VALUES ($1, $2)
                 ON CONFLICT (team) DO UPDATE SET urls = excluded.urls",
                &[team, &urls],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn targets(&self) -> Result<Vec<(String, Vec<String>)>, ScoreError> {
        let rows = self.query("SELECT team, urls FROM targets ORDER BY team", &[])?;
        rows.iter()
            .map(|r| {
                let team: String = r.try_get(0)?;
                let urls = crate::ledger::urls_from_text(&team, r.try_get(1)?)?;
                Ok((team, urls))
            })
            .collect()
    }
}
