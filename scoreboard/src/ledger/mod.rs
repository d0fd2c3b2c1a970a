//! The ledger: causes (outcome batches, billing blocks, adjustments) and the score events
//! derived from them, each recorded once under its idempotency key. SQLite for one machine;
//! the [`Ledger`] trait is what the PostgreSQL ledger of a game split over machines
//! implements too, with what the load workers and the coordinator share: the game clock,
//! the team URLs, the workers' segment batches.

mod codec;
mod location;
#[cfg(feature = "postgres")]
mod postgres;
mod rows;
mod sqlite;
mod writer;

use serde::{Deserialize, Serialize};

#[cfg(feature = "postgres")]
pub use self::postgres::PostgresLedger;
use crate::{
    Adjustment, BillingBlock, Cause, GameTime, Rules, ScoreError, ScoreEvent, Scorer, SegmentVoid,
    Source,
};
pub use location::{LedgerAt, redact};
pub use sqlite::SqliteLedger;
pub use writer::{LedgerWriter, WriteDone, WriteRequest};

/// An outcome batch placed on the game clock (its tick's end).
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedBatch {
    pub at: GameTime,
    pub batch: loadgen::OutcomeBatch,
}

/// Something the ledger records, from which score events derive.
#[derive(Clone, Debug, PartialEq)]
pub enum Recorded {
    Batch(Box<RecordedBatch>),
    Block(BillingBlock),
    Adjustment(Adjustment),
    Void(SegmentVoid),
}

/// What the scorer reads of a recorded batch: all of it but the histograms of every answer
/// (the board's), and the correct answers' latencies as stored pairs, not a histogram.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchFacts {
    pub at: GameTime,
    pub id: loadgen::BatchId,
    pub team: String,
    pub counts: loadgen::OutcomeCounts,
    pub correct_latency: loadgen::LatencyPairs,
    pub wrong_samples: Vec<loadgen::WrongAnswerSample>,
    pub error_samples: Vec<loadgen::ErrorSample>,
    pub sends: u64,
    pub late_sends: u64,
}

impl BatchFacts {
    /// The facts of a whole batch.
    pub fn of(recorded: &RecordedBatch) -> BatchFacts {
        let b = &recorded.batch;
        BatchFacts {
            at: recorded.at,
            id: b.id,
            team: b.target.to_string(),
            counts: b.counts.clone(),
            correct_latency: b.correct_latency.pairs(),
            wrong_samples: b.wrong_samples.clone(),
            error_samples: b.error_samples.clone(),
            sends: b.sends,
            late_sends: b.late_sends,
        }
    }
}

/// A recorded cause as the scorer reads it: what a rescore walks.
#[derive(Clone, Debug, PartialEq)]
pub enum ScoringCause {
    Batch(BatchFacts),
    Block(BillingBlock),
    Adjustment(Adjustment),
    Void(SegmentVoid),
}

impl From<Recorded> for ScoringCause {
    fn from(recorded: Recorded) -> ScoringCause {
        match recorded {
            Recorded::Batch(b) => ScoringCause::Batch(BatchFacts::of(&b)),
            Recorded::Block(b) => ScoringCause::Block(b),
            Recorded::Adjustment(a) => ScoringCause::Adjustment(a),
            Recorded::Void(v) => ScoringCause::Void(v),
        }
    }
}

/// A load worker's batch as the ledger holds it, with its place in the order of arrival.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentBatch {
    /// Increases with every batch written: read on after the last one seen.
    pub seq: u64,
    pub recorded: RecordedBatch,
}

/// A load worker that joined the game, and when it was last heard of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkerSeen {
    pub segment: loadgen::ExecSegment,
    pub joined_unix_ms: u64,
    pub seen_unix_ms: u64,
}

