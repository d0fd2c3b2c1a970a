//! The web's long-lived read handles on the ledger: a pool of opened ledgers (SQLite
//! connections or PostgreSQL clients, each opened once and reused), so a request costs its
//! query, not an open (a connection, the migration check). A handle whose call
//! failed is dropped, not reused: after a database restart the next request opens a fresh one.

use std::sync::Arc;

use deadpool::managed::{self, Metrics, Object, RecycleResult};

use super::error::WebError;
use scoreboard_ledger::LedgerError;
use scoreboard_ledger::{Ledger, LedgerAt};

/// Ledger handles open at once at most, per web server.
const HANDLES: usize = 8;

/// Opens ledgers for the pool.
#[derive(Debug)]
pub(crate) struct Opener {
    pub(crate) at: Arc<LedgerAt>,
}

impl managed::Manager for Opener {
    type Type = Box<dyn Ledger + Send>;
    type Error = LedgerError;

    async fn create(&self) -> Result<Self::Type, LedgerError> {
        let at = self.at.clone();
        tokio::task::spawn_blocking(move || at.open_existing())
            .await
            .map_err(|e| LedgerError::Config(format!("opening the ledger failed: {e}")))?
    }

    async fn recycle(&self, _: &mut Self::Type, _: &Metrics) -> RecycleResult<LedgerError> {
        Ok(())
    }
}

/// The pool of read handles.
pub(crate) type LedgerPool = managed::Pool<Opener>;

/// A pool that opens handles on `at` as requests need them.
pub(crate) fn pool(at: Arc<LedgerAt>) -> LedgerPool {
    managed::Pool::builder(Opener { at })
        .max_size(HANDLES)
        .build()
        .expect("a pool without timeouts needs no runtime")
}

/// Runs `f` on a pooled handle, off the async threads; a handle whose call failed is closed.
pub(crate) async fn with_handle<T, F>(pool: &LedgerPool, f: F) -> Result<T, WebError>
where
    T: Send + 'static,
    F: FnOnce(&mut dyn Ledger) -> Result<T, LedgerError> + Send + 'static,
{
    let mut handle = pool.get().await.map_err(|e| match e {
        managed::PoolError::Backend(e) => WebError::from(e),
        other => WebError::Internal(format!("ledger pool: {other}")),
    })?;
    tokio::task::spawn_blocking(move || {
        let result = f(&mut **handle);
        if result.is_err() {
            // Maybe a broken connection: never hand it to another request.
            drop(Object::take(handle));
        }
        result
    })
    .await
    .map_err(|e| WebError::Internal(format!("ledger task failed: {e}")))?
    .map_err(WebError::from)
}
