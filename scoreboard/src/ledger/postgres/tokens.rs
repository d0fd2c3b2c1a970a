//! The PostgreSQL ledger's token digests and team names.

use super::*;

impl TokenStore for PostgresLedger {
    fn store_token(
        &mut self,
        owner: &str,
        hash: &TokenHash,
        now_unix_ms: u64,
    ) -> Result<(), ScoreError> {
        self.client.get_mut().execute(
            "INSERT INTO tokens (owner, hash, created_unix_ms) VALUES ($1, $2, $3)
             ON CONFLICT (owner) DO UPDATE SET hash = excluded.hash,
                created_unix_ms = excluded.created_unix_ms",
            &[&owner, &&hash.0[..], &(now_unix_ms as i64)],
        )?;
        Ok(())
    }

    fn token_hashes(&self) -> Result<Vec<(String, TokenHash)>, ScoreError> {
        let rows = self.query("SELECT owner, hash FROM tokens ORDER BY owner", &[])?;
        rows.iter()
            .map(|r| {
                let owner: String = r.try_get(0)?;
                let bytes: &[u8] = r.try_get(1)?;
                let hash: [u8; 32] = bytes.try_into().map_err(|_| ScoreError::Corrupt {
                    what: format!("token of {owner}"),
                    reason: "not a 32-byte digest".into(),
                })?;
                Ok((owner, TokenHash(hash)))
            })
            .collect()
    }

    fn store_team_name(&mut self, name: &crate::names::TeamName) -> Result<(), ScoreError> {
        self.client.get_mut().execute(
            "INSERT INTO team_names (team, name, by_team) VALUES ($1, $2, $3)
             ON CONFLICT (team) DO UPDATE SET name = excluded.name, by_team = excluded.by_team",
            &[&name.team, &name.name, &name.by_team],
        )?;
        Ok(())
    }

    fn team_names(&self) -> Result<Vec<crate::names::TeamName>, ScoreError> {
        let rows = self.query(
            "SELECT team, name, by_team FROM team_names ORDER BY team",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                Ok(crate::names::TeamName {
                    team: r.try_get(0)?,
                    name: r.try_get(1)?,
                    by_team: r.try_get(2)?,
                })
            })
            .collect()
    }
}
