//! `gameday play`, `replay` and `check`: the game runner's commands. They parse their
//! options and call the library (pre-flight checks, the game, the views, the replay's
//! reports); refusals exit with 2.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use gameday::game::{self, GameOptions, format_results};
use gameday::ledger_names::{fresh_db, game_id, resume_command};
use gameday::preflight::{self, PreflightError};
use gameday::replay::ReplayOptions;
use gameday::scenario::Scenario;
use gameday::serve::{GameViews, WebBinding};
use scoreboard_ledger::LedgerAt;

use crate::ledger_args::LedgerArgs;

#[derive(clap::Args, Debug)]
pub struct PlayArgs {
    /// The scenario file (TOML; see scenarios/README.md).
    pub scenario: PathBuf,
    /// The ledger: given one of this game, the game resumes where its clock is; without
    /// --db or --ledger, a new file `gameday-NAME-UNIXTIME.db` is created here. In a
    /// PostgreSQL ledger the game id defaults to the game's name (`Spring Day` → spring-day).
    #[command(flatten)]
    pub ledger: LedgerArgs,
    /// Who sends the load: `local` (this process) or `external` (`gameday worker`
    /// processes on the same PostgreSQL ledger; this one scores, bills, runs the timeline and
    /// the views).
    #[arg(long, value_enum, default_value_t = WorkersArg::Local, value_name = "WHO")]
    pub workers: WorkersArg,
    /// With external workers: how long a tick waits for a missing worker's batch before its
    /// share is voided (an Engine event; no team loses points for it).
    #[arg(long, default_value = "5s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub grace: Duration,
    /// Print the plain-text scoreboard this often (`0s`: only at the end).
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub board_every: Duration,
    /// No terminal cockpit: print the log and a plain-text board instead (the default when
    /// stdout is not a terminal).
    #[arg(long)]
    pub no_tui: bool,
    /// Neither read nor write the disk cache of expected answers.
    #[arg(long)]
    pub no_cache: bool,
    /// Where the web scoreboard listens (public board, team pages, admin, API) [default:
    /// 127.0.0.1:8080, and when that is taken the game goes on without it]. An address given
    /// here that is taken is refused before the game begins.
    #[arg(long, value_name = "ADDR")]
    pub web: Option<std::net::SocketAddr>,
    /// No web scoreboard.
    #[arg(long)]
    pub no_web: bool,
    /// Append a line to FILE for every batch, billing block, adjustment and void once the
    /// ledger has committed it (for scripts/crash-consistency.sh).
    #[arg(long, value_name = "FILE", hide = true)]
    pub acks: Option<PathBuf>,
    /// While the ledger is unavailable (PostgreSQL restarting, a full disk), up to this many
    /// causes (outcome batches, billing blocks, adjustments) wait in memory and the game goes
    /// on; when as many wait, the game pauses until the ledger is back. Nothing is lost.
    #[arg(long, default_value_t = game::DEFAULT_LEDGER_BUFFER, value_name = "CAUSES")]
    pub ledger_buffer: usize,
    /// Tell the organizers' channel the game's moments (start, pause, freeze, the end,
    /// announcements, registrations, the ledger down and back): a Slack, Discord or
    /// Mattermost incoming-webhook URL, or any JSON endpoint. Repeatable. Beside the
    /// scenario's [[notify]] hooks.
    #[arg(long, value_name = "URL")]
    pub notify: Vec<String>,
}

/// The `--notify` hooks (the organizers' channel: it hears everything), or the exit code of
/// a URL that cannot be posted to (said without echoing it: it is a secret).
fn notify_hooks(urls: &[String]) -> Result<Vec<scoreboard::notify::Hook>, ExitCode> {
    use scoreboard::notify::{Audience, Hook, HookKind};
    urls.iter()
        .enumerate()
        .map(|(i, url)| match gameday::scenario::check_hook_url(url) {
            Ok(()) => Ok(Hook {
                kind: HookKind::of_url(url),
                url: url.clone(),
                audience: Audience::Organizer,
            }),
            Err(why) => {
                eprintln!(
                    "gameday: --notify #{}: {why} (the URL is not repeated: it is a secret)",
                    i + 1
                );
                Err(ExitCode::from(2))
            }
        })
        .collect()
}

/// Who sends a game's load (`--workers`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkersArg {
    /// This process.
    Local,
    /// `gameday worker` processes on the same ledger.
    External,
}

#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    /// The scenario file, with its `[[expect]]` entries.
    pub scenario: PathBuf,
    /// Keep the ledger in this file (by default a temporary file, removed at the end).
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Write the results and verdicts as JSON.
    #[arg(long, value_name = "FILE")]
    pub report_json: Option<PathBuf>,
    /// Write the verdicts as JUnit XML (one test case per expectation).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Print the plain-text scoreboard this often while the game runs.
    #[arg(long, default_value = "0s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub board_every: Duration,
    /// Neither read nor write the disk cache of expected answers.
    #[arg(long)]
    pub no_cache: bool,
}

