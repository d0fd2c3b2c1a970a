//! The error type of the hashref library.

use std::path::PathBuf;

/// What can go wrong while building a keyset or an answer table.
#[derive(Debug, thiserror::Error)]
pub enum HashrefError {
    /// A keyset was asked for with a size it cannot have.
    #[error("a keyset holds between 1 and {max} keys, not {count}")]
    KeysetSize { count: usize, max: usize },
    /// A key popularity (Zipf) exponent out of range.
    #[error("the Zipf exponent must be between 0 and {max}, not {exponent}")]
    ZipfExponent { exponent: f64, max: f64 },
    /// Hash parameters that cannot be used.
    #[error("invalid hash parameters: {0}")]
    Params(String),
    /// The answer cache could not be read or written.
    #[error("answer cache {path}: {source}")]
    Cache {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// No directory was found to hold the answer cache.
    #[error("no cache directory: set GAMEDAY_CACHE_DIR or HOME")]
    NoCacheDir,
}
