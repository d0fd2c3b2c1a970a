//! `gameday report`: writes the post-game report of a ledger as one HTML file.

use std::io::Write;
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
