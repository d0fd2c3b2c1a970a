//! The error type of the scoring domain: rules out of range, an inventory that failed, the
//! system refusing what a token needs. It never names a database or a driver.

/// What can go wrong while scoring or billing.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// Rules out of range.
    #[error("rules: {0}")]
    Rules(String),
    /// The system could not give what was needed (randomness for a token).
    #[error("{0}")]
    Config(String),
    /// An inventory source failed (it is retried; nothing is charged twice).
    #[error("inventory for team {team}: {reason}")]
    Inventory { team: String, reason: String },
}
