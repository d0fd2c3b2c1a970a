//! `gameday report` and `gameday runbook`: the post-game report of a ledger, and the handout
//! teams get before the game, each written as one self-contained file.

use std::io::Write;

use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;

use gameday::report_write::write_report;
use scoreboard::debrief::Audience;

use crate::ledger_args::LedgerArgs;

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// The game's ledger.
    #[command(flatten)]
    pub ledger: LedgerArgs,
    /// Where the report goes: one self-contained HTML file (opens without a network).
    #[arg(long, default_value = "report.html", value_name = "FILE")]
    pub out: PathBuf,
    /// The game's scenario file: its faults and simulated teams' steps are marked on the
    /// charts (the ledger holds the pauses, announcements and URL changes).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Only what the public board shows: the final table, the score race, announcements.
    #[arg(long)]
    pub public: bool,
}

/// `gameday report`.
pub fn report(args: ReportArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let at = args.ledger.required()?;
    let scenario = match args.scenario.as_deref().map(gameday::preflight::load) {
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            eprintln!("gameday: {e}");
            return Ok(ExitCode::from(2));
        }
        None => None,
    };
    let audience = if args.public {
        Audience::Public
    } else {
        Audience::Organizer
    };
    let written = write_report(&at, scenario.as_ref(), audience, &args.out)?;
    writeln!(out, "{written}")?;
    Ok(ExitCode::SUCCESS)
}

#[derive(clap::Args, Debug)]
pub struct RunbookArgs {
    /// The game's scenario file: the handout's contract, SLA, points and prices are its own.
    pub scenario: PathBuf,
    /// The board's address as teams will type it (https://board.example.org).
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// Where the handout goes; `-` for standard output.
    #[arg(long, default_value = "runbook.html", value_name = "FILE")]
    pub out: PathBuf,
    /// Markdown instead of HTML (to paste into a wiki, a chat or an email).
    #[arg(long)]
    pub markdown: bool,
}

/// `gameday runbook`.
pub fn runbook(args: RunbookArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let s = match gameday::preflight::load(&args.scenario) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("gameday: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let board = match gameday::runbook::board_url(&args.url) {
        Ok(board) => board,
        Err(e) => {
            eprintln!("gameday: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let doc = gameday::runbook::handout(&s, &board);
    let text = if args.markdown {
        doc.markdown()
    } else {
        doc.html()
    };
    if args.out.as_os_str() == "-" {
        out.write_all(text.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    gameday::runbook::write_file(&args.out, &text)
        .with_context(|| format!("writing {}", args.out.display()))?;
    writeln!(
        out,
        "wrote {} ({} KiB): the handout of {}, board at {board}",
        args.out.display(),
        text.len().div_ceil(1024),
        s.game.name
    )?;
    Ok(ExitCode::SUCCESS)
}
