//! The one writer of a game process: a thread that owns its own connection to the ledger and
//! carries out [`WriteRequest`]s one at a time, answering each with a [`WriteDone`] on a
//! channel the game loop selects on. The loop never waits on the database: a PostgreSQL host
//! that stops answering, a full disk or a busy file cost it nothing but the answer's delay.
//! A failed request drops the connection; the next request opens a fresh one.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{ClockEvent, Ledger, LedgerAt, Note, Recorded};
use crate::{ScoreError, ScoreEvent};

/// What the writer is asked to do.
#[derive(Debug)]
pub enum WriteRequest {
    /// Causes and their events, in order, in one transaction (a cause already recorded is
    /// left as it is, so a request whose answer was lost is safe to send again).
    Record(Vec<(Recorded, Vec<ScoreEvent>)>),
    /// The pauses so far, when the one in force began, and the pauses and resumes that
    /// brought them there.
    Pauses {
        paused_ms: u64,
        since_unix_ms: Option<u64>,
        events: Vec<ClockEvent>,
    },
    /// Notes, in order, in one transaction (a note already recorded is left as it is, so a
    /// request whose answer was lost is safe to send again).
    Notes(Vec<Note>),
}

/// How a request went.
#[derive(Debug)]
pub enum WriteDone {
    /// The first `causes` causes sent are durable; the transaction took `took`.
    Recorded { causes: usize, took: Duration },
    /// These pauses are stored, with the first `events` clock events sent.
    Pauses {
        paused_ms: u64,
        since_unix_ms: Option<u64>,
        events: usize,
    },
    /// The first `notes` notes sent are durable.
    Notes { notes: usize },
    /// Nothing of the request was stored.
    Failed(ScoreError),
}

/// The writer thread and the way to it.
#[derive(Debug)]
pub struct LedgerWriter {
    requests: Option<mpsc::Sender<WriteRequest>>,
    thread: Option<JoinHandle<()>>,
}

impl LedgerWriter {
    /// Starts the writer of the ledger at `at`; each request is answered on `done`. The
    /// ledger is opened at the first request (and again after a failure).
    pub fn spawn(
        at: LedgerAt,
        done: tokio::sync::mpsc::UnboundedSender<WriteDone>,
    ) -> Result<LedgerWriter, ScoreError> {
        let (requests, inbox) = mpsc::channel::<WriteRequest>();
        let thread = std::thread::Builder::new()
            .name("ledger-writer".into())
            .spawn(move || {
                let mut ledger = None;
                for request in inbox {
                    if done.send(carry_out(&at, &mut ledger, request)).is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| ScoreError::Config(format!("cannot start the ledger writer: {e}")))?;
        Ok(LedgerWriter {
            requests: Some(requests),
            thread: Some(thread),
        })
    }

    /// Hands a request to the writer; its answer comes on the channel.
    pub fn send(&self, request: WriteRequest) -> Result<(), ScoreError> {
        self.requests
            .as_ref()
            .ok_or(ScoreError::Stopped)?
            .send(request)
            .map_err(|_| ScoreError::Stopped)
    }
}

impl Drop for LedgerWriter {
    fn drop(&mut self) {
        // The writer finishes what it was given, then its loop ends with the channel.
        self.requests = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn carry_out(
    at: &LedgerAt,
    ledger: &mut Option<Box<dyn Ledger + Send>>,
    request: WriteRequest,
) -> WriteDone {
    let started = Instant::now();
    let result = (|| {
        let l = match ledger {
            Some(l) => l,
            None => ledger.insert(at.open_here()?),
        };
        match request {
            WriteRequest::Record(items) => {
                l.record(&items)?;
                Ok(WriteDone::Recorded {
                    causes: items.len(),
                    took: started.elapsed(),
                })
            }
            WriteRequest::Pauses {
                paused_ms,
                since_unix_ms,
                events,
            } => {
                l.set_pauses(paused_ms, since_unix_ms, &events)?;
                Ok(WriteDone::Pauses {
                    paused_ms,
                    since_unix_ms,
                    events: events.len(),
                })
            }
            WriteRequest::Notes(notes) => {
                l.record_notes(&notes)?;
                Ok(WriteDone::Notes { notes: notes.len() })
            }
        }
    })();
    result.unwrap_or_else(|e| {
        *ledger = None;
        WriteDone::Failed(e)
    })
}
