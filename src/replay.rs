//! `gameday replay`: a game played headless for CI on a ledger of its own (a temporary
//! file unless one is kept), judged by its `[[expect]]` entries, and reported on the
//! terminal, as JSON and as JUnit XML.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use scoreboard_ledger::LedgerAt;

use crate::game::{
    self, GameError, GameOptions, Report, check_expectations, format_results, junit_xml,
};
use crate::preflight::{self, PreflightError};
use crate::scenario::Scenario;

/// How a replay is played and where its reports go.
#[derive(Clone, Debug, Default)]
pub struct ReplayOptions {
    /// Keep the ledger in this file (none: a temporary file, removed at the end).
    pub db: Option<PathBuf>,
    /// Print the plain-text board this often while the game runs (zero: never).
    pub board_every: Duration,
    /// Read and write the disk cache of expected answers.
    pub answer_cache: bool,
    /// Write the results and verdicts as JSON here.
    pub report_json: Option<PathBuf>,
    /// Write the verdicts as JUnit XML here.
    pub junit: Option<PathBuf>,
}

/// Why a replay gave no verdicts.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Refused before the game was built (memory, disk).
    #[error(transparent)]
    Preflight(#[from] PreflightError),
    /// The game could not be played to a result.
    #[error("game {game:?}")]
    Game { game: String, source: GameError },
    /// A report or the temporary ledger could not be written.
    #[error("writing {}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The terminal went away.
    #[error(transparent)]
    Out(#[from] std::io::Error),
}

/// Plays `s` (read from `path`) headless, writing the log to `out`, then prints the results
/// and the verdicts and writes the reports `options` asks for. The report says whether the
/// replay passed: the game reached its end and every expectation holds.
pub fn replay(
    path: &Path,
    s: &Scenario,
    options: &ReplayOptions,
    out: &mut dyn Write,
) -> Result<Report, ReplayError> {
    let outcome = play(s, options, out)?;
    let verdicts = check_expectations(&s.expect, &outcome.state);
    writeln!(out, "\n{}", format_results(&outcome.state))?;
    for v in &verdicts {
        writeln!(out, "{v}")?;
    }
    let report = Report::new(
        &path.display().to_string(),
        &s.game.name,
        &outcome.state,
        verdicts,
        outcome.hooks,
        outcome.finished,
    );
    write_reports(&report, options)?;
    writeln!(out, "{}: {}", path.display(), summary(&report))?;
    Ok(report)
}

/// The game itself, on the kept ledger or a temporary one.
fn play(
    s: &Scenario,
    options: &ReplayOptions,
    out: &mut dyn Write,
) -> Result<game::GameOutcome, ReplayError> {
    let temp = tempfile::Builder::new()
        .prefix("gameday-replay")
        .suffix(".db")
        .tempfile()
        .map_err(|source| ReplayError::Write {
            path: std::env::temp_dir(),
            source,
        })?;
    let db = options.db.clone().unwrap_or_else(|| temp.path().to_owned());
    let at = LedgerAt::File(db);
    let failed = |source| ReplayError::Game {
        game: s.game.name.clone(),
        source,
    };
    preflight::before_play(s, 1, &at, out)?;
    let lock = game::PlayLock::take(&at).map_err(failed)?;
    let game_options = GameOptions {
        ledger: at,
        workers: game::Workers::Local,
        board_every: options.board_every,
        answer_cache: options.answer_cache,
        acks: None,
        ledger_buffer: game::DEFAULT_LEDGER_BUFFER,
    };
    let outcome = game::play(s, &game_options, out, |_| {});
    drop(lock);
    if options.db.is_none() {
        // The temporary ledger's lock file goes with it (no other process knows of it).
        let _ = std::fs::remove_file(game::lock_path(temp.path()));
    }
    outcome.map_err(failed)
}

/// Writes the JSON and JUnit XML reports `options` asks for.
pub fn write_reports(report: &Report, options: &ReplayOptions) -> Result<(), ReplayError> {
    let write = |path: &Path, text: String| {
        std::fs::write(path, text).map_err(|source| ReplayError::Write {
            path: path.to_owned(),
            source,
        })
    };
    if let Some(path) = &options.report_json {
        let json = serde_json::to_string_pretty(report).expect("a report serializes");
        write(path, json + "\n")?;
    }
    if let Some(path) = &options.junit {
        write(path, junit_xml(report))?;
    }
    Ok(())
}

/// The replay's last line: `all 5 expectations hold`, `1 of 5 expectations failed`, or that
/// the game was stopped (never a pass).
pub fn summary(report: &Report) -> String {
    let failed = report.expectations.iter().filter(|v| !v.ok).count();
    match (report.finished, failed) {
        (false, _) => "the game was stopped before its end: not a pass".to_owned(),
        (true, 0) => format!("all {} expectations hold", report.expectations.len()),
        (true, n) => format!("{n} of {} expectations failed", report.expectations.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GAME: &str = r#"
[game]
name = "unit replay"
duration = "2s"
allow_private_targets = true
[keyset]
count = 20
[hash]
iterations = 10
[load]
phases = [{ at = "0s", rate = 5 }]
[[team]]
name = "solo"
simulate = { flavor = "v2", min_latency = "5ms" }
[[expect]]
team = "solo"
score_min = -1000
[[expect]]
team = "solo"
score_min = 1000
"#;

    #[test]
    fn a_replay_plays_judges_and_writes_its_reports() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("unit.toml");
        let s = crate::scenario::parse(GAME, &path).unwrap();
        let options = ReplayOptions {
            db: Some(dir.path().join("game.db")),
            report_json: Some(dir.path().join("report.json")),
            junit: Some(dir.path().join("junit.xml")),
            ..Default::default()
        };
        let mut out = Vec::new();
        let report = replay(&path, &s, &options, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(report.finished && !report.passed, "{text}");
        assert_eq!(report.teams.len(), 1, "{text}");
        assert_eq!(summary(&report), "1 of 2 expectations failed", "{text}");
        assert!(
            text.contains("✓ solo: score ≥ -1000 (actual: ")
                && text.ends_with("unit.toml: 1 of 2 expectations failed\n"),
            "{text}"
        );
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap())
                .unwrap();
        assert_eq!(
            (json["passed"].as_bool(), json["finished"].as_bool()),
            (Some(false), Some(true))
        );
        let xml = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
        assert!(xml.contains(r#"tests="2" failures="1""#), "{xml}");
        // The kept ledger holds the game; its lock is gone with the game.
        assert!(dir.path().join("game.db").exists());
    }

    #[test]
    fn a_stopped_game_is_never_a_pass_and_an_unwritable_report_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let state = scoreboard_domain::GameProjection::new(
            &["solo".to_owned()],
            scoreboard_domain::Cents(0),
            None,
        );
        let report = Report::new(
            "unit.toml",
            "unit replay",
            &state,
            Vec::new(),
            Vec::new(),
            false,
        );
        assert_eq!(
            summary(&report),
            "the game was stopped before its end: not a pass"
        );
        assert!(!report.passed);
        let options = ReplayOptions {
            junit: Some(dir.path().join("no/such/dir/junit.xml")),
            ..Default::default()
        };
        let err = write_reports(&report, &options).unwrap_err();
        assert!(err.to_string().contains("no/such/dir/junit.xml"), "{err}");
    }
}