impl Recorded {
    /// The cause's idempotency key.
    pub fn cause(&self) -> Cause {
        match self {
            Recorded::Batch(b) => Cause::Batch(b.batch.id.to_string()),
            Recorded::Block(b) => Cause::Block {
                team: b.team.clone(),
                instance: b.instance.clone(),
                block: b.block,
            },
            Recorded::Adjustment(a) => Cause::Adjustment(a.id.clone()),
            Recorded::Void(v) => Cause::Void {
                team: v.team.clone(),
                run: v.run,
                tick: v.tick,
            },
        }
    }

    /// When it happened on the game clock.
    pub fn at(&self) -> GameTime {
        match self {
            Recorded::Batch(b) => b.at,
            Recorded::Block(b) => b.at,
            Recorded::Adjustment(a) => a.at,
            Recorded::Void(v) => v.at,
        }
    }
}

impl Scorer {
    /// The events of any recorded cause.
    pub fn events(&self, recorded: &Recorded) -> Vec<ScoreEvent> {
        match recorded {
            Recorded::Batch(b) => self.batch_events(b),
            Recorded::Block(b) => self.block_events(b),
            Recorded::Adjustment(a) => self.adjustment_events(a),
            Recorded::Void(v) => self.void_events(v),
        }
    }

    /// The events of a cause as a rescore reads it: the same as [`Scorer::events`] of the
    /// cause it was read from.
    pub fn scoring_events(&self, cause: &ScoringCause) -> Vec<ScoreEvent> {
        match cause {
            ScoringCause::Batch(b) => self.facts_events(b),
            ScoringCause::Block(b) => self.block_events(b),
            ScoringCause::Adjustment(a) => self.adjustment_events(a),
            ScoringCause::Void(v) => self.void_events(v),
        }
    }
}

/// What a game is, as the ledger remembers it: a resumed game must be the same game.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GameMeta {
    pub name: String,
    pub seed: u64,
    pub rules: Rules,
    /// The teams, in scenario order (for token lists and read-only boards).
    #[serde(default)]
    pub teams: Vec<String>,
    /// The teams that register their own endpoint during the game (no URL in the scenario).
    #[serde(default)]
    pub registering: Vec<String>,
    /// How long the game lasts (0 when not known).
    #[serde(default)]
    pub duration_ms: u64,
}

/// A pause or a resume of the game clock, as it happened: the game time the clock stood at,
/// and the wall clock. Recorded once each (by kind and wall-clock time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockEvent {
    pub at: GameTime,
    pub unix_ms: u64,
    /// A pause began (else the game resumed).
    pub paused: bool,
}

/// What a [`Note`] says happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NoteKind {
    /// The organizer's word to every team (from the scenario's timeline or made live).
    Announcement,
    /// A team's new endpoint URL (set by the team on its page, or by the organizer).
    UrlChange,
    /// A team that registers its own endpoint gave its first one (the load begins).
    Registration,
    /// A check of a team's endpoint that passed, in words (never scored).
    CheckPassed,
    /// A check of a team's endpoint that failed, in words: what broke and what to try.
    CheckFailed,
}

impl NoteKind {
    /// Every kind, as stored.
    pub const ALL: [NoteKind; 5] = [
        NoteKind::Announcement,
        NoteKind::UrlChange,
        NoteKind::Registration,
        NoteKind::CheckPassed,
        NoteKind::CheckFailed,
    ];

    /// The kind as the ledger stores it.
    pub fn name(self) -> &'static str {
        match self {
            NoteKind::Announcement => "announcement",
            NoteKind::UrlChange => "url_change",
            NoteKind::Registration => "registration",
            NoteKind::CheckPassed => "check_passed",
            NoteKind::CheckFailed => "check_failed",
        }
    }

    /// The kind a stored name stands for.
    pub fn parse(name: &str) -> Option<NoteKind> {
        NoteKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Something said or changed during a game that scores nothing but the debrief marks: an
/// announcement, a team's new URL. Recorded once under its id (a note sent again after a
/// lost answer lands once).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// Its idempotency key.
    pub id: String,
    pub at: GameTime,
    pub kind: NoteKind,
    /// The team it concerns (a URL change's, a check's), or `None` for every team.
    pub team: Option<String>,
    /// The announcement's words, the team's new URL, or a check's result in words.
    pub text: String,
}

