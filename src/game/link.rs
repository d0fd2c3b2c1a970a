//! The one way a game process writes to its ledger, the coordinator's and a load worker's
//! alike: the writer (a thread with its own connection), what waits for it (the outbox),
//! what it has on hand, what is asked of it off the loop and where the answers go, the
//! acknowledgements of what it stored, and the disk under a SQLite ledger. The loop hands it
//! requests and their answers come back as messages: the loop never waits for the database.

use std::time::{Duration, Instant};

use loadgen::ExecSegment;
use scoreboard_domain::ScoreEvent;
use scoreboard_ledger::{LedgerAt, LedgerError, Recorded};
use scoreboard_ledger::{LedgerWriter, WriteDone, WriteRequest};
use tokio::sync::mpsc;

use super::clock::now_unix_ms;
use super::error::GameError;
use super::outbox::{Change, Outbox};

/// A request asked of the writer off the loop, waiting for its answer.
#[derive(Debug)]
pub(crate) enum Asked {
    /// The team URLs for the workers (these).
    Targets(Vec<Vec<String>>),
    /// A new run, to resume the load.
    Resume,
    /// A load worker joins its game.
    Join,
    /// A team's new name, asked by a view that waits for the answer: the board shows it
    /// once stored.
    Rename(
        scoreboard_domain::names::TeamName,
        tokio::sync::oneshot::Sender<WriteDone>,
    ),
}

/// What is asked of the writer and not yet answered, and where the answers come.
#[derive(Debug)]
pub(crate) struct Asking {
    pub(crate) targets: bool,
    pub(crate) resume: bool,
    pub(crate) join: bool,
    pub(crate) answers: mpsc::UnboundedSender<(Asked, WriteDone)>,
}

/// What the writer has on hand from the outbox (one request at a time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flight {
    Causes,
    Notes,
    Pauses,
    Batches,
}

/// The writer's answer to what the outbox handed it.
#[derive(Debug)]
pub(crate) enum Wrote {
    /// Stored; a write of causes or batches (`count` of them, `batches` when a worker's)
    /// took `took`. `back`: the ledger is back after an outage of that long, with this many
    /// causes or batches written since it went away.
    Stored {
        count: usize,
        batches: bool,
        took: Option<Duration>,
        back: Option<(Duration, usize)>,
    },
    /// Nothing was stored: the outbox keeps it (see [`LedgerLink::failed`]).
    Failed(LedgerError),
}

/// A game process's way to the ledger (see the module's note).
pub(crate) struct LedgerLink {
    /// What waits for the ledger, and whether it is down.
    pub(crate) outbox: Outbox,
    pub(crate) writer: LedgerWriter,
    in_flight: Option<Flight>,
    written_since_down: usize,
    /// Where committed items are acknowledged, if anywhere.
    acks: Option<std::fs::File>,
    /// What is asked of the writer off the loop, and where the answers go.
    pub(crate) asking: Asking,
    /// The free space of a SQLite ledger's disk, looked at now and then.
    pub(crate) disk: crate::disk::DiskWatch,
    /// A load worker's segment, whose batches the outbox holds (none for a coordinator).
    segment: Option<ExecSegment>,
}

/// Where the writer's answers go: to what the outbox handed it, and to what was asked.
pub(crate) type Answers = (
    mpsc::UnboundedSender<WriteDone>,
    mpsc::UnboundedSender<(Asked, WriteDone)>,
);

impl LedgerLink {
    /// The link to the ledger at `at`, holding at most `buffer` causes while it is away,
    /// acknowledging stored items in `acks`, for a load worker of `segment` (or none: a
    /// coordinator). The writer answers on `answers`.
    pub(crate) fn new(
        at: LedgerAt,
        (buffer, acks): (usize, Option<std::fs::File>),
        segment: Option<ExecSegment>,
        (written, asked): Answers,
    ) -> Result<LedgerLink, GameError> {
        Ok(LedgerLink {
            outbox: Outbox::new(buffer),
            writer: LedgerWriter::spawn(at, written)?,
            in_flight: None,
            written_since_down: 0,
            acks,
            asking: Asking {
                targets: false,
                resume: false,
                join: false,
                answers: asked,
            },
            disk: Default::default(),
            segment,
        })
    }

