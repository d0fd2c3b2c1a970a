//! The durable ledger of a game: its causes and the score events derived from them, each
//! recorded once under its idempotency key, in SQLite (one machine) or PostgreSQL (a game
//! split over machines), and the one writer thread a game process writes through. It must
//! never depend on the views (ratatui, axum) or on the load engine's runtime (loadgen).
//!
//! The [`Ledger`] trait is what both backends implement, with what the load workers and the
//! coordinator share: the game clock, the team URLs, the workers' segment batches. What
//! they store is the domain's plain data ([`scoreboard_domain::Recorded`] and the rest).

mod codec;
mod error;
mod feed;
mod location;
#[cfg(feature = "postgres")]
mod postgres;
mod rows;
mod sql;
mod sqlite;
mod writer;

#[cfg(feature = "postgres")]
pub use self::postgres::PostgresLedger;
pub use error::LedgerError;
pub use location::{LedgerAt, game_schema, redact};
// The plain data a ledger stores and reads back, under the ledger's paths too
// (`scoreboard_ledger::GameMeta`): the domain defines them.
pub use scoreboard_domain::{
    BatchFacts, ClockEvent, GameMeta, GameSession, Note, NoteKind, Recorded, RecordedBatch,
    ScoringCause, SegmentBatch, WorkerSeen, sort_events,
};
use scoreboard_domain::{BillingBlock, GameTime, Rules, ScoreEvent, Scorer, Source};
pub use sqlite::SqliteLedger;
pub use writer::{LedgerWriter, WriteDone, WriteRequest};

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
    fn record(&mut self, items: &[(Recorded, Vec<ScoreEvent>)]) -> Result<usize, LedgerError>;
    /// Calls `f` with every recorded cause, one at a time (a long game's batches do not fit
    /// in memory at once), in no particular order.
    fn for_each_cause(&self, f: &mut dyn FnMut(Recorded)) -> Result<(), LedgerError>;
    /// Calls `f` with every recorded cause as the scorer reads it, in no particular order:
    /// what a rescore walks. A ledger may read less of each batch here than for
    /// [`Ledger::for_each_cause`]; the events derived must be the same.
    fn for_each_scoring_cause(&self, f: &mut dyn FnMut(ScoringCause)) -> Result<(), LedgerError> {
        self.for_each_cause(&mut |c| f(ScoringCause::from(c)))
    }
    /// Every recorded cause, in game-time order (for small games and tests).
    fn causes(&self) -> Result<Vec<Recorded>, LedgerError> {
        let mut out = Vec::new();
        self.for_each_cause(&mut |c| out.push(c))?;
        out.sort_by_key(|c| (c.at(), c.cause()));
        Ok(out)
    }
    /// Every charged billing block (to resume billing without charging twice).
    fn blocks(&self) -> Result<Vec<BillingBlock>, LedgerError> {
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
    fn events(&self, filter: &EventFilter) -> Result<Vec<ScoreEvent>, LedgerError>;
    /// Up to `limit` outcome batches recorded after position `after` (0: from the first), in
    /// the order they were recorded, each with its position: what a read model follows.
    fn batches_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, RecordedBatch)>, LedgerError>;
    /// Up to `limit` billing blocks charged after position `after`, as [`Ledger::batches_after`].
    fn blocks_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, BillingBlock)>, LedgerError>;
    /// Up to `limit` score events stored after position `after`, in the order stored.
    fn events_after(&self, after: u64, limit: usize)
    -> Result<Vec<(u64, ScoreEvent)>, LedgerError>;
    /// The position of the oldest stored event: a rescore replaces every event with newer
    /// ones, so a follower whose first event is gone starts again.
    fn first_event(&self) -> Result<Option<u64>, LedgerError>;
    /// Replaces every stored event (after a rescore) and the rules they derive from.
    fn replace_events(&mut self, rules: &Rules, events: &[ScoreEvent]) -> Result<(), LedgerError>;
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
    ) -> Result<GameSession, LedgerError>;
    /// The game this ledger holds, if any.
    fn meta(&self) -> Result<Option<GameMeta>, LedgerError>;
    /// The game's clock as last stored (its run, start and pauses), without starting a run:
    /// what load workers follow. None before the game starts.
    fn session(&self) -> Result<Option<GameSession>, LedgerError>;
    /// Remembers the pauses: their total so far, when the one in force began, and the
    /// pauses and resumes that brought them there (each recorded once), in one transaction.
    fn set_pauses(
        &mut self,
        paused_ms: u64,
        paused_since_unix_ms: Option<u64>,
        events: &[ClockEvent],
    ) -> Result<(), LedgerError>;
    /// Every pause and resume of the game, in time order.
    fn clock_events(&self) -> Result<Vec<ClockEvent>, LedgerError>;
    /// Records notes under their ids in one transaction (a note already there is left as it
    /// is); returns how many were new.
    fn record_notes(&mut self, notes: &[Note]) -> Result<usize, LedgerError>;
    /// Up to `limit` notes recorded after position `after` (0: from the first), in the
    /// order they were recorded, each with its position: the cursor of a reader that reads
    /// only what is new.
    fn notes_after(&self, after: u64, limit: usize) -> Result<Vec<(u64, Note)>, LedgerError>;
}

