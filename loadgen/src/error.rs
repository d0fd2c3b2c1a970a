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
    /// A private CA's certificate file that cannot be used.
    #[error("CA certificate {}: {reason}", path.display())]
    CaCert {
        path: std::path::PathBuf,
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

/// An error and its causes on one line, each said once: `game "x": ledger: disk full`. A
/// cause whose words an outer message already carries (`ledger: {0}` wraps its source) is
/// not repeated.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = String::new();
    let mut cause = Some(error);
    while let Some(e) = cause {
        let message = e.to_string();
        if !message.is_empty() && !text.contains(&message) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&message);
        }
        cause = e.source();
    }
    text
}

#[cfg(test)]
mod chain_tests {
    use super::error_chain;

    #[derive(Debug, thiserror::Error)]
    enum Inner {
        #[error("disk full")]
        Full,
    }

    #[derive(Debug, thiserror::Error)]
    enum Outer {
        #[error("ledger: {0}")]
        Ledger(#[from] Inner),
        #[error("game {name:?}")]
        Game {
            name: String,
            #[source]
            source: Box<Outer>,
        },
    }

    #[test]
    fn each_cause_is_said_once() {
        let e = Outer::Game {
            name: "x".into(),
            source: Box::new(Outer::Ledger(Inner::Full)),
        };
        assert_eq!(error_chain(&e), "game \"x\": ledger: disk full");
        assert_eq!(error_chain(&Inner::Full), "disk full");
    }
}
