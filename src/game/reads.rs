//! Reads of a running game's ledger, off the game loop: a thread of its own with its own
//! connection reads what the load workers of a split game wrote (for the coordinator, the
//! core's [`SegmentRead`]), or the game's clock and URLs (for a load worker), and hands each
//! read to the loop as a message. A ledger that stops answering holds up this thread, never
//! the loop: the clock, the views, the organizer's controls and a worker's writes go on.

use std::time::{Duration, Instant};

use loadgen::OutcomeBatch;
use scoreboard_ledger::{GameMeta, GameSession, Ledger, LedgerAt, LedgerError};
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
    let mut cursor = 0;
    let mut segments = None;
    let read = move |ledger: &mut dyn Ledger| {
        let as_of = epoch.elapsed();
        if segments.is_none() {
            segments = ledger.workers()?.first().map(|w| w.segment.count());
        }
        let batches = read_after(ledger, &mut cursor)?;
        Ok(SegmentRead {
            as_of,
            segments,
            batches,
        })
    };
    poll("segment reader", (at, None), every, read)
}

/// Every batch written after `cursor`, which moves on only when all are read (a failure
/// takes nothing: the next read starts where this one did).
fn read_after(ledger: &mut dyn Ledger, cursor: &mut u64) -> Result<Vec<OutcomeBatch>, LedgerError> {
    let mut last = *cursor;
    let mut all = Vec::new();
    loop {
        let batches = ledger.segment_batches_after(last, READ)?;
        let n = batches.len();
        for b in batches {
            last = last.max(b.seq);
            all.push(b.recorded.batch);
        }
        if n < READ {
            *cursor = last;
            return Ok(all);
        }
    }
}

/// What a load worker reads of its game: the game, once the coordinator has started it, its
/// session (run, start and pauses), and the team URLs the coordinator published.
pub(crate) struct GameRead {
    pub(crate) meta: Option<GameMeta>,
    pub(crate) session: Option<GameSession>,
    pub(crate) targets: Vec<(String, Vec<String>)>,
}

/// Starts a load worker's reader of its game: every `every`, the game's clock and URLs.
/// `first` is a connection already open. It stops when the loop drops the receiver.
pub(crate) fn game_reader(
    at: LedgerAt,
    first: Box<dyn Ledger + Send>,
    every: Duration,
) -> Result<mpsc::UnboundedReceiver<Result<GameRead, LedgerError>>, std::io::Error> {
    let read = |ledger: &mut dyn Ledger| {
        Ok(GameRead {
            meta: ledger.meta()?,
            session: ledger.session()?,
            targets: ledger.targets()?,
        })
    };
    poll("game reader", (at, Some(first)), every, read)
}

/// A thread named `name` that calls `read` every `every` on a connection of its own (opened
/// again after a failure) and hands the loop each result, until the loop drops the receiver.
fn poll<T: Send + 'static>(
    name: &str,
    (at, first): (LedgerAt, Option<Box<dyn Ledger + Send>>),
    every: Duration,
    mut read: impl FnMut(&mut dyn Ledger) -> Result<T, LedgerError> + Send + 'static,
) -> Result<mpsc::UnboundedReceiver<Result<T, LedgerError>>, std::io::Error> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let mut ledger = first;
            while !tx.is_closed() {
                let done = match &mut ledger {
                    Some(ledger) => read(&mut **ledger),
                    None => at.open().and_then(|l| read(&mut **ledger.insert(l))),
                };
                if done.is_err() {
                    ledger = None;
                }
                if tx.send(done).is_err() {
                    return;
                }
                std::thread::sleep(every);
            }
        })?;
    Ok(rx)
}
