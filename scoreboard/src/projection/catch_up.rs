//! A projection that follows a ledger: each refresh reads only what was written after its
//! cursor, a chunk at a time, so a replica's work per refresh is what is new, not the game.

use super::GameProjection;
use crate::{Ledger, Recorded, ScoreError, ScoreEvent};

/// Where a projection stands in its ledger: the position of the last batch, block and event
/// it applied (0: none yet), and of the first event it saw (to notice a rescore).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LedgerCursor {
    pub batches: u64,
    pub blocks: u64,
    pub events: u64,
    first_event: Option<u64>,
}

/// Causes read at a time (a long game's batches do not fit in memory at once), and events.
const CHUNK: usize = 512;
const EVENT_CHUNK: usize = 4096;

impl GameProjection {
    /// Where this projection stands in its ledger.
    pub fn cursor(&self) -> LedgerCursor {
        self.cursor
    }

    /// Applies what `ledger` holds beyond the cursor and calls `fresh` with each new event.
    /// When a rescore replaced the events, the projection starts again from nothing (and
    /// `fresh` sees every event again). Returns how many events were new.
    pub fn catch_up(
        &mut self,
        ledger: &dyn Ledger,
        fresh: &mut dyn FnMut(&ScoreEvent),
    ) -> Result<u64, ScoreError> {
        if let Some(first) = self.cursor.first_event
            && ledger.first_event()? != Some(first)
        {
            self.clear();
            self.cursor = LedgerCursor::default();
        }
        loop {
            let chunk = ledger.batches_after(self.cursor.batches, CHUNK)?;
            let full = chunk.len() == CHUNK;
            for (position, batch) in chunk {
                self.apply_cause(&Recorded::Batch(Box::new(batch)));
                self.cursor.batches = position;
            }
            if !full {
                break;
            }
        }
        loop {
            let chunk = ledger.blocks_after(self.cursor.blocks, CHUNK)?;
            let full = chunk.len() == CHUNK;
            for (position, block) in chunk {
                self.apply_cause(&Recorded::Block(block));
                self.cursor.blocks = position;
            }
            if !full {
                break;
            }
        }
        let mut new = 0;
        loop {
            let chunk = ledger.events_after(self.cursor.events, EVENT_CHUNK)?;
            let full = chunk.len() == EVENT_CHUNK;
            for (position, event) in &chunk {
                self.apply_event(event);
                self.now = self.now.max(event.at);
                self.cursor.first_event.get_or_insert(*position);
                self.cursor.events = *position;
                fresh(event);
                new += 1;
            }
            if !full {
                break;
            }
        }
        Ok(new)
    }
}
