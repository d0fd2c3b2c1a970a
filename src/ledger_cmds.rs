//! `gameday events` and `gameday rescore`: reading a game's ledger from the terminal.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use scoreboard::event_json::EventJson;
use scoreboard::{EventFilter, GameProjection, GameTime, Points, Rules, Scorer, Source};

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

/// The id of the team `given` names: an id of the game, or a team's public name.
fn team_id(ledger: &dyn scoreboard::Ledger, given: &str) -> anyhow::Result<String> {
    let meta = ledger
        .meta()?
        .context("this ledger holds no game yet: start it with gameday play --db FILE")?;
    if meta.teams.iter().any(|t| t == given) {
        return Ok(given.to_owned());
    }
    let names = ledger.team_names()?;
    if let Some(named) = names.iter().find(|n| n.name == given) {
        return Ok(named.team.clone());
    }
    let teams: Vec<String> = meta
        .teams
        .iter()
        .map(|t| match names.iter().find(|n| &n.team == t) {
            Some(n) => format!("{t} ({:?})", n.name),
            None => t.clone(),
        })
        .collect();
    anyhow::bail!(
        "no team {given:?} in game {:?}: its teams are {}",
        meta.name,
        teams.join(", ")
    )
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
    let meta = ledger.meta()?.context("the ledger holds no game yet")?;
    let rules = match &args.rules {
        Some(path) => read_rules(path)?,
        None => meta.rules.clone(),
    };
    let scorer = Scorer::new(rules.clone()).context("the new rules")?;
    // The ledger as it stands, read by the projection every view uses (on a connection of
    // its own while the causes are rescored), and the same projection fed the new events.
    let price = rules.billing.price;
    let blank = || GameProjection::new(&meta.teams, price, None);
    let ((old, before), new) = std::thread::scope(|scope| {
        let old = scope.spawn(|| -> anyhow::Result<_> {
            let mut state = blank();
            let mut old = Vec::new();
            state.catch_up(&*at.open_existing()?, &mut |e| old.push(e.clone()))?;
            scoreboard::sort_events(&mut old);
            Ok((old, state))
        });
        let new = scoreboard::rescore(&*ledger, &scorer);
        let old = old.join().expect("reading events does not panic");
        anyhow::Ok((old?, new?))
    })?;
    let mut after = blank();
    for e in &new {
        after.apply_event(e);
    }
    writeln!(
        out,
        "{:<20} {:>12} {:>12} {:>12}",
        "team", "old", "new", "difference"
    )?;
    for team in before.order() {
        let score = |state: &GameProjection| state.team(team).map(|t| t.score).unwrap_or_default();
        let (o, n) = (score(&before), score(&after));
        writeln!(
            out,
            "{team:<20} {:>12} {:>12} {:>12}",
            o.to_string(),
            n.to_string(),
            Points(n.0 - o.0).to_string()
        )?;
    }
    let changed = old != new;
    if args.dry_run {
        writeln!(
            out,
            "dry run: nothing written ({})",
            if changed {
                "events would change"
            } else {
                "no event would change"
            }
        )?;
    } else {
        ledger.replace_events(&rules, &new)?;
        writeln!(
            out,
            "{} events rewritten under the {} rules",
            new.len(),
            if args.rules.is_some() {
                "new"
            } else {
                "stored"
            }
        )?;
    }
    // A long game's events are millions of small strings, and the process ends when this
    // command returns: freeing them one by one would add a quarter of its time.
    std::mem::forget((old, new));
    Ok(())
}

fn read_rules(path: &Path) -> anyhow::Result<Rules> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let rules: Rules =
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    rules
        .validate()
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(rules)
}