    /// Something waits for the ledger, or is with the writer.
    pub(crate) fn busy(&self) -> bool {
        self.in_flight.is_some() || !self.outbox.is_empty()
    }

    /// Hands the writer what waits in the outbox, when it is time to try and it has nothing
    /// on hand: the oldest chunk of causes, else the oldest notes, else the pauses, else a
    /// worker's oldest batches. Each is written exactly once (the ledger ignores what it
    /// already holds, so a request whose answer was lost is safe to send again).
    pub(crate) fn flush(&mut self) -> Result<(), LedgerError> {
        if self.in_flight.is_some() || !self.outbox.due(Instant::now()) {
            return Ok(());
        }
        let chunk = self.outbox.next_chunk();
        let (request, flight) = if !chunk.is_empty() {
            (WriteRequest::Record(chunk.to_vec()), Flight::Causes)
        } else if !self.outbox.next_notes().is_empty() {
            let notes = self.outbox.next_notes().to_vec();
            (WriteRequest::Notes(notes), Flight::Notes)
        } else if let Some((paused_ms, since_unix_ms, events)) = self.outbox.pauses() {
            let pauses = WriteRequest::Pauses {
                paused_ms,
                since_unix_ms,
                events,
            };
            (pauses, Flight::Pauses)
        } else if let Some(segment) = self.segment
            && !self.outbox.next_batches().is_empty()
        {
            let batches = WriteRequest::SegmentBatches {
                segment,
                batches: self.outbox.next_batches().to_vec(),
                now_unix_ms: now_unix_ms(),
            };
            (batches, Flight::Batches)
        } else {
            return Ok(());
        };
        self.writer.send(request)?;
        self.in_flight = Some(flight);
        Ok(())
    }

    /// The writer's answer to what [`LedgerLink::flush`] handed it: what it stored leaves
    /// the outbox (and is acknowledged); a failure is the caller's to report.
    pub(crate) fn written(&mut self, done: WriteDone) -> Result<Wrote, GameError> {
        let flight = self.in_flight.take();
        let (count, took) = match done {
            WriteDone::Recorded { causes, took } if flight == Some(Flight::Batches) => {
                self.outbox.batches_written(causes);
                (causes, Some(took))
            }
            WriteDone::Recorded { causes, took } => {
                let done = self.outbox.written(causes);
                if let Some(acks) = &mut self.acks {
                    acknowledge(acks, &done)?;
                }
                (causes, Some(took))
            }
            WriteDone::Pauses {
                paused_ms,
                since_unix_ms,
                events,
            } => {
                self.outbox.pauses_stored(paused_ms, since_unix_ms, events);
                (0, None)
            }
            WriteDone::Notes { notes } => {
                self.outbox.notes_written(notes);
                (0, None)
            }
            WriteDone::Failed(e) => return Ok(Wrote::Failed(e)),
            // Answers to asked requests go to their askers, never to this channel.
            WriteDone::Resumed(_) | WriteDone::Stored => (0, None),
        };
        self.written_since_down += count;
        let back = match self
            .outbox
            .recovered(Instant::now(), self.written_since_down)
        {
            Change::Back { after, written } => Some((after, written)),
            _ => None,
        };
        Ok(Wrote::Stored {
            count,
            batches: flight == Some(Flight::Batches),
            took,
            back,
        })
    }

    /// A ledger call failed (a write, a read, something asked): the outbox keeps what waits
    /// and tries again later. True when the ledger just went away (to be said once).
    pub(crate) fn failed(&mut self, e: &LedgerError) -> bool {
        let down = self
            .outbox
            .failed(e.to_string(), Instant::now(), now_unix_ms())
            == Change::Down;
        if down {
            self.written_since_down = 0;
        }
        down
    }

    /// Hands `request` to the writer, after what it has on hand; its answer comes back to the
    /// loop as a message, tagged `asked` (the loop never waits for the database).
    pub(crate) fn ask(&self, request: WriteRequest, asked: Asked) -> Result<(), GameError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.writer.ask(request, answer)?;
        let answers = self.asking.answers.clone();
        tokio::spawn(async move {
            let done = answered
                .await
                .unwrap_or(WriteDone::Failed(LedgerError::Stopped));
            let _ = answers.send((asked, done));
        });
        Ok(())
    }
}

