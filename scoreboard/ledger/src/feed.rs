//! A projection follows a ledger through the domain's [`Feed`]: every ledger is one, so
//! `projection.catch_up(ledger, …)` reads what was recorded after its cursor.

use scoreboard_domain::{BillingBlock, Feed, Note, RecordedBatch, ScoreEvent};

use crate::sql::{Conn, SqlLedger};
use crate::{CauseLog, GameClock, Ledger, LedgerError};

/// The domain's [`Feed`] by a ledger's [`CauseLog`] (the orphan rule allows no blanket impl:
/// one for the ledger type and one per trait object).
macro_rules! feed_by_cause_log {
    ($([$($generics:tt)*] $ty:ty),* $(,)?) => {$(
        impl<$($generics)*> Feed for $ty {
            type Error = LedgerError;

            fn batches_after(
                &self,
                after: u64,
                limit: usize,
            ) -> Result<Vec<(u64, RecordedBatch)>, LedgerError> {
                CauseLog::batches_after(self, after, limit)
            }

            fn blocks_after(
                &self,
                after: u64,
                limit: usize,
            ) -> Result<Vec<(u64, BillingBlock)>, LedgerError> {
                CauseLog::blocks_after(self, after, limit)
            }

            fn events_after(
                &self,
                after: u64,
                limit: usize,
            ) -> Result<Vec<(u64, ScoreEvent)>, LedgerError> {
                CauseLog::events_after(self, after, limit)
            }

            fn first_event(&self) -> Result<Option<u64>, LedgerError> {
                CauseLog::first_event(self)
            }

            fn notes_after(
                &self,
                after: u64,
                limit: usize,
            ) -> Result<Vec<(u64, Note)>, LedgerError> {
                GameClock::notes_after(self, after, limit)
            }
        }
    )*};
}

feed_by_cause_log!(
    [] dyn Ledger + '_,
    [] dyn Ledger + Send + '_,
    [C: Conn] SqlLedger<C>,
);
