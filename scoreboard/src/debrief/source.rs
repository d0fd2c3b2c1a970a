//! A game read from its ledger for a report: what the game is, its projection (caught up
//! from the ledger's cursor, so a server that keeps one reads only what is new), and how many
//! load workers joined.

use crate::{GameMeta, GameProjection, Ledger, ScoreError};

/// A game as its ledger holds it.
#[derive(Clone, Debug)]
pub struct LedgerGame {
    pub meta: GameMeta,
    pub projection: GameProjection,
    pub workers: usize,
}

impl LedgerGame {
    /// The game in `ledger`, read whole; `None` when it holds no game yet.
    pub fn read(ledger: &dyn Ledger) -> Result<Option<LedgerGame>, ScoreError> {
        let Some(meta) = ledger.meta()? else {
            return Ok(None);
        };
        let projection = GameProjection::new(&meta.teams, meta.rules.billing.price, None)
            .with_block(meta.rules.billing.block);
        let mut game = LedgerGame {
            meta,
            projection,
            workers: 0,
        };
        game.catch_up(ledger)?;
        Ok(Some(game))
    }

    /// Applies what the ledger holds beyond the projection's cursor.
    pub fn catch_up(&mut self, ledger: &dyn Ledger) -> Result<(), ScoreError> {
        self.projection.catch_up(ledger, &mut |_| {})?;
        self.workers = ledger.workers()?.len();
        Ok(())
    }
}
