//! Reads of a running game's ledger, off the game loop: a thread of its own with its own
//! connection reads what the load workers of a split game wrote, and hands each read to the
//! loop as a message (the core's [`SegmentRead`]). A ledger that stops answering holds up
//! this thread, never the loop: the clock, the views and the organizer's controls go on.

use std::time::{Duration, Instant};

use loadgen::OutcomeBatch;
use scoreboard::{Ledger, LedgerAt, LedgerError};
use tokio::sync::mpsc;

use super::core::collect::SegmentRead;

/// Segment batches read from the ledger per query.
const READ: usize = 5_000;

/// What the reader hands the loop: a read, or why one failed (the next is tried on a fresh
/// connection).
pub(crate) type ReadDone = Result<SegmentRead, LedgerError>;

/// Starts the reader of a split game's segment batches: every `every`, what the workers
/// wrote since the last read, stamped with when the read began (since `epoch`). It stops
/// when the loop drops the receiver.
pub(crate) fn segment_reader(
    at: LedgerAt,
    epoch: Instant,
    every: Duration,
) -> Result<mpsc::UnboundedReceiver<ReadDone>, std::io::Error> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::Builder::new()
        .name("segment reader".into())
        .spawn(move || {
            let mut reader = Reader {
                at,
                ledger: None,
                cursor: 0,
                segments: None,
            };
            while !tx.is_closed() {
                let as_of = epoch.elapsed();
                let done = reader.read().map(|batches| SegmentRead {
                    as_of,
                    segments: reader.segments,
                    batches,
                });
                if tx.send(done).is_err() {
                    return;
                }
                std::thread::sleep(every);
            }
        })?;
    Ok(rx)
}

/// The reader's connection and how far it has read.
struct Reader {
    at: LedgerAt,
    ledger: Option<Box<dyn Ledger + Send>>,
    cursor: u64,
    segments: Option<u32>,
}

impl Reader {
    /// Every batch written since the last read; on a failure nothing is taken (the next read
    /// starts where this one did, on a fresh connection).
    fn read(&mut self) -> Result<Vec<OutcomeBatch>, LedgerError> {
        let result = self.read_on();
        if result.is_err() {
            self.ledger = None;
        }
        result
    }

    fn read_on(&mut self) -> Result<Vec<OutcomeBatch>, LedgerError> {
        let ledger = match &mut self.ledger {
            Some(ledger) => ledger,
            None => self.ledger.insert(self.at.open()?),
        };
        if self.segments.is_none() {
            self.segments = ledger.workers()?.first().map(|w| w.segment.count());
        }
        let mut cursor = self.cursor;
        let mut all = Vec::new();
        loop {
            let batches = ledger.segment_batches_after(cursor, READ)?;
            let n = batches.len();
            for b in batches {
                cursor = cursor.max(b.seq);
                all.push(b.recorded.batch);
            }
            if n < READ {
                self.cursor = cursor;
                return Ok(all);
            }
        }
    }
}
