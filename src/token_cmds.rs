//! `gameday teams`: hands out team tokens (and the admin token) for a game's web pages, as
//! the original game handed out team hashes on paper: printed, or as slips to cut out
//! (`--slips`, drawn by [`scoreboard::slips`]). Tokens are shown once; the ledger keeps only
//! their digests, so running it again replaces them ([`gameday::teams`] issues them).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use gameday::teams::{Issued, Owners, issue_tokens};
use scoreboard::slips::BoardUrl;
use scoreboard_domain::tokens::ADMIN;

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
    let owners = match (args.team, args.admin) {
        (_, true) => Owners::Admin,
        (Some(team), _) => Owners::Team(team),
        (None, _) => Owners::Teams,
    };
    let slips = args.slips.as_deref().zip(args.url.as_ref());
    let issued = issue_tokens(&mut *ledger, &owners, slips)?;
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
fn print_tokens(out: &mut dyn Write, issued: &[Issued], csv: bool) -> anyhow::Result<()> {
    if csv {
        writeln!(out, "team,token")?;
        for Issued { owner, token } in issued {
            writeln!(out, "{},{token}", scoreboard_domain::csv::csv_field(owner))?;
        }
        return Ok(());
    }
    let width = issued
        .iter()
        .map(|i| i.owner.len())
        .max()
        .unwrap_or(4)
        .max(4);
    for Issued { owner, token } in issued {
        let who = if owner == ADMIN { "admin" } else { owner };
        writeln!(out, "{who:<width$}  {token}")?;
    }
    writeln!(
        out,
        "\nShown once: the ledger keeps only digests. Running this again replaces them."
    )?;
    Ok(())
}
