//! A game read from its ledger for a report: what the game is, its projection (caught up
//! from the ledger's cursor, so a server that keeps one reads only what is new), and how many
//! load workers joined, and its pauses.

use super::{Marker, MarkerKind};
use crate::{ClockEvent, GameMeta, GameProjection, Ledger, ScoreError};

/// A game as its ledger holds it.
#[derive(Clone, Debug)]
pub struct LedgerGame {
    pub meta: GameMeta,
    pub projection: GameProjection,
    pub workers: usize,
    /// The game's pauses and resumes, as the ledger recorded them.
    pub clock: Vec<ClockEvent>,
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
            clock: Vec::new(),
        };
        game.catch_up(ledger)?;
        Ok(Some(game))
    }

    /// Applies what the ledger holds beyond the projection's cursor.
    pub fn catch_up(&mut self, ledger: &dyn Ledger) -> Result<(), ScoreError> {
        self.projection.catch_up(ledger, &mut |_| {})?;
        self.workers = ledger.workers()?.len();
        // A game pauses a few times at most: read whole.
        self.clock = ledger.clock_events()?;
        Ok(())
    }

    /// The game's pauses and resumes, as markers.
    pub fn clock_markers(&self) -> Vec<Marker> {
        self.clock
            .iter()
            .map(|e| Marker {
                at: e.at,
                kind: MarkerKind::Pause,
                team: None,
                text: if e.paused {
                    "game paused"
                } else {
                    "game resumed"
                }
                .to_owned(),
            })
            .collect()
    }
}
