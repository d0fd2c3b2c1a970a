//! The SQLite ledger's token digests and team names (statements and rows from the shared
//! dialect layer, `rows::game`).

use super::*;
use crate::rows::game as g;

impl TokenStore for SqliteLedger {
    fn store_token(
        &mut self,
        owner: &str,
        hash: &TokenHash,
        now_unix_ms: u64,
    ) -> Result<(), LedgerError> {
        exec(
            &self.conn,
            g::STORE_TOKEN,
            &g::token_params(owner, hash, now_unix_ms),
        )?;
        Ok(())
    }

    fn token_hashes(&self) -> Result<Vec<(String, TokenHash)>, LedgerError> {
        rows_of(&self.conn, g::SELECT_TOKENS, &[], |r| g::token_from_row(r))
    }

    fn store_team_name(
        &mut self,
        name: &scoreboard_domain::names::TeamName,
    ) -> Result<(), LedgerError> {
        exec(&self.conn, g::STORE_TEAM_NAME, &g::team_name_params(name))?;
        Ok(())
    }

    fn team_names(&self) -> Result<Vec<scoreboard_domain::names::TeamName>, LedgerError> {
        rows_of(&self.conn, g::SELECT_TEAM_NAMES, &[], |r| {
            g::team_name_from_row(r)
        })
    }
}
