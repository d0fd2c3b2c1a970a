//! The ledger options every command that reads or writes a game shares: a SQLite file
//! (`--db`), or a game in a PostgreSQL database (`--ledger URL --game ID`, the URL also from
//! `GAMEDAY_LEDGER` so that it stays out of process listings and shell history).

use std::path::PathBuf;

use anyhow::bail;
use scoreboard_ledger::LedgerAt;

#[derive(clap::Args, Debug, Clone)]
pub struct LedgerArgs {
    /// The game's ledger: a SQLite file (`play` without --db or --ledger makes a new one
    /// here, gameday-NAME-UNIXTIME.db).
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// The game's ledger in PostgreSQL: postgres://USER:PASSWORD@HOST/DATABASE (games
    /// split over machines share one; --game says which game). Ignored when --db is given.
    #[arg(
        long,
        value_name = "URL",
        env = "GAMEDAY_LEDGER",
        hide_env_values = true
    )]
    pub ledger: Option<String>,
    /// The game in a PostgreSQL ledger (lower-case letters, digits, - and _; at most 40).
    #[arg(long, value_name = "ID")]
    pub game: Option<String>,
}

impl LedgerArgs {
    /// Where the ledger is, if the options say; `default_game` names the game in a
    /// PostgreSQL ledger when --game does not.
    pub fn at(&self, default_game: Option<&str>) -> anyhow::Result<Option<LedgerAt>> {
        if let Some(db) = &self.db {
            return Ok(Some(LedgerAt::File(db.clone())));
        }
        let Some(url) = &self.ledger else {
            return Ok(None);
        };
        let game = self.game.as_deref().or(default_game);
        Ok(Some(LedgerAt::parse(url, game)?))
    }

    /// Where the ledger is; it must be given.
    pub fn required(&self) -> anyhow::Result<LedgerAt> {
        match self.at(None)? {
            Some(at) => Ok(at),
            None => bail!("which game? give its ledger: --db FILE, or --ledger URL --game ID"),
        }
    }
}
