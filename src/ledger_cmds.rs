//! `gameday events` and `gameday rescore`: reading a game's ledger from the terminal (the
//! rescore's plan is [`gameday::rescore_plan`]).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use gameday::rescore_plan::{RescorePlan, read_rules};
use gameday::teams::team_id;
use scoreboard::event_json::EventJson;
use scoreboard_domain::{GameTime, Points, Source};
use scoreboard_ledger::EventFilter;

/// Options of `gameday events`.
#[derive(clap::Args, Debug)]
pub struct EventsArgs {
    /// The game's ledger.
    #[command(flatten)]
    ledger: crate::ledger_args::LedgerArgs,
    /// Only this team's events: its id in the scenario, or the public name it chose.
    #[arg(long, value_name = "TEAM")]
    team: Option<String>,
    /// Only events from this game time on (90s, 5m, 1h).
    #[arg(long, value_name = "T", value_parser = parse_duration)]
    since: Option<Duration>,
    /// Only events from this source (LoadGen, Billing, Organizer, Engine).
    #[arg(long, value_enum, ignore_case = true, value_name = "SOURCE")]
    source: Option<SourceArg>,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

/// Options of `gameday rescore`.
#[derive(clap::Args, Debug)]
pub struct RescoreArgs {
    /// The game's ledger.
    #[command(flatten)]
    ledger: crate::ledger_args::LedgerArgs,
    /// New rules (TOML: the fields of a scenario's [scoring] table at the top, and a [billing]
    /// table (price, block, points_per_dollar)); default: the stored rules.
    #[arg(long, value_name = "FILE")]
    rules: Option<PathBuf>,
    /// Show what would change without writing it.
    #[arg(long)]
    dry_run: bool,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|e| format!("{e} (examples: 90s, 5m, 1h)"))
}

/// A score event's source, as `--source` names it (in any case).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum SourceArg {
    #[value(name = "LoadGen")]
    LoadGen,
    #[value(name = "Billing")]
    Billing,
    #[value(name = "Organizer")]
    Organizer,
    #[value(name = "Engine")]
    Engine,
}

impl From<SourceArg> for Source {
    fn from(source: SourceArg) -> Source {
        match source {
            SourceArg::LoadGen => Source::LoadGen,
            SourceArg::Billing => Source::Billing,
            SourceArg::Organizer => Source::Organizer,
            SourceArg::Engine => Source::Engine,
        }
    }
}

pub fn events(args: EventsArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let ledger = args.ledger.required()?.open_existing()?;
    let team = match &args.team {
        Some(team) => Some(team_id(&*ledger, team)?),
        None => None,
    };
    let filter = EventFilter {
        team,
        since: args.since.map(GameTime::from_duration),
        source: args.source.map(Source::from),
        ..Default::default()
    };
    let events = ledger.events(&filter)?;
    for e in &events {
        if args.json {
            serde_json::to_writer(&mut *out, &EventJson::from(e))?;
            writeln!(out)?;
        } else if args.team.is_some() {
            writeln!(out, "{e}")?;
        } else {
            writeln!(
                out,
                "{}  {:<16} {:>8}  {:<9}  {}",
                e.at,
                e.team,
                e.points.to_string(),
                e.source,
                e.reason
            )?;
        }
    }
    if events.is_empty() && !args.json {
        eprintln!("no events match");
    }
    Ok(())
}

pub fn rescore(args: RescoreArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let at = args.ledger.required()?;
    let mut ledger = at.open_existing()?;
    let rules = args.rules.as_deref().map(read_rules).transpose()?;
    let plan = RescorePlan::make(&at, &*ledger, rules)?;
    writeln!(
        out,
        "{:<20} {:>12} {:>12} {:>12}",
        "team", "old", "new", "difference"
    )?;
    for t in plan.totals() {
        writeln!(
            out,
            "{:<20} {:>12} {:>12} {:>12}",
            t.team,
            t.old.to_string(),
            t.new.to_string(),
            Points(t.new.0 - t.old.0).to_string()
        )?;
    }
    if args.dry_run {
        let change = if plan.changed() {
            "events would change"
        } else {
            "no event would change"
        };
        writeln!(out, "dry run: nothing written ({change})")?;
    } else {
        let written = plan.write(&mut *ledger)?;
        let which = if args.rules.is_some() {
            "new"
        } else {
            "stored"
        };
        writeln!(out, "{written} events rewritten under the {which} rules")?;
    }
    // A long game's events are millions of small strings, and the process ends when this
    // command returns: freeing them one by one would add a quarter of its time.
    std::mem::forget(plan);
    Ok(())
}