/// A game opened on a ledger: when it started and which run of it this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GameSession {
    /// Wall-clock start, in milliseconds since the Unix epoch.
    pub started_unix_ms: u64,
    /// 1 for a fresh game; each resume adds one (batch ids stay unique across runs).
    pub run: u64,
    pub resumed: bool,
    /// Time the game spent paused, in milliseconds (the game clock stood still).
    pub paused_ms: u64,
    /// When the current pause began (wall clock), if the game was paused when it stopped.
    pub paused_since_unix_ms: Option<u64>,
}

impl GameSession {
    /// Game time at wall-clock `now_unix_ms`: time since the start, less the pauses (a pause
    /// in force counts up to now).
    pub fn game_time(&self, now_unix_ms: u64) -> std::time::Duration {
        let paused = self.paused_ms
            + self
                .paused_since_unix_ms
                .map_or(0, |since| now_unix_ms.saturating_sub(since));
        std::time::Duration::from_millis(
            now_unix_ms
                .saturating_sub(self.started_unix_ms)
                .saturating_sub(paused),
        )
    }
}

/// Which events to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub team: Option<String>,
    pub since: Option<GameTime>,
    pub source: Option<Source>,
    /// Only events strictly before this game time (for paging back through history).
    pub before: Option<GameTime>,
    /// At most this many events, and then the newest first (without it: all, oldest first).
    pub limit: Option<usize>,
}

/// The game's causes and the score events derived from them, each recorded once under its
/// idempotency key: what every read model follows.
pub trait CauseLog {
    /// Records causes and their events in one durable transaction; returns how many causes
    /// were new (the others were already there and are left as they were).
    fn record(&mut self, items: &[(Recorded, Vec<ScoreEvent>)]) -> Result<usize, ScoreError>;
    /// Calls `f` with every recorded cause, one at a time (a long game's batches do not fit
    /// in memory at once), in no particular order.
    fn for_each_cause(&self, f: &mut dyn FnMut(Recorded)) -> Result<(), ScoreError>;
    /// Calls `f` with every recorded cause as the scorer reads it, in no particular order:
    /// what a rescore walks. A ledger may read less of each batch here than for
    /// [`Ledger::for_each_cause`]; the events derived must be the same.
    fn for_each_scoring_cause(&self, f: &mut dyn FnMut(ScoringCause)) -> Result<(), ScoreError> {
        self.for_each_cause(&mut |c| f(ScoringCause::from(c)))
    }
    /// Every recorded cause, in game-time order (for small games and tests).
    fn causes(&self) -> Result<Vec<Recorded>, ScoreError> {
        let mut out = Vec::new();
        self.for_each_cause(&mut |c| out.push(c))?;
        out.sort_by_key(|c| (c.at(), c.cause()));
        Ok(out)
    }
    /// Every charged billing block (to resume billing without charging twice).
    fn blocks(&self) -> Result<Vec<BillingBlock>, ScoreError> {
        let mut out = Vec::new();
        self.for_each_cause(&mut |c| {
            if let Recorded::Block(b) = c {
                out.push(b);
            }
        })?;
        Ok(out)
    }
    /// Stored events matching `filter`, in game-time order (newest first when
    /// [`EventFilter::limit`] is set).
    fn events(&self, filter: &EventFilter) -> Result<Vec<ScoreEvent>, ScoreError>;
    /// Up to `limit` outcome batches recorded after position `after` (0: from the first), in
    /// the order they were recorded, each with its position: what a read model follows.
    fn batches_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, RecordedBatch)>, ScoreError>;
    /// Up to `limit` billing blocks charged after position `after`, as [`Ledger::batches_after`].
    fn blocks_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, BillingBlock)>, ScoreError>;
    /// Up to `limit` score events stored after position `after`, in the order stored.
    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<(u64, ScoreEvent)>, ScoreError>;
    /// The position of the oldest stored event: a rescore replaces every event with newer
    /// ones, so a follower whose first event is gone starts again.
    fn first_event(&self) -> Result<Option<u64>, ScoreError>;
    /// Replaces every stored event (after a rescore) and the rules they derive from.
    fn replace_events(&mut self, rules: &Rules, events: &[ScoreEvent]) -> Result<(), ScoreError>;
}

