//! The SQLite ledger's token digests and team names.

use super::*;

impl TokenStore for SqliteLedger {
    fn store_token(
        &mut self,
        owner: &str,
        hash: &TokenHash,
        now_unix_ms: u64,
    ) -> Result<(), ScoreError> {
        self.conn.execute(
            "INSERT INTO tokens (owner, hash, created_unix_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (owner) DO UPDATE SET hash = excluded.hash,
                created_unix_ms = excluded.created_unix_ms",
            params![owner, &hash.0[..], now_unix_ms as i64],
        )?;
        Ok(())
    }

    fn token_hashes(&self) -> Result<Vec<(String, TokenHash)>, ScoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT owner, hash FROM tokens ORDER BY owner")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (owner, bytes) = row?;
            let hash: [u8; 32] = bytes.try_into().map_err(|_| ScoreError::Corrupt {
                what: format!("token of {owner}"),
                reason: "not a 32-byte digest".into(),
            })?;
            out.push((owner, TokenHash(hash)));
        }
        Ok(out)
    }

    fn store_team_name(&mut self, name: &crate::names::TeamName) -> Result<(), ScoreError> {
        self.conn.execute(
            "INSERT INTO team_names (team, name, by_team) VALUES (?1, ?2, ?3)
             ON CONFLICT (team) DO UPDATE SET name = excluded.name, by_team = excluded.by_team",
            params![name.team, name.name, name.by_team],
        )?;
        Ok(())
    }

    fn team_names(&self) -> Result<Vec<crate::names::TeamName>, ScoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT team, name, by_team FROM team_names ORDER BY team")?;
        let rows = stmt.query_map([], |r| {
            Ok(crate::names::TeamName {
                team: r.get(0)?,
                name: r.get(1)?,
                by_team: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
