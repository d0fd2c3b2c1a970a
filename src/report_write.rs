//! `gameday report`: the post-game report of a game's ledger drawn and written as one
//! self-contained HTML file, and what the organizer is told of it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use scoreboard::debrief::Audience;
use scoreboard_ledger::LedgerAt;

use crate::debrief::{self, ReportError};
use crate::scenario::Scenario;

/// Why the report was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteReportError {
    /// The ledger could not be read, or holds no game.
    #[error("reading {at}")]
    Read { at: String, source: ReportError },
    #[error("writing {}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A report written: where, how large, how long it took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub path: PathBuf,
    pub bytes: usize,
    pub took: Duration,
}

impl std::fmt::Display for Written {
    /// `wrote report.html (1.2 MiB) in 0.4 s`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "wrote {} ({:.1} MiB) in {:.1} s",
            self.path.display(),
            self.bytes as f64 / (1024.0 * 1024.0),
            self.took.as_secs_f64()
        )
    }
}

/// Draws the report of the game at `at` for `audience`, with the faults and steps of
/// `scenario` marked on its charts, and writes it to `path`.
pub fn write_report(
    at: &LedgerAt,
    scenario: Option<&Scenario>,
    audience: Audience,
    path: &Path,
) -> Result<Written, WriteReportError> {
    let started = Instant::now();
    let html =
        debrief::report(at, scenario, audience).map_err(|source| WriteReportError::Read {
            at: at.to_string(),
            source,
        })?;
    std::fs::write(path, &html).map_err(|source| WriteReportError::Write {
        path: path.to_owned(),
        source,
    })?;
    Ok(Written {
        path: path.to_owned(),
        bytes: html.len(),
        took: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ledgers_report_is_one_file_and_the_public_one_leaves_out_the_organizers_parts() {
        let dir = tempfile::tempdir().unwrap();
        let at = LedgerAt::File(dir.path().join("game.db"));
        crate::test_ledger::small_game(at.file().unwrap());
        let path = dir.path().join("report.html");
        let written = write_report(&at, None, Audience::Organizer, &path).unwrap();
        let html = std::fs::read_to_string(&path).unwrap();
        assert_eq!(written.bytes, html.len());
        assert!(html.contains("alpha") && html.contains("bravo"));
        assert!(!html.contains("<script src="), "self-contained");
        assert!(
            written
                .to_string()
                .starts_with(&format!("wrote {} (", path.display())),
            "{written}"
        );
        let public = dir.path().join("public.html");
        let written = write_report(&at, None, Audience::Public, &public).unwrap();
        assert!(written.bytes < html.len(), "{written}");
    }

    #[test]
    fn no_ledger_and_an_unwritable_place_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let none = LedgerAt::File(dir.path().join("none.db"));
        let err =
            write_report(&none, None, Audience::Public, &dir.path().join("r.html")).unwrap_err();
        assert!(
            loadgen::error_chain(&err).starts_with("reading ")
                && err.to_string().contains("none.db"),
            "{}",
            loadgen::error_chain(&err)
        );
        let at = LedgerAt::File(dir.path().join("game.db"));
        crate::test_ledger::small_game(at.file().unwrap());
        let err =
            write_report(&at, None, Audience::Public, &dir.path().join("no/r.html")).unwrap_err();
        assert!(err.to_string().starts_with("writing "), "{err}");
    }
}
