//! The SQLite ledger's side of a game split over load workers: who joined, their batches, the URLs.

use super::*;

impl WorkerBoard for SqliteLedger {
    fn join_worker(&mut self, segment: ExecSegment, now_unix_ms: u64) -> Result<(), ScoreError> {
        let tx = self.write()?;
        let other: Option<u32> = tx
            .query_row(
                "SELECT segments FROM workers WHERE segments <> ?1 LIMIT 1",
                [segment.count()],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(other) = other {
            return Err(crate::ledger::split_mismatch(segment, other));
        }
        tx.execute(
            "INSERT INTO workers (segment, segments, joined_unix_ms, seen_unix_ms)
             VALUES (?1, ?2, ?3, ?3)
             ON CONFLICT (segment) DO UPDATE SET seen_unix_ms = excluded.seen_unix_ms",
            params![segment.index(), segment.count(), now_unix_ms as i64],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn workers(&self) -> Result<Vec<WorkerSeen>, ScoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT segment, segments, joined_unix_ms, seen_unix_ms FROM workers ORDER BY segment",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (index, count, joined, seen) = row?;
            out.push(crate::ledger::worker_seen(index, count, joined, seen)?);
        }
        Ok(out)
    }

    fn record_segment_batches(
        &mut self,
        segment: ExecSegment,
        batches: &[RecordedBatch],
        now_unix_ms: u64,
    ) -> Result<usize, ScoreError> {
        let tx = self.write()?;
        let mut new = 0;
        for b in batches {
            new += insert_segment_batch(&tx, b)?;
        }
        tx.execute(
            "UPDATE workers SET seen_unix_ms = ?1 WHERE segment = ?2",
            params![now_unix_ms as i64, segment.index()],
        )?;
        tx.commit()?;
        Ok(new)
    }

    fn segment_batches_after(
        &self,
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<SegmentBatch>, ScoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT seq, {BATCH_COLUMNS} FROM segment_batches WHERE seq > ?1 ORDER BY seq LIMIT ?2"
        ))?;
        let mut rows = stmt.query(params![
            i64::try_from(cursor).unwrap_or(i64::MAX),
            i64::try_from(limit).unwrap_or(i64::MAX)
        ])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(SegmentBatch {
                seq: r.get::<_, i64>(0)? as u64,
                recorded: rows::batch_from_row(r, 1)?,
            });
        }
        Ok(out)
    }

    fn set_targets(&mut self, targets: &[(String, Vec<String>)]) -> Result<(), ScoreError> {
        let tx = self.write()?;
        for (team, urls) in targets {
            let urls = serde_json::to_string(urls).expect("URLs serialize");
            tx.execute(
                "INSERT INTO targets (team, urls) VALUES (?1, ?2)
                 ON CONFLICT (team) DO UPDATE SET urls = excluded.urls",
                params![team, urls],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn targets(&self) -> Result<Vec<(String, Vec<String>)>, ScoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT team, urls FROM targets ORDER BY team")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (team, urls) = row?;
            out.push((team.clone(), crate::ledger::urls_from_text(&team, &urls)?));
        }
        Ok(out)
    }
}
