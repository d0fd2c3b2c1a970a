//! Pre-flight checks before a game is built: whether it fits this machine's memory, whether
//! its ledger fits the disk, the open-files limit raised for its connections, and `gameday
//! check`'s account of a scenario. A refusal is a [`PreflightError`] that says what would
//! happen and what to change; a warning is text the caller prints and goes on.

use std::path::{Path, PathBuf};

use scoreboard_ledger::LedgerAt;

use crate::capacity::{self, Machine, Needs};
use crate::disk;
use crate::game::{self, GameError};
use crate::scenario::{self, Endpoint, Scenario, ScenarioError};

/// Why a game is refused before it is built.
#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    /// The scenario file cannot be read or is invalid (file, line and field).
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The scenario asks for what this build cannot do (AWS billing without the feature).
    #[error("{}: {source}", path.display())]
    Unsupported { path: PathBuf, source: GameError },
    /// The game would not fit this machine's memory: what would happen, what to change.
    #[error("{0}")]
    Memory(String),
    /// The game's ledger would not fit its disk: how much it needs, what to change.
    #[error("{0}")]
    Disk(String),
    /// A warning could not be written.
    #[error(transparent)]
    Out(#[from] std::io::Error),
}

/// Reads and checks the scenario at `path`, refusing what this build cannot play (as
/// `gameday check` and `gameday play` both do).
pub fn load(path: &Path) -> Result<Scenario, PreflightError> {
    scenario::load(path).map_err(PreflightError::from)
}

/// `gameday check`: validates the scenario at `path` without running it, and says what the
/// game is, what memory and disk it takes, and where this machine falls short: one line each.
pub fn check(path: &Path) -> Result<Vec<String>, PreflightError> {
    let s = load(path)?;
    // What `play` would refuse, check refuses too.
    game::billing_supported(&s.billing)
        .and_then(|()| game::breaks_supported(&s.chaos))
        .map_err(|source| PreflightError::Unsupported {
            path: path.to_owned(),
            source,
        })?;
    let mut lines = vec![format!("{}: ok: {}", path.display(), describe(&s))];
    let needs = Needs::of(&s, 1);
    lines.push(format!(
        "memory: about {} to play it in one process",
        capacity::size(needs.total())
    ));
    if let Some(Err(why)) = Machine::this().map(|m| needs.judge(m)) {
        lines.push(format!("warning: on this machine, {why}"));
    }
    let ledger = disk::estimate(&s);
    let free = disk::free_bytes(Path::new("."));
    lines.push(format!(
        "ledger: about {} ({} teams × {} ticks; a SQLite file here has {} free)",
        capacity::size(ledger),
        s.teams.len(),
        disk::ticks(&s, s.game.duration),
        free.map_or_else(|| "unknown".to_owned(), capacity::size)
    ));
    if let Some(Err(why)) = free.map(|f| disk::judge(ledger, f, Path::new("."))) {
        lines.push(format!("warning: {why}"));
    }
    Ok(lines)
}

/// What the game is: `game "x", 10m long, 3 teams (1 simulated, 2 real), …`.
fn describe(s: &Scenario) -> String {
    let count = |simulated: bool| {
        s.teams
            .iter()
            .filter(|t| matches!(t.endpoint, Endpoint::Simulate(_)) == simulated)
            .count()
    };
    let registering = s
        .teams
        .iter()
        .filter(|t| t.endpoint == Endpoint::Registers)
        .count();
    let registers = match registering {
        0 => String::new(),
        1 => ", 1 team registers its own endpoint".to_owned(),
        n => format!(", {n} teams register their own endpoint"),
    };
    format!(
        "game {:?}, {} long, {} ({} simulated, {} real{registers}), {}, {}",
        s.game.name,
        humantime::format_duration(s.game.duration),
        counted(s.teams.len(), "team", "teams"),
        count(true),
        count(false),
        counted(s.timeline.len(), "timeline entry", "timeline entries"),
        counted(s.expect.len(), "expectation", "expectations")
    )
}

