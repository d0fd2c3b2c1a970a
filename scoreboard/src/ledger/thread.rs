//! A ledger kept on a thread of its own, so that a blocking client (the `postgres` crate,
//! which drives its own runtime) can be called from inside an async runtime, where its
//! `block_on` would panic. Each call is handed to the thread and waited for.

use std::sync::mpsc;
use std::thread::JoinHandle;

use loadgen::ExecSegment;

use super::prelude::*;
use super::{
    ClockEvent, EventFilter, GameMeta, GameSession, Ledger, Note, Recorded, RecordedBatch,
    SegmentBatch, WorkerSeen,
};
use crate::tokens::TokenHash;
use crate::{Rules, ScoreError, ScoreEvent};

type Job = Box<dyn FnOnce(&mut dyn Ledger) + Send>;

/// Causes handed back one by one from the ledger's thread, at most this many ahead.
const STREAM_AHEAD: usize = 256;

/// A [`Ledger`] that lives on its own thread.
pub struct ThreadLedger {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl ThreadLedger {
    /// Opens a ledger with `open` on a new thread and keeps it there.
    pub fn spawn<L, F>(name: &str, open: F) -> Result<ThreadLedger, ScoreError>
    where
        L: Ledger + 'static,
        F: FnOnce() -> Result<L, ScoreError> + Send + 'static,
    {
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (opened_tx, opened) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let mut ledger = match open() {
                    Ok(ledger) => {
                        let _ = opened_tx.send(Ok(()));
                        ledger
                    }
                    Err(e) => {
                        let _ = opened_tx.send(Err(e));
                        return;
                    }
                };
                for job in inbox {
                    job(&mut ledger);
                }
            })
            .map_err(|e| ScoreError::Config(format!("cannot start the ledger thread: {e}")))?;
        opened.recv().map_err(|_| ScoreError::Stopped)??;
        Ok(ThreadLedger {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// Runs `f` on the ledger's thread and waits for its answer.
    fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn Ledger) -> Result<R, ScoreError> + Send + 'static,
    ) -> Result<R, ScoreError> {
        let (reply, answer) = mpsc::channel();
        let job: Job = Box::new(move |ledger| {
            let _ = reply.send(f(ledger));
        });
        self.jobs
            .as_ref()
            .ok_or(ScoreError::Stopped)?
            .send(job)
            .map_err(|_| ScoreError::Stopped)?;
        answer.recv().map_err(|_| ScoreError::Stopped)?
    }
}

impl Drop for ThreadLedger {
    fn drop(&mut self) {
        // Closing the queue ends the thread once the calls before it are done.
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What the ledger's thread streams back while it walks the causes.
enum Streamed {
    Cause(Recorded),
    End(Result<(), ScoreError>),
}

impl CauseLog for ThreadLedger {
    fn record(&mut self, items: &[(Recorded, Vec<ScoreEvent>)]) -> Result<usize, ScoreError> {
        let items = items.to_vec();
        self.call(move |l| l.record(&items))
    }

    fn for_each_cause(&self, f: &mut dyn FnMut(Recorded)) -> Result<(), ScoreError> {
        let (tx, rx) = mpsc::sync_channel(STREAM_AHEAD);
        let job: Job = Box::new(move |ledger| {
            let end = ledger.for_each_cause(&mut |cause| {
                // A caller that stopped listening only costs the rest of the walk.
                let _ = tx.send(Streamed::Cause(cause));
            });
            let _ = tx.send(Streamed::End(end));
        });
        self.jobs
            .as_ref()
            .ok_or(ScoreError::Stopped)?
            .send(job)
            .map_err(|_| ScoreError::Stopped)?;
        for streamed in rx {
            match streamed {
                Streamed::Cause(cause) => f(cause),
                Streamed::End(end) => return end,
            }
        }
        Err(ScoreError::Stopped)
    }

    fn events(&self, filter: &EventFilter) -> Result<Vec<ScoreEvent>, ScoreError> {
        let filter = filter.clone();
        self.call(move |l| l.events(&filter))
    }

    fn batches_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, RecordedBatch)>, ScoreError> {
        self.call(move |l| l.batches_after(after, limit))
    }

    fn blocks_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, crate::BillingBlock)>, ScoreError> {
        self.call(move |l| l.blocks_after(after, limit))
    }

    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<(u64, ScoreEvent)>, ScoreError> {
        self.call(move |l| l.events_after(after, limit))
    }

