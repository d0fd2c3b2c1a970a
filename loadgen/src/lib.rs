//! The gameday load engine: it decides whether a team's answers are right and how fast they
//! came, and never lies about latency.
//!
//! * [`Target`]s are teams: a name and one or more base URLs, served round robin. The URLs
//!   can change while a run goes ([`EngineHandle::set_urls`]); a target with none waits
//!   for its first, sent nothing until then.
//! * [`Pacing`] says when requests start (an open-model [`RateSchedule`], or closed
//!   clients); [`Stop`] says when the run ends. Both feed one engine loop per target. A run
//!   can start at an offset into the schedule ([`EngineConfig::offset`]), as a resumed game.
//! * Every target gets the same sequence of (due time, key), drawn from hashref's seeded Zipf
//!   picker: fairness by construction. Several workers can share a run by [`ExecSegment`]:
//!   together they send exactly what one process would.
//! * In the open model latency is measured from when a request was *due*, not when it was
//!   sent (no coordinated omission); the time from the actual send is kept too.
//! * Answers are checked by a lookup in hashref's [`hashref::AnswerTable`] and a byte
//!   compare, never a hash per request.
//! * Each target's outcomes are aggregated per tick into an [`OutcomeBatch`] and sent on a
//!   channel. The engine only emits; scorers, views and printers consume.
//! * [`probe`] checks one team's endpoint as the engine would load it (health check, a few
//!   answers) and says what it found in words ([`ProbeReport::words`]).

mod address;
mod client;
mod deadline;
mod engine;
mod error;
mod handle;
mod http1;
mod memory;
mod probe;
pub mod progress;
mod schedule;
mod summary;
mod target;
mod tls;

pub use address::{AddressPolicy, Resolve, Resolver, Resolving, non_public};
#[cfg(feature = "fuzzing")]
pub use client::fuzzing;
pub use engine::{CANCEL_GRACE, DEFAULT_STAGGER, Engine, EngineConfig};
pub use error::{LoadgenError, error_chain};
pub use handle::EngineHandle;
pub use memory::no_huge_pages;
// The outcome types live in a crate of their own (no tokio, no TLS) that the scoring domain
// reads; they are loadgen's API as before.
pub use loadgen_outcome::{
    BatchId, ErrorSample, ExecSegment, LatencyHistogram, LatencyPairs, Outcome, OutcomeBatch,
    OutcomeCounts, OutcomeKind, SegmentError, TlsFailure, WrongAnswerSample,
};
pub use probe::{ProbeCheck, ProbeReport, ProbeStep, probe};
pub use schedule::{MAX_RATE, Pacing, Phase, RateSchedule, Schedule, ScheduledSend, Stop};
pub use summary::{Condition, FailIf, Interruption, Metric, RunSummary, Signal};
pub use target::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, MAX_HEADERS, RequestShape, Target, TargetLimits,
};
pub use tls::read_ca_cert;