/// Every check before a process plays `s` into the ledger `at` and sends `segments` shares
/// of its load (0: none): memory, disk, open files, in that order. Each warning is written to
/// `out` as it is found; the first refusal ends the checks.
pub fn before_play(
    s: &Scenario,
    segments: u32,
    at: &LedgerAt,
    out: &mut dyn std::io::Write,
) -> Result<(), PreflightError> {
    let mut say = |warning: Option<String>| match warning {
        Some(warning) => writeln!(out, "{warning}"),
        None => Ok(()),
    };
    say(fits_machine(s, segments)?)?;
    say(fits_disk(s, at)?)?;
    if segments > 0 {
        say(raise_open_files(s, segments))?;
    }
    Ok(())
}

/// Refuses a game that cannot fit this machine's memory and warns about one that takes
/// more than half of it; `segments` is the share of the load this process sends (0: none).
pub fn fits_machine(s: &Scenario, segments: u32) -> Result<Option<String>, PreflightError> {
    match Machine::this() {
        Some(machine) => fits_memory(s, segments, machine),
        None => Ok(None),
    }
}

/// [`fits_machine`] on a given machine.
pub fn fits_memory(
    s: &Scenario,
    segments: u32,
    machine: Machine,
) -> Result<Option<String>, PreflightError> {
    Needs::of(s, segments)
        .judge(machine)
        .map_err(PreflightError::Memory)
}

/// A SQLite ledger's disk must hold what the game will write (less what a resumed ledger
/// already holds): refused when it cannot, warned when it is tight. A PostgreSQL ledger's
/// disk is not this machine's to judge.
pub fn fits_disk(s: &Scenario, at: &LedgerAt) -> Result<Option<String>, PreflightError> {
    let Some(file) = at.file() else {
        return Ok(None);
    };
    let Some(free) = disk::free_bytes(file) else {
        return Ok(None);
    };
    let held = std::fs::metadata(file).map_or(0, |m| m.len());
    let need = disk::estimate(s).saturating_sub(held);
    let place = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    disk::judge(need, free, place).map_err(PreflightError::Disk)
}

/// Files a process needs besides its team connections: the ledger, the web, the fleet's
/// listeners, stdio.
const OPEN_FILES_SPARE: u64 = 256;

/// Raises the soft open-files limit to the hard one (Kubernetes has no per-pod ulimit; a
/// shell's soft 1024 is far too few for a game), and warns when even that is below what the
/// scenario may hold open.
pub fn raise_open_files(s: &Scenario, segments: u32) -> Option<String> {
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0);
    open_files_warning(limit, s, segments)
}

/// The warning when `limit` open files (0: unknown) are fewer than the scenario may hold
/// open: every team at its in-flight cap, shared by `segments`.
pub fn open_files_warning(limit: u64, s: &Scenario, segments: u32) -> Option<String> {
    let connections =
        (s.teams.len() as u64 * s.load.max_in_flight as u64).div_ceil(segments.max(1) as u64);
    let need = connections + OPEN_FILES_SPARE;
    (limit != 0 && limit < need).then(|| {
        format!(
            "warning: open files are limited to {limit}, and this game may hold {connections} \
             connections at once ({} teams × load.max_in_flight {}{}): past the limit, \
             requests fail as connect errors. Raise the hard limit (ulimit -Hn, or the \
             container runtime's), lower load.max_in_flight, or split the load over more workers.",
            s.teams.len(),
            s.load.max_in_flight,
            if segments > 1 {
                format!(", over {segments} workers")
            } else {
                String::new()
            },
        )
    })
}