/// The error of a writer's answer that is not the one asked for (a failure, as the writer
/// answers nothing else to a request it could not carry out).
pub(crate) fn failure(done: WriteDone) -> LedgerError {
    match done {
        WriteDone::Failed(e) => e,
        other => LedgerError::Config(format!("the ledger writer answered {other:?}")),
    }
}

/// One line per committed item, written at once (a kill after it cannot take it back).
fn acknowledge(
    acks: &mut std::fs::File,
    items: &[(Recorded, Vec<ScoreEvent>)],
) -> std::io::Result<()> {
    use std::fmt::Write as _;
    let mut text = String::new();
    for (recorded, events) in items {
        let n = events.len();
        let _ = match recorded {
            Recorded::Batch(b) => {
                let id = b.batch.id;
                let (run, worker, target, tick) = (id.run, id.worker, id.target, id.tick);
                writeln!(text, "batch {run} {worker} {target} {tick} events={n}")
            }
            Recorded::Block(b) => writeln!(
                text,
                "block {} {} {} events={n}",
                b.team, b.instance, b.block
            ),
            Recorded::Adjustment(a) => writeln!(text, "adjustment {} events={n}", a.id),
            Recorded::Void(v) => writeln!(text, "void {} {} {} events={n}", v.team, v.run, v.tick),
        };
    }
    std::io::Write::write_all(acks, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use loadgen::{BatchId, OutcomeBatch};
    use scoreboard_domain::GameTime;
    use scoreboard_ledger::RecordedBatch;

    use super::*;

    fn batch(tick: u64) -> RecordedBatch {
        let id = BatchId {
            run: 1,
            worker: 1,
            target: 0,
            tick,
        };
        RecordedBatch {
            at: GameTime(tick * 1000),
            batch: OutcomeBatch::new(id, Arc::from("alpha")),
        }
    }

    /// A worker's link on a real SQLite ledger: its batches go in chunks, one request on
    /// hand at a time, each stored once; a ledger that cannot be opened keeps them all and
    /// is said to be away once.
    #[test]
    fn a_workers_batches_go_in_chunks_and_wait_out_an_outage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("game.db");
        crate::test_ledger::small_game(&path);
        let segment = ExecSegment::new(1, 2).unwrap();
        let link = |at| {
            let (written, done) = mpsc::unbounded_channel();
            let (asked, _) = mpsc::unbounded_channel();
            let link = LedgerLink::new(at, (1, None), Some(segment), (written, asked)).unwrap();
            (link, done)
        };
        let (mut ok, mut done) = link(LedgerAt::File(path.clone()));
        ok.outbox.push_batches((0..300).map(batch));
        assert!(
            !ok.outbox.is_full(),
            "a worker's batches never fill its outbox"
        );
        ok.flush().unwrap();
        ok.flush().unwrap();
        let mut counts = Vec::new();
        while ok.busy() {
            match ok.written(done.blocking_recv().unwrap()).unwrap() {
                Wrote::Stored { count, batches, .. } => {
                    assert!(batches);
                    counts.push(count);
                }
                Wrote::Failed(e) => panic!("{e}"),
            }
            ok.flush().unwrap();
        }
        assert_eq!(counts, [256, 44], "one request on hand at a time");
        let ledger = LedgerAt::File(path).open_existing().unwrap();
        assert_eq!(ledger.segment_batches_after(0, 1_000).unwrap().len(), 300);

        let (mut away, mut done) = link(LedgerAt::File(dir.path().join("no/such/dir.db")));
        away.outbox.push_batches((0..3).map(batch));
        away.flush().unwrap();
        let Wrote::Failed(e) = away.written(done.blocking_recv().unwrap()).unwrap() else {
            panic!("a ledger in no directory stored batches");
        };
        assert!(away.failed(&e), "the first failure is said");
        assert!(!away.failed(&e), "and only the first");
        assert_eq!(away.outbox.waiting_batches(), 3, "nothing is dropped");
        assert!(away.busy());
    }
}