    fn first_event(&self) -> Result<Option<u64>, ScoreError> {
        self.call(|l| l.first_event())
    }

    fn replace_events(&mut self, rules: &Rules, events: &[ScoreEvent]) -> Result<(), ScoreError> {
        let (rules, events) = (rules.clone(), events.to_vec());
        self.call(move |l| l.replace_events(&rules, &events))
    }
}

impl GameClock for ThreadLedger {
    fn start_or_resume(
        &mut self,
        meta: &GameMeta,
        now_unix_ms: u64,
    ) -> Result<GameSession, ScoreError> {
        let meta = meta.clone();
        self.call(move |l| l.start_or_resume(&meta, now_unix_ms))
    }

    fn meta(&self) -> Result<Option<GameMeta>, ScoreError> {
        self.call(|l| l.meta())
    }

    fn session(&self) -> Result<Option<GameSession>, ScoreError> {
        self.call(|l| l.session())
    }

    fn set_pauses(
        &mut self,
        paused_ms: u64,
        paused_since_unix_ms: Option<u64>,
        events: &[ClockEvent],
    ) -> Result<(), ScoreError> {
        let events = events.to_vec();
        self.call(move |l| l.set_pauses(paused_ms, paused_since_unix_ms, &events))
    }

    fn clock_events(&self) -> Result<Vec<ClockEvent>, ScoreError> {
        self.call(|l| l.clock_events())
    }

    fn record_notes(&mut self, notes: &[Note]) -> Result<usize, ScoreError> {
        let notes = notes.to_vec();
        self.call(move |l| l.record_notes(&notes))
    }

    fn notes(&self) -> Result<Vec<Note>, ScoreError> {
        self.call(|l| l.notes())
    }
}

impl TokenStore for ThreadLedger {
    fn store_token(
        &mut self,
        owner: &str,
        hash: &TokenHash,
        now_unix_ms: u64,
    ) -> Result<(), ScoreError> {
        let (owner, hash) = (owner.to_owned(), *hash);
        self.call(move |l| l.store_token(&owner, &hash, now_unix_ms))
    }

    fn token_hashes(&self) -> Result<Vec<(String, TokenHash)>, ScoreError> {
        self.call(|l| l.token_hashes())
    }

    fn store_team_name(&mut self, name: &crate::names::TeamName) -> Result<(), ScoreError> {
        let name = name.clone();
        self.call(move |l| l.store_team_name(&name))
    }

    fn team_names(&self) -> Result<Vec<crate::names::TeamName>, ScoreError> {
        self.call(|l| l.team_names())
    }
}

impl WorkerBoard for ThreadLedger {
    fn join_worker(&mut self, segment: ExecSegment, now_unix_ms: u64) -> Result<(), ScoreError> {
        self.call(move |l| l.join_worker(segment, now_unix_ms))
    }

    fn workers(&self) -> Result<Vec<WorkerSeen>, ScoreError> {
        self.call(|l| l.workers())
    }

    fn record_segment_batches(
        &mut self,
        segment: ExecSegment,
        batches: &[RecordedBatch],
        now_unix_ms: u64,
    ) -> Result<usize, ScoreError> {
        let batches = batches.to_vec();
        self.call(move |l| l.record_segment_batches(segment, &batches, now_unix_ms))
    }

    fn segment_batches_after(
        &self,
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<SegmentBatch>, ScoreError> {
        self.call(move |l| l.segment_batches_after(cursor, limit))
    }

    fn set_targets(&mut self, targets: &[(String, Vec<String>)]) -> Result<(), ScoreError> {
        let targets = targets.to_vec();
        self.call(move |l| l.set_targets(&targets))
    }

    fn targets(&self) -> Result<Vec<(String, Vec<String>)>, ScoreError> {
        self.call(|l| l.targets())
    }
}
