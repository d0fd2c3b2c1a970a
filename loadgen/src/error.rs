//! The error type of the load engine.

/// What can stop a run from starting. (What a team's server does is never an error here:
/// it is an [`crate::Outcome`].)
#[derive(Debug, thiserror::Error)]
pub enum LoadgenError {
    /// A target URL that cannot be used.
    #[error("target {target}: bad URL {url:?}: {reason}")]
    BadUrl {
        target: String,
        url: String,
        reason: String,
    },
    /// A target index the run does not have (when changing a running target's URLs).
    #[error("no target {index}: the run has {targets}")]
    UnknownTarget { index: usize, targets: usize },
    /// A schedule, limit or setting out of range.
    #[error("invalid setting: {0}")]
    Config(String),
    /// A fail-if expression that does not parse.
    #[error("--fail-if: {0}")]
    FailIf(String),
    /// The runtime could not start.
    #[error("cannot start the engine: {0}")]
    Io(#[from] std::io::Error),
}
