//! The PostgreSQL ledger's token digests and team names (statements and rows from the
//! shared dialect layer, `rows::game`).

use super::*;
use crate::rows::game as g;

impl TokenStore for PostgresLedger {
    fn store_token(
        &mut self,
        owner: &str,
        hash: &TokenHash,
        now_unix_ms: u64,
    ) -> Result<(), LedgerError> {
        let params = g::token_params(owner, hash, now_unix_ms);
        exec(&self.client, &self.statements, g::STORE_TOKEN, &params)?;
        Ok(())
    }

    fn token_hashes(&self) -> Result<Vec<(String, TokenHash)>, LedgerError> {
        rows_of(&self.client, &self.statements, g::SELECT_TOKENS, &[], |r| {
            g::token_from_row(r)
        })
    }

    fn store_team_name(
        &mut self,
        name: &scoreboard_domain::names::TeamName,
    ) -> Result<(), LedgerError> {
        let params = g::team_name_params(name);
        exec(&self.client, &self.statements, g::STORE_TEAM_NAME, &params)?;
        Ok(())
    }

    fn team_names(&self) -> Result<Vec<scoreboard_domain::names::TeamName>, LedgerError> {
        let (client, st) = (&self.client, &self.statements);
        rows_of(client, st, g::SELECT_TEAM_NAMES, &[], |r| {
            g::team_name_from_row(r)
        })
    }
}
