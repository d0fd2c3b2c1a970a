//! The one writer of a game process: a thread that owns its own connection to the ledger and
//! carries out [`WriteRequest`]s one at a time, answering each with a [`WriteDone`], on the
//! channel the game loop selects on or on the request's own reply channel (the web's writes
//! come through the game as `Control::Write`). The loop never waits on the database: a
//! PostgreSQL host that stops answering, a full disk or a busy file cost it nothing but the
//! answer's delay. A failed request drops the connection; the next request opens a fresh one.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::{ClockEvent, GameMeta, GameSession, Ledger, LedgerAt, Note, Recorded};
use crate::LedgerError;
use scoreboard_domain::ScoreEvent;
use scoreboard_domain::names::TeamName;
use scoreboard_domain::tokens::TokenHash;

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
    /// The team URLs the load workers of a split game send to.
    Targets(Vec<(String, Vec<String>)>),
    /// A new run of the game (a resume): the session it opens.
    Resume {
        meta: Box<GameMeta>,
        now_unix_ms: u64,
    },
    /// A token's digest, in place of the owner's old one.
    Token {
        owner: String,
        hash: TokenHash,
        now_unix_ms: u64,
    },
    /// A team's public name.
    TeamName(TeamName),
    /// A load worker joins the game (or says it is still there).
    JoinWorker {
        segment: loadgen_outcome::ExecSegment,
        now_unix_ms: u64,
    },
    /// A load worker's outcome batches, in one transaction (a batch already recorded is left
    /// as it is).
    SegmentBatches {
        segment: loadgen_outcome::ExecSegment,
        batches: Vec<super::RecordedBatch>,
        now_unix_ms: u64,
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
    /// A new run began.
    Resumed(GameSession),
    /// The targets, token or name are stored.
    Stored,
    /// The first `notes` notes sent are durable.
    Notes { notes: usize },
    /// Nothing of the request was stored.
    Failed(LedgerError),
}

impl WriteRequest {
    /// Carries the request out on `ledger`, in one transaction.
    pub fn apply(self, ledger: &mut dyn Ledger) -> Result<WriteDone, LedgerError> {
        let started = Instant::now();
        Ok(match self {
            WriteRequest::Record(items) => {
                ledger.record(&items)?;
                WriteDone::Recorded {
                    causes: items.len(),
                    took: started.elapsed(),
                }
            }
            WriteRequest::Pauses {
                paused_ms,
                since_unix_ms,
                events,
            } => {
                ledger.set_pauses(paused_ms, since_unix_ms, &events)?;
                WriteDone::Pauses {
                    paused_ms,
                    since_unix_ms,
                    events: events.len(),
                }
            }
            WriteRequest::Targets(targets) => {
                ledger.set_targets(&targets)?;
                WriteDone::Stored
            }
            WriteRequest::Resume { meta, now_unix_ms } => {
                WriteDone::Resumed(ledger.start_or_resume(&meta, now_unix_ms)?)
            }
            WriteRequest::Token {
                owner,
                hash,
                now_unix_ms,
            } => {
                ledger.store_token(&owner, &hash, now_unix_ms)?;
                WriteDone::Stored
            }
            WriteRequest::TeamName(name) => {
                ledger.store_team_name(&name)?;
                WriteDone::Stored
            }
            WriteRequest::JoinWorker {
                segment,
                now_unix_ms,
            } => {
                ledger.join_worker(segment, now_unix_ms)?;
                WriteDone::Stored
            }
            WriteRequest::SegmentBatches {
                segment,
                batches,
                now_unix_ms,
            } => {
                ledger.record_segment_batches(segment, &batches, now_unix_ms)?;
                WriteDone::Recorded {
                    causes: batches.len(),
                    took: started.elapsed(),
                }
            }
            WriteRequest::Notes(notes) => {
                ledger.record_notes(&notes)?;
                WriteDone::Notes { notes: notes.len() }
            }
        })
    }
}

/// Where a request's answer goes.
type Answer = Option<oneshot::Sender<WriteDone>>;

/// The writer thread and the way to it.
#[derive(Debug)]
pub struct LedgerWriter {
    requests: Option<mpsc::Sender<(WriteRequest, Answer)>>,
    thread: Option<JoinHandle<()>>,
}

impl LedgerWriter {
    /// Starts the writer of the ledger at `at`; each request is answered on `done`. The
    /// ledger is opened at the first request (and again after a failure).
    pub fn spawn(
        at: LedgerAt,
        done: tokio::sync::mpsc::UnboundedSender<WriteDone>,
    ) -> Result<LedgerWriter, LedgerError> {
        let (requests, inbox) = mpsc::channel::<(WriteRequest, Answer)>();
        let thread = std::thread::Builder::new()
            .name("ledger-writer".into())
            .spawn(move || {
                let mut ledger = None;
                for (request, answer) in inbox {
                    let result = carry_out(&at, &mut ledger, request);
                    match answer {
                        // The asker may have given up: nothing to do.
                        Some(answer) => drop(answer.send(result)),
                        None if done.send(result).is_err() => return,
                        None => {}
                    }
                }
            })
            .map_err(|e| LedgerError::Config(format!("cannot start the ledger writer: {e}")))?;
        Ok(LedgerWriter {
            requests: Some(requests),
            thread: Some(thread),
        })
    }

    /// Hands a request to the writer; its answer comes on the channel.
    pub fn send(&self, request: WriteRequest) -> Result<(), LedgerError> {
        self.queue(request, None)
    }

    /// Hands a request to the writer, whose answer goes to `answer` (after the requests
    /// already handed over, in order).
    pub fn ask(
        &self,
        request: WriteRequest,
        answer: oneshot::Sender<WriteDone>,
    ) -> Result<(), LedgerError> {
        self.queue(request, Some(answer))
    }

    fn queue(&self, request: WriteRequest, answer: Answer) -> Result<(), LedgerError> {
        self.requests
            .as_ref()
            .ok_or(LedgerError::Stopped)?
            .send((request, answer))
            .map_err(|_| LedgerError::Stopped)
    }

    /// Takes nothing more and stops waiting for the writer: the request it has on hand
    /// lands or not with the ledger, on its own. For a process that gives up on a ledger
    /// that does not answer and exits; a frozen database must not hold that exit (dropping
    /// the writer joins its thread, which waits for the database).
    pub fn abandon(&mut self) {
        self.requests = None;
        // A dropped handle detaches the thread: the process's exit ends it.
        drop(self.thread.take());
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
    let result = (|| {
        let l = match ledger {
            Some(l) => l,
            None => ledger.insert(at.open()?),
        };
        request.apply(&mut **l)
    })();
    result.unwrap_or_else(|e| {
        *ledger = None;
        WriteDone::Failed(e)
    })
}
