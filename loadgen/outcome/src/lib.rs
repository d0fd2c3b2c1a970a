//! What the load engine found, as plain data: the outcome of each request, outcome batches
//! (one per team per tick), latency histograms and execution segments. The scoring domain
//! reads these; it must never depend on tokio, rustls, sockets or an HTTP stack, and neither
//! may this crate (`loadgen` runs the load and re-exports these types).

mod batch;
mod error;
mod latency;
mod outcome;
mod segment;

pub use batch::{BatchId, ErrorSample, OutcomeBatch, SAMPLE_BYTES, WrongAnswerSample};
pub use error::SegmentError;
pub use latency::{LatencyHistogram, LatencyPairs};
pub use outcome::{Outcome, OutcomeCounts, OutcomeKind, TlsFailure};
pub use segment::ExecSegment;