/// The game itself and its clock: what it is, its runs, its pauses, and the notes of what
/// was said and changed in it.
pub trait GameClock {
    /// Starts the game `meta` at `now_unix_ms`, or resumes it if the ledger already holds
    /// it (a ledger of another game is refused).
    fn start_or_resume(
        &mut self,
        meta: &GameMeta,
        now_unix_ms: u64,
    ) -> Result<GameSession, ScoreError>;
    /// The game this ledger holds, if any.
    fn meta(&self) -> Result<Option<GameMeta>, ScoreError>;
    /// The game's clock as last stored (its run, start and pauses), without starting a run:
    /// what load workers follow. None before the game starts.
    fn session(&self) -> Result<Option<GameSession>, ScoreError>;
    /// Remembers the pauses: their total so far, when the one in force began, and the
    /// pauses and resumes that brought them there (each recorded once), in one transaction.
    fn set_pauses(
        &mut self,
        paused_ms: u64,
        paused_since_unix_ms: Option<u64>,
        events: &[ClockEvent],
    ) -> Result<(), ScoreError>;
    /// Every pause and resume of the game, in time order.
    fn clock_events(&self) -> Result<Vec<ClockEvent>, ScoreError>;
    /// Records notes under their ids in one transaction (a note already there is left as it
    /// is); returns how many were new.
    fn record_notes(&mut self, notes: &[Note]) -> Result<usize, ScoreError>;
    /// The notes recorded after position `after` (0: from the first), in the order they
    /// were recorded, each with its position: the cursor of a reader that reads only what
    /// is new.
    fn notes_after(&self, after: u64) -> Result<Vec<(u64, Note)>, ScoreError>;
}

/// Who the teams are: the digests of the teams' and the admin's tokens, and the teams'
/// public names.
pub trait TokenStore {
    /// Stores (or replaces) the digest of `owner`'s token: a team name, or [`crate::tokens::ADMIN`].
    fn store_token(
        &mut self,
        owner: &str,
        hash: &crate::tokens::TokenHash,
        now_unix_ms: u64,
    ) -> Result<(), ScoreError>;
    /// Every stored token digest, by owner.
    fn token_hashes(&self) -> Result<Vec<(String, crate::tokens::TokenHash)>, ScoreError>;
    /// Stores (or replaces) a team's public name.
    fn store_team_name(&mut self, name: &crate::names::TeamName) -> Result<(), ScoreError>;
    /// Every team's public name (a team that has none has no entry), by team.
    fn team_names(&self) -> Result<Vec<crate::names::TeamName>, ScoreError>;
}

