//! The error type of the outcome types: a segment that does not exist.

/// An execution segment that cannot be: its words say what was asked and what exists.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SegmentError(pub String);
