//! `gameday chaos plan` and `gameday chaos restore`: the instructor's breaks outside a game
//! (gameday::chaos does the work; this parses, prints and picks the exit code).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use gameday::chaos::ChaosError;
use gameday::chaos::restore::Which;

use crate::ledger_args::LedgerArgs;

#[derive(clap::Subcommand, Debug)]
pub enum ChaosCommand {
    /// Lists, per team, each break of the scenario's timeline in time order and what it
    /// would touch, changing nothing: a real team's ([[chaos.aws]]) is read from its
    /// account, with the seed the game will use (so it names the instance the game will
    /// pick); a simulated team's is its effect in words. Exit 1 when a team could not be
    /// planned (its reason is on its line), 2 when the scenario is invalid.
    Plan {
        /// The scenario file.
        scenario: PathBuf,
        /// One JSON array of the teams' plans (team, about, lines, failed) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Puts back the breaks a game left in place (a break without `for`, or a game stopped
    /// before its restore), as its ledger recorded them, and notes each restore there (the
    /// organizer's, as the debrief shows it). Without --team or --all it lists them and
    /// changes nothing. A real team's break goes through its [[chaos.aws]] account, read
    /// from --scenario (the ledger does not keep accounts); a simulated team's cannot be
    /// put back after its game (its servers ended with it). Refused while a game is played
    /// on the ledger: restore from its admin page then. Exit 1 when a real team's break
    /// asked for is still in place.
    Restore(RestoreArgs),
}

#[derive(clap::Args, Debug)]
pub struct RestoreArgs {
    /// The game's ledger.
    #[command(flatten)]
    pub ledger: LedgerArgs,
    /// Put back this team's breaks.
    #[arg(long, value_name = "TEAM", conflicts_with = "all")]
    pub team: Option<String>,
    /// Put back every team's breaks.
    #[arg(long)]
    pub all: bool,
    /// The game's scenario file: the real teams' [[chaos.aws]] accounts (and which teams
    /// are simulated).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
}

/// `gameday chaos …`.
pub fn chaos(command: ChaosCommand, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match command {
        ChaosCommand::Plan { scenario, json } => plan(&scenario, json, out),
        ChaosCommand::Restore(args) => restore(args, out),
    }
}

fn plan(path: &std::path::Path, json: bool, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let plans = match gameday::preflight::load(path)
        .map_err(ChaosError::from)
        .and_then(|s| gameday::chaos::plan::plan(&s))
    {
        Ok(plans) => plans,
        Err(e @ ChaosError::Scenario(_)) => {
            eprintln!("gameday: {e}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    let failed = plans.iter().filter(|p| p.failed.is_some()).count();
    let code = ExitCode::from(u8::from(failed > 0));
    if json {
        serde_json::to_writer_pretty(&mut *out, &plans)?;
        writeln!(out)?;
        return Ok(code);
    }
    if plans.is_empty() {
        writeln!(out, "{}: no break on the timeline", path.display())?;
    }
    for p in &plans {
        writeln!(out, "{} ({}):", p.team, p.about)?;
        for line in &p.lines {
            writeln!(out, "  {line}")?;
        }
        if let Some(why) = &p.failed {
            writeln!(out, "  NOT PLANNED: {why}")?;
        }
    }
    if failed > 0 {
        writeln!(out, "{failed} team(s) could not be planned")?;
    } else {
        writeln!(out, "nothing was changed")?;
    }
    Ok(code)
}

fn restore(args: RestoreArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let at = args.ledger.required()?;
    let scenario = match args.scenario.as_deref().map(gameday::preflight::load) {
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            eprintln!("gameday: {e}");
            return Ok(ExitCode::from(2));
        }
        None => None,
    };
    let which = match (args.team, args.all) {
        (Some(team), _) => Which::Team(team),
        (None, true) => Which::All,
        (None, false) => Which::List,
    };
    let left = gameday::chaos::restore::restore(&at, &which, scenario.as_ref(), out)?;
    if left > 0 {
        writeln!(out, "{left} break(s) still in place")?;
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
