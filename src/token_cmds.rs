//! `gameday teams`: hands out team tokens (and the admin token) for a game's web pages, as
//! the original game handed out team hashes on paper: printed, or as slips to cut out
//! (`--slips`, drawn by [`scoreboard::slips`]). Tokens are shown once; the ledger keeps only
//! their digests, so running it again replaces them.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use scoreboard::slips::{self, BoardUrl, Slip};
use scoreboard::tokens::{ADMIN, generate};

/// Options of `gameday teams`.
#[derive(clap::Args, Debug)]
pub struct TeamsArgs {
    /// The game's ledger, as `gameday play` made it.
    #[command(flatten)]
    ledger: crate::ledger_args::LedgerArgs,
    /// Only this team's token (the others stay valid).
    #[arg(long, value_name = "NAME")]
    team: Option<String>,
    /// The admin token instead (for /admin and the admin API).
    #[arg(long, conflicts_with = "team")]
    admin: bool,
    /// Print `team,token` lines (CSV, with a header) for printing and handing out.
    #[arg(long, conflicts_with = "slips")]
    csv: bool,
    /// Write a printable page of slips to this file: one card per team with its token and a
    /// QR code that signs it in (needs --url).
    #[arg(long, value_name = "FILE", requires = "url", conflicts_with = "admin")]
    slips: Option<PathBuf>,
    /// The board's address as teams will open it, for the slips (http:// or https://).
    #[arg(long, value_name = "URL", requires = "slips")]
    url: Option<BoardUrl>,
}

pub fn teams(args: TeamsArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let at = args.ledger.required()?;
    let mut ledger = at
        .open_existing()
        .with_context(|| format!("reading {at}"))?;
    let meta = ledger
        .meta()?
        .context("this ledger holds no game yet: start it with gameday play --db FILE")?;
    let owners: Vec<String> = match (&args.team, args.admin) {
        (_, true) => vec![ADMIN.to_owned()],
        (Some(team), _) if meta.teams.contains(team) => vec![team.clone()],
        (Some(team), _) => bail!(
            "no team {team:?} in game {:?}: its teams are {}",
            meta.name,
            meta.teams.join(", ")
        ),
        (None, _) => meta.teams.clone(),
    };
    if owners.is_empty() {
        bail!("game {:?} lists no teams in its ledger", meta.name);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let mut issued = Vec::with_capacity(owners.len());
    for owner in owners {
        let (token, hash) = generate()?;
        issued.push((owner, token, hash));
    }
    // The slips are written before the new digests replace the old ones: a page that cannot
    // be written leaves the tokens already handed out working.
    if let (Some(file), Some(board)) = (&args.slips, &args.url) {
        let names = ledger.team_names()?;
        let slips: Vec<Slip> = issued
            .iter()
            .map(|(team, token, _)| Slip {
                team: team.clone(),
                name: names
                    .iter()
                    .find(|n| &n.team == team)
                    .map(|n| n.name.clone()),
                token: token.clone(),
            })
            .collect();
        let page = slips::page(&meta.name, board, &slips)?;
        std::fs::write(file, page).with_context(|| format!("writing {}", file.display()))?;
    }
    for (owner, _, hash) in &issued {
        ledger.store_token(owner, hash, now)?;
    }
    let issued: Vec<(String, String)> = issued.into_iter().map(|(o, t, _)| (o, t)).collect();
    match &args.slips {
        Some(file) => writeln!(
            out,
            "Wrote {} to {}: print it, cut along the dashed lines, hand each team its own.\n\
             Shown once: the ledger keeps only digests. Running this again replaces them.",
            match issued.len() {
                1 => "1 slip".to_owned(),
                n => format!("{n} slips"),
            },
            file.display()
        )?,
        None => print_tokens(out, &issued, args.csv)?,
    }
    Ok(())
}

/// The tokens on the terminal: `team,token` CSV, or aligned columns.
fn print_tokens(out: &mut dyn Write, issued: &[(String, String)], csv: bool) -> anyhow::Result<()> {
    if csv {
        writeln!(out, "team,token")?;
        for (owner, token) in issued {
            writeln!(out, "{},{token}", scoreboard::csv::csv_field(owner))?;
        }
        return Ok(());
    }
    let width = issued
        .iter()
        .map(|(o, _)| o.len())
        .max()
        .unwrap_or(4)
        .max(4);
    for (owner, token) in issued {
        let who = if owner == ADMIN { "admin" } else { owner };
        writeln!(out, "{who:<width$}  {token}")?;
    }
    writeln!(
        out,
        "\nShown once: the ledger keeps only digests. Running this again replaces them."
    )?;
    Ok(())
}
