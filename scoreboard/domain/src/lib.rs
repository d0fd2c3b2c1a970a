//! gameday's scoring domain: points, rules, the scorer, billing, team names, hints and the
//! projection every view reads. It must never depend on tokio, a database driver (rusqlite,
//! postgres), axum, hyper, rustls or ratatui: it is plain data and pure functions, and
//! `.ci/run` checks its `cargo tree`.
//!
//! Rules turn outcome batches, EC2 billing blocks and organizer adjustments into score events
//! with reasons a team can act on; the leaderboard ranks teams; the projection folds causes
//! and events into what every view shows. Score events are derived: the same causes under the
//! same rules always give the same events, so a game can be rescored after a rule change.
//! Points are integer milli-points and money integer cents, never floating point.

mod billing;
pub mod breaks;
pub mod csv;
mod error;
mod event;
pub mod hints;
mod leaderboard;
pub mod markup;
pub mod names;
mod points;
pub mod projection;
mod record;
mod rules;
mod scorer;
pub mod snapshot;
pub mod tokens;

pub use billing::{
    Biller, BillingBlock, BillingRules, InstanceRun, Observation, ScriptedInstance,
    ScriptedInventory, blocks_due,
};
pub use error::ScoreError;
pub use event::{Adjustment, Cause, EventKind, ScoreEvent, SegmentVoid, Source};
pub use leaderboard::{Leaderboard, Standing};
pub use points::{Cents, GameTime, Points};
pub use projection::{Feed, GameProjection, LedgerCursor, SnapshotFacts, TeamState, TickFigures};
pub use record::{
    BatchFacts, ClockEvent, GameMeta, GameSession, Note, NoteKind, Recorded, RecordedBatch,
    ScoringCause, SegmentBatch, WorkerSeen, sort_events,
};
pub use rules::Rules;
pub use scorer::Scorer;