/// A game split over load workers: who joined, the batches they wrote, the URLs they send to.
pub trait WorkerBoard {
    /// A load worker says it runs `segment` (again, after a restart: then it is only seen).
    /// A segment of another split than the workers before it is refused.
    fn join_worker(
        &mut self,
        segment: loadgen::ExecSegment,
        now_unix_ms: u64,
    ) -> Result<(), ScoreError>;
    /// The load workers that joined, by segment.
    fn workers(&self) -> Result<Vec<WorkerSeen>, ScoreError>;
    /// Records a load worker's batches under their ids (a batch already there is left as
    /// it is) and notes the worker as seen; returns how many were new.
    fn record_segment_batches(
        &mut self,
        segment: loadgen::ExecSegment,
        batches: &[RecordedBatch],
        now_unix_ms: u64,
    ) -> Result<usize, ScoreError>;
    /// Up to `limit` load workers' batches that arrived after `cursor` (0: from the first),
    /// in the order they arrived.
    fn segment_batches_after(
        &self,
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<SegmentBatch>, ScoreError>;
    /// Publishes each team's base URLs to the load workers.
    fn set_targets(&mut self, targets: &[(String, Vec<String>)]) -> Result<(), ScoreError>;
    /// Each team's base URLs as last published, by team name.
    fn targets(&self) -> Result<Vec<(String, Vec<String>)>, ScoreError>;
}

/// The ledger's traits, for code that calls a [`Ledger`]'s methods: `use
/// scoreboard::ledger::prelude::*;`.
pub mod prelude {
    pub use super::{CauseLog, GameClock, Ledger, TokenStore, WorkerBoard};
}

/// A durable record of a game, by concern. Recording the same cause twice changes nothing.
pub trait Ledger: CauseLog + GameClock + TokenStore + WorkerBoard {}

impl<T: CauseLog + GameClock + TokenStore + WorkerBoard + ?Sized> Ledger for T {}

/// How a void's missing segments are stored: `1,3`.
pub(crate) fn missing_text(missing: &[u32]) -> String {
    let parts: Vec<String> = missing.iter().map(u32::to_string).collect();
    parts.join(",")
}

pub(crate) fn missing_from_text(text: &str) -> Result<Vec<u32>, ScoreError> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse().map_err(|_| ScoreError::Corrupt {
                what: "void".into(),
                reason: format!("missing segments {text:?}"),
            })
        })
        .collect()
}

pub(crate) fn urls_from_text(team: &str, text: &str) -> Result<Vec<String>, ScoreError> {
    serde_json::from_str(text).map_err(|e| ScoreError::Corrupt {
        what: format!("URLs of {team}"),
        reason: e.to_string(),
    })
}

pub(crate) fn split_mismatch(segment: loadgen::ExecSegment, other: u32) -> ScoreError {
    ScoreError::Incompatible(format!(
        "this game's load is split into {other} segments; a worker of segment {segment} cannot join it"
    ))
}

pub(crate) fn worker_seen(
    index: u32,
    count: u32,
    joined: i64,
    seen: i64,
) -> Result<WorkerSeen, ScoreError> {
    let segment = loadgen::ExecSegment::new(index, count).map_err(|e| ScoreError::Corrupt {
        what: "worker".into(),
        reason: e.to_string(),
    })?;
    Ok(WorkerSeen {
        segment,
        joined_unix_ms: joined as u64,
        seen_unix_ms: seen as u64,
    })
}

/// Derives every event again from the recorded causes, in the stored order (cause, seq).
pub fn rescore(ledger: &dyn Ledger, scorer: &Scorer) -> Result<Vec<ScoreEvent>, ScoreError> {
    // One cause at a time: a long game's decoded batches (histograms and all) would not fit
    // in memory together; their events do.
    let mut events = Vec::new();
    ledger.for_each_scoring_cause(&mut |cause| events.extend(scorer.scoring_events(&cause)))?;
    sort_events(&mut events);
    Ok(events)
}

/// The canonical order of events: game time, then cause, then position.
pub fn sort_events(events: &mut [ScoreEvent]) {
    // By time first, then each run of one time by cause and position. Causes are read mostly
    // in time order, which the sort by time finds in long runs: a long game's events sort in
    // a third of the time of one sort by the whole order. No two events share a cause and a
    // position, so the unstable sort gives the one order.
    events.sort_by_key(|e| e.at);
    for run in events.chunk_by_mut(|a, b| a.at == b.at) {
        run.sort_unstable_by(|a, b| (&a.cause, a.seq).cmp(&(&b.cause, b.seq)));
    }
}
