//! Scenario files: TOML read in two stages, serde's `RawScenario` then a checked
//! [`Scenario`], with errors that name the file, line, column and field.

mod check;
mod duration;
mod locate;
mod model;
mod raw;
mod validate;

use std::path::{Path, PathBuf};

pub use model::*;

/// Why a scenario cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{}: cannot read the scenario: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not a valid scenario: where, which field, what was expected.
    #[error("{}:{line}:{column}: {field}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        /// 1-based.
        line: usize,
        /// 1-based.
        column: usize,
        /// Dotted path of the field, like `load.phases[1].rate` or `team[2].simulate.flavor`.
        field: String,
        /// What was wrong and what was expected.
        message: String,
    },
}

/// Checks a team's new endpoint URL as the scenario loader checks `url` (the SSRF rule:
/// private addresses only when the scenario allows them).
pub fn check_team_url(url: &str, allow_private: bool) -> Result<(), String> {
    validate::url_problem(url, "team", allow_private).map_or(Ok(()), Err)
}

/// Why a webhook's URL cannot be posted to (never echoing it: it is a secret).
pub fn check_hook_url(url: &str) -> Result<(), &'static str> {
    validate::check_hook_url(url)
}

/// Reads and checks the scenario at `path`.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(&text, path)
}

/// Checks the scenario `text`, naming `path` in errors.
pub fn parse(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
    let raw = raw::read(text, path)?;
    validate::validate(raw, text, path)
}
