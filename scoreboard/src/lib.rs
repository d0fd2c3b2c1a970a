//! gameday's scoring: rules turn outcome batches, EC2 billing blocks and organizer
//! adjustments into score events with reasons a team can act on; a durable ledger records
//! causes and events under idempotency keys; the leaderboard ranks teams.
//!
//! Score events are derived: the same causes under the same rules always give the same
//! events, so a game can be rescored after a rule change. Points are integer milli-points
//! and money integer cents, never floating point.

#[cfg(feature = "aws")]
pub mod aws;
mod billing;
pub mod csv;
#[cfg(feature = "debrief")]
pub mod debrief;
mod error;
mod event;
pub mod event_json;
pub mod hints;
mod leaderboard;
pub mod ledger;
pub mod live;
pub mod markup;
pub mod names;
mod points;
pub mod projection;
mod rules;
mod scorer;
#[cfg(feature = "debrief")]
pub mod slips;
pub mod tokens;
#[cfg(feature = "tui")]
pub mod tui;
#[cfg(feature = "web")]
pub mod web;

pub use billing::{
    Biller, BillingBlock, BillingRules, InstanceRun, Observation, ScriptedInstance,
    ScriptedInventory, blocks_due,
};
pub use error::ScoreError;
pub use event::{Adjustment, Cause, EventKind, ScoreEvent, SegmentVoid, Source};
pub use leaderboard::{Leaderboard, Standing};
pub use ledger::{
    BatchFacts, CauseLog, ClockEvent, EventFilter, GameClock, GameMeta, GameSession, Ledger,
    LedgerAt, Note, NoteKind, Recorded, RecordedBatch, ScoringCause, SegmentBatch, SqliteLedger,
    TokenStore, WorkerBoard, WorkerSeen, rescore, sort_events,
};
pub use points::{Cents, GameTime, Points};
pub use projection::{GameProjection, LedgerCursor, SnapshotFacts, TeamState, TickFigures};
pub use rules::Rules;
pub use scorer::Scorer;