/// Loads a scenario; an invalid one is said as it is and exits with 2.
pub fn load(path: &Path) -> Result<Scenario, ExitCode> {
    preflight::load(path).map_err(refused)
}

/// A refusal before anything is built: said as it is, exit 2.
fn refused(e: PreflightError) -> ExitCode {
    eprintln!("gameday: {e}");
    ExitCode::from(2)
}

/// Prints a pre-flight warning; a refusal exits with 2.
pub fn warn(
    verdict: Result<Option<String>, PreflightError>,
    out: &mut dyn Write,
) -> anyhow::Result<Result<(), ExitCode>> {
    match verdict {
        Ok(warning) => {
            if let Some(warning) = warning {
                writeln!(out, "{warning}")?;
            }
            Ok(Ok(()))
        }
        Err(e) => Ok(Err(refused(e))),
    }
}

/// `gameday check`: validates without running and says what the game is.
pub fn check(path: &Path, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match preflight::check(path) {
        Ok(lines) => {
            for line in lines {
                writeln!(out, "{line}")?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(refused(e)),
    }
}

/// `gameday play`: runs the game live.
pub fn play(args: PlayArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let s = match load(&args.scenario) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let hooks = match notify_hooks(&args.notify) {
        Ok(hooks) => hooks,
        Err(code) => return Ok(code),
    };
    let at = match args.ledger.at(Some(&game_id(&s.game.name)))? {
        Some(at) => at,
        None => LedgerAt::File(fresh_db(&s.game.name)),
    };
    let workers = match args.workers {
        WorkersArg::External => game::Workers::External { grace: args.grace },
        WorkersArg::Local => game::Workers::Local,
    };
    // With external workers this process sends no load.
    let segments = u32::from(workers == game::Workers::Local);
    match preflight::before_play(&s, segments, &at, out) {
        Err(PreflightError::Out(e)) => return Err(e.into()),
        Err(e) => return Ok(refused(e)),
        Ok(()) => {}
    }
    // Before the answers are built or the web bound: a second player of the game refuses
    // at once.
    let _lock = game::PlayLock::take(&at).with_context(|| format!("game {:?}", s.game.name))?;
    let listener = match web_listener(&args) {
        Ok(listener) => listener,
        Err(code) => return Ok(code),
    };
    let options = GameOptions {
        ledger: at.clone(),
        workers,
        board_every: args.board_every,
        answer_cache: !args.no_cache,
        acks: args.acks.clone(),
        ledger_buffer: args.ledger_buffer,
    };
    let tui = !args.no_tui && std::io::stdout().is_terminal();
    let mut views = GameViews::new(listener, tui, &at, &s).notify(hooks);
    // While the cockpit owns the terminal, the log would scribble over it.
    let mut sink = std::io::sink();
    let log: &mut dyn Write = if tui { &mut sink } else { out };
    let outcome = game::play(&s, &options, log, |view| views.start(view));
    views.finish().context("terminal cockpit")?;
    let outcome = match outcome {
        Ok(outcome) => outcome,
        // Stopped before it began: the organizer's choice, as a stop during the game is.
        Err(e @ game::GameError::NotStarted { .. }) => {
            writeln!(out, "{e}")?;
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => return Err(e).with_context(|| format!("game {:?}", s.game.name)),
    };
    writeln!(out, "{}", format_results(&outcome.state))?;
    if !outcome.finished {
        writeln!(out, "to resume: {}", resume_command(&args.scenario, &at))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The web scoreboard's socket, bound before the game begins (none with --no-web): an
/// address given with --web that is taken exits with 2; the default one taken is said, and
/// the game goes on without the web pages.
fn web_listener(args: &PlayArgs) -> Result<Option<std::net::TcpListener>, ExitCode> {
    if args.no_web {
        return Ok(None);
    }
    match gameday::serve::bind_web(args.web) {
        Ok(WebBinding::Bound(listener)) => Ok(Some(listener)),
        Ok(WebBinding::Skipped(why)) => {
            eprintln!("gameday: {why}");
            Ok(None)
        }
        Err(e) => {
            eprintln!("gameday: {e}");
            Err(ExitCode::from(2))
        }
    }
}

/// `gameday replay`: plays headless, then checks the expectations: 0 all hold, 1 one
/// fails (or the game was stopped), 2 the scenario is invalid.
pub fn replay(args: ReplayArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let s = match load(&args.scenario) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let options = ReplayOptions {
        db: args.db,
        board_every: args.board_every,
        answer_cache: !args.no_cache,
        report_json: args.report_json,
        junit: args.junit,
    };
    let report = match gameday::replay::replay(&args.scenario, &s, &options, out) {
        Ok(report) => report,
        Err(gameday::replay::ReplayError::Preflight(e)) => return Ok(refused(e)),
        Err(e) => return Err(e.into()),
    };
    Ok(if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