/// Who the teams are: the digests of the teams' and the admin's tokens, and the teams'
/// public names.
pub trait TokenStore {
    /// Stores (or replaces) the digest of `owner`'s token: a team name, or [`scoreboard_domain::tokens::ADMIN`].
    fn store_token(
        &mut self,
        owner: &str,
        hash: &scoreboard_domain::tokens::TokenHash,
        now_unix_ms: u64,
    ) -> Result<(), LedgerError>;
    /// Every stored token digest, by owner.
    fn token_hashes(
        &self,
    ) -> Result<Vec<(String, scoreboard_domain::tokens::TokenHash)>, LedgerError>;
    /// Stores (or replaces) a team's public name.
    fn store_team_name(
        &mut self,
        name: &scoreboard_domain::names::TeamName,
    ) -> Result<(), LedgerError>;
    /// Every team's public name (a team that has none has no entry), by team.
    fn team_names(&self) -> Result<Vec<scoreboard_domain::names::TeamName>, LedgerError>;
}

/// A game split over load workers: who joined, the batches they wrote, the URLs they send to.
pub trait WorkerBoard {
    /// A load worker says it runs `segment` (again, after a restart: then it is only seen).
    /// A segment of another split than the workers before it is refused.
    fn join_worker(
        &mut self,
        segment: loadgen_outcome::ExecSegment,
        now_unix_ms: u64,
    ) -> Result<(), LedgerError>;
    /// The load workers that joined, by segment.
    fn workers(&self) -> Result<Vec<WorkerSeen>, LedgerError>;
    /// Records a load worker's batches under their ids (a batch already there is left as
    /// it is) and notes the worker as seen; returns how many were new.
    fn record_segment_batches(
        &mut self,
        segment: loadgen_outcome::ExecSegment,
        batches: &[RecordedBatch],
        now_unix_ms: u64,
    ) -> Result<usize, LedgerError>;
    /// Up to `limit` load workers' batches that arrived after `cursor` (0: from the first),
    /// in the order they arrived.
    fn segment_batches_after(
        &self,
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<SegmentBatch>, LedgerError>;
    /// Publishes each team's base URLs to the load workers.
    fn set_targets(&mut self, targets: &[(String, Vec<String>)]) -> Result<(), LedgerError>;
    /// Each team's base URLs as last published, by team name.
    fn targets(&self) -> Result<Vec<(String, Vec<String>)>, LedgerError>;
}

/// The ledger's traits, for code that calls a [`Ledger`]'s methods: `use
/// scoreboard_ledger::prelude::*;`.
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

pub(crate) fn missing_from_text(text: &str) -> Result<Vec<u32>, LedgerError> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse().map_err(|_| LedgerError::Corrupt {
                what: "void".into(),
                reason: format!("missing segments {text:?}"),
            })
        })
        .collect()
}

pub(crate) fn urls_from_text(team: &str, text: &str) -> Result<Vec<String>, LedgerError> {
    serde_json::from_str(text).map_err(|e| LedgerError::Corrupt {
        what: format!("URLs of {team}"),
        reason: e.to_string(),
    })
}

pub(crate) fn split_mismatch(segment: loadgen_outcome::ExecSegment, other: u32) -> LedgerError {
    LedgerError::Incompatible(format!(
        "this game's load is split into {other} segments; a worker of segment {segment} cannot join it"
    ))
}

pub(crate) fn worker_seen(
    index: u32,
    count: u32,
    joined: i64,
    seen: i64,
) -> Result<WorkerSeen, LedgerError> {
    let segment =
        loadgen_outcome::ExecSegment::new(index, count).map_err(|e| LedgerError::Corrupt {
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
pub fn rescore(ledger: &dyn Ledger, scorer: &Scorer) -> Result<Vec<ScoreEvent>, LedgerError> {
    // One cause at a time: a long game's decoded batches (histograms and all) would not fit
    // in memory together; their events do.
    let mut events = Vec::new();
    ledger.for_each_scoring_cause(&mut |cause| events.extend(scorer.scoring_events(&cause)))?;
    sort_events(&mut events);
    Ok(events)
}