/// `1 team`, `2 teams`.
fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scenario of `teams` real teams (and one simulated) with `keys` keys.
    fn scenario(teams: usize, keys: usize) -> Scenario {
        let text = format!(
            "[game]\nname = \"pre\"\nduration = \"2m\"\nallow_private_targets = true\n\
             [keyset]\ncount = {keys}\n[load]\nclients = 1\nmax_in_flight = 64\n"
        ) + &(0..teams)
            .map(|i| {
                let (a, b) = (i / 250, i % 250);
                format!("[[team]]\nname = \"t{i}\"\nurl = \"http://10.0.{a}.{b}\"\n")
            })
            .collect::<String>()
            + "[[team]]\nname = \"sim\"\nsimulate = { flavor = \"v2\" }\n";
        scenario::parse(&text, Path::new("pre.toml")).unwrap()
    }

    #[test]
    fn check_says_what_the_game_is_and_what_it_takes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pre.toml");
        let text = "[game]\nname = \"pre\"\nduration = \"2m\"\nallow_private_targets = true\n\
                    [load]\nclients = 1\n\
                    [[team]]\nname = \"a\"\nsimulate = { flavor = \"v2\" }\n\
                    [[team]]\nname = \"b\"\n";
        std::fs::write(&path, text).unwrap();
        let lines = check(&path).unwrap();
        assert!(
            lines[0].ends_with(
                "ok: game \"pre\", 2m long, 2 teams (1 simulated, 1 real, 1 team registers \
                 its own endpoint), 0 timeline entries, 0 expectations"
            ),
            "{lines:?}"
        );
        assert!(lines[1].starts_with("memory: about "), "{lines:?}");
        assert!(
            lines.iter().any(|l| l.starts_with("ledger: about ")),
            "{lines:?}"
        );
    }

    #[test]
    fn check_refuses_an_invalid_scenario_with_its_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "[game]\nname = \"x\"\nduration = \"soon\"\n").unwrap();
        let err = check(&path).unwrap_err();
        assert!(matches!(err, PreflightError::Scenario(_)), "{err:?}");
        assert!(err.to_string().contains("bad.toml:3"), "{err}");
        let missing = check(&dir.path().join("none.toml")).unwrap_err();
        assert!(missing.to_string().contains("cannot read"), "{missing}");
    }

    #[test]
    fn a_game_too_big_for_the_memory_is_refused_and_a_large_one_warned() {
        let s = scenario(4, 1_000_000);
        let small = Machine { memory: 128 << 20 };
        let err = fits_memory(&s, 1, small).unwrap_err();
        assert!(matches!(err, PreflightError::Memory(_)), "{err:?}");
        assert!(err.to_string().contains("OOM killer"), "{err}");
        let needs = Needs::of(&s, 1).total();
        let roomy = Machine {
            memory: needs * 3 / 2,
        };
        let warning = fits_memory(&s, 1, roomy).unwrap().unwrap();
        assert!(
            warning.starts_with("warning: this game may use"),
            "{warning}"
        );
        let big = Machine {
            memory: needs * 100,
        };
        assert_eq!(fits_memory(&s, 1, big).unwrap(), None);
    }

    #[test]
    fn a_ledger_elsewhere_is_not_judged_here_and_a_small_file_fits() {
        let s = scenario(2, 100);
        let postgres = LedgerAt::parse("postgres://u@localhost/db", Some("g")).unwrap();
        assert_eq!(fits_disk(&s, &postgres).unwrap(), None);
        let dir = tempfile::tempdir().unwrap();
        let file = LedgerAt::File(dir.path().join("game.db"));
        assert_eq!(fits_disk(&s, &file).unwrap(), None);
    }

    #[test]
    fn the_checks_before_a_game_warn_in_order_and_stop_at_a_refusal() {
        let dir = tempfile::tempdir().unwrap();
        let at = LedgerAt::File(dir.path().join("game.db"));
        let mut out = Vec::new();
        before_play(&scenario(2, 100), 1, &at, &mut out).unwrap();
        // A small game on this machine: nothing to say unless its open files are too few.
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.is_empty() || text.starts_with("warning: open files"),
            "{text}"
        );
        // A million requests in flight for each of 101 teams (1.7 TiB of connections):
        // refused before the disk is looked at.
        let mut huge = scenario(100, 1000);
        huge.load.max_in_flight = 1_000_000;
        let err = before_play(&huge, 1, &at, &mut Vec::new()).unwrap_err();
        assert!(matches!(err, PreflightError::Memory(_)), "{err:?}");
    }

    #[test]
    fn too_few_open_files_are_said_with_what_to_change() {
        let s = scenario(10, 100);
        // 11 teams × 64 in flight = 704 connections, + 256 spare.
        let warning = open_files_warning(512, &s, 1).unwrap();
        assert!(
            warning.contains("limited to 512, and this game may hold 704 connections"),
            "{warning}"
        );
        assert!(!warning.contains("workers)"), "{warning}");
        let split = open_files_warning(512, &s, 2).unwrap();
        assert!(
            split.contains("352 connections") && split.contains("over 2 workers"),
            "{split}"
        );
        assert_eq!(open_files_warning(960, &s, 1), None);
        assert_eq!(open_files_warning(0, &s, 1), None, "an unknown limit");
    }
}
