//! `gameday report`: writes the post-game report of a ledger as one HTML file.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
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
    let scenario = match &args.scenario {
        Some(path) => match gameday::scenario::load(path) {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("gameday: {e}");
                return Ok(ExitCode::from(2));
            }
        },
        None => None,
    };
    let audience = if args.public {
        Audience::Public
    } else {
        Audience::Organizer
    };
    let started = std::time::Instant::now();
    let html = gameday::debrief::report(&at, scenario.as_ref(), audience)
        .with_context(|| format!("reading {at}"))?;
    std::fs::write(&args.out, &html).with_context(|| format!("writing {}", args.out.display()))?;
    writeln!(
        out,
        "wrote {} ({:.1} MiB) in {:.1} s",
        args.out.display(),
        html.len() as f64 / (1024.0 * 1024.0),
        started.elapsed().as_secs_f64()
    )?;
    Ok(ExitCode::SUCCESS)
}
