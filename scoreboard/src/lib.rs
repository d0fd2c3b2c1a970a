//! gameday's views: the live channel a game publishes its snapshots on, the organizer's
//! terminal cockpit (`tui`), the web scoreboard (`web`) and the printable debrief and slips
//! (`debrief`), each behind its feature. Views read the domain's projection and the ledger;
//! the domain and the ledger must never depend on this crate, nor this crate on the AWS SDK
//! or the load engine.
//!
//! The transition: the domain (`scoreboard-domain`) and the ledger (`scoreboard-ledger`)
//! were modules of this crate. They are re-exported here under their old paths
//! (`scoreboard::ledger::X`, `scoreboard::projection::X`, `scoreboard::Scorer`, …) so that
//! gameday's src/ and the views' own modules build unchanged; src/ will import from the
//! concern crates directly, and then these re-exports go.

#[cfg(feature = "debrief")]
pub mod debrief;
pub mod event_json;
pub mod follower;
pub mod live;
#[cfg(feature = "debrief")]
pub mod slips;
#[cfg(feature = "tui")]
pub mod tui;
#[cfg(feature = "web")]
pub mod web;

// The transition's re-exports (see above).
pub use scoreboard_domain::{csv, hints, markup, names, projection, tokens};
pub use scoreboard_ledger as ledger;

pub use scoreboard_domain::{
    Adjustment, Biller, BillingBlock, BillingRules, Cause, Cents, EventKind, GameTime, InstanceRun,
    Leaderboard, Observation, Points, Rules, ScoreError, ScoreEvent, Scorer, ScriptedInstance,
    ScriptedInventory, SegmentVoid, Source, Standing, blocks_due,
};
pub use scoreboard_domain::{GameProjection, LedgerCursor, SnapshotFacts, TeamState, TickFigures};
pub use scoreboard_ledger::{
    BatchFacts, CauseLog, ClockEvent, EventFilter, GameClock, GameMeta, GameSession, Ledger,
    LedgerAt, LedgerError, Note, NoteKind, Recorded, RecordedBatch, ScoringCause, SegmentBatch,
    SqliteLedger, TokenStore, WorkerBoard, WorkerSeen, rescore, sort_events,
};
