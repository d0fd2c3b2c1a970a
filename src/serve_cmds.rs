//! `gameday serve` and `gameday worker`: the commands that follow a game's ledger another
//! process keeps (a read-only web replica, one segment of a split game's load).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use gameday::game;
use gameday::ledger_names::game_id;
use gameday::preflight;
use gameday::serve::ReplicaBoard;
use loadgen::ExecSegment;

use crate::game_cmds::{load, warn};
use crate::ledger_args::LedgerArgs;

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// The game's ledger (a finished game, or one `gameday play` is writing).
    #[command(flatten)]
    pub ledger: LedgerArgs,
    /// Where the web scoreboard listens.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub web: std::net::SocketAddr,
    /// How often the ledger is read again.
    #[arg(long, default_value = "2s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub refresh: Duration,
    /// The game's scenario file: its faults and simulated teams' steps are marked on the
    /// charts of /report (the ledger holds the pauses, announcements and URL changes).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct WorkerArgs {
    /// The scenario file: the same one the coordinator plays.
    pub scenario: PathBuf,
    /// Which segment of every team's schedule this worker sends: INDEX/COUNT with INDEX
    /// from 0 (on Kubernetes: `$(JOB_COMPLETION_INDEX)/N` of an Indexed Job). The segments
    /// of one COUNT together are exactly the whole schedule.
    #[arg(long, value_name = "I/N", value_parser = parse_segment)]
    pub segment: ExecSegment,
    /// The shared ledger (`--ledger postgres://…`, or a SQLite file on one machine).
    #[command(flatten)]
    pub ledger: LedgerArgs,
    /// Neither read nor write the disk cache of expected answers.
    #[arg(long)]
    pub no_cache: bool,
}

fn parse_segment(text: &str) -> Result<ExecSegment, String> {
    text.parse()
        .map_err(|e: loadgen::SegmentError| e.to_string())
}

/// `gameday serve`: a read-only web scoreboard of a game's ledger, until Ctrl-C.
pub fn serve(args: ServeArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let at = args.ledger.required()?;
    let markers = match &args.scenario {
        Some(path) => match load(path) {
            Ok(s) => gameday::debrief::markers(&s),
            Err(code) => return Ok(code),
        },
        None => Vec::new(),
    };
    let board = ReplicaBoard::start(at, args.web, markers)?;
    writeln!(out, "{}", board.banner())?;
    board.run(args.refresh, &mut std::io::stderr(), async {
        let _ = tokio::signal::ctrl_c().await;
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `gameday worker`: sends one segment of a split game's load until the game ends.
pub fn worker(args: WorkerArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let s = match load(&args.scenario) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    if let Err(code) = warn(preflight::fits_machine(&s, args.segment.count()), out)? {
        return Ok(code);
    }
    let Some(at) = args.ledger.at(Some(&game_id(&s.game.name)))? else {
        anyhow::bail!(
            "a worker needs the game's shared ledger: --ledger postgres://… (or GAMEDAY_LEDGER)"
        );
    };
    let ledger = at.open().with_context(|| format!("opening {at}"))?;
    writeln!(out, "segment {} of {:?} on {at}", args.segment, s.game.name)?;
    if let Some(warning) = preflight::raise_open_files(&s, args.segment.count()) {
        writeln!(out, "{warning}")?;
    }
    game::work(&s, args.segment, at, ledger, !args.no_cache, out)
        .with_context(|| format!("worker {} of {:?}", args.segment, s.game.name))?;
    Ok(ExitCode::SUCCESS)
}
