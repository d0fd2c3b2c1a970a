//! The PostgreSQL ledger's connections: tokio-postgres clients whose sockets one background
//! thread drives for the whole process, and [`wait`], which blocks the calling thread on a
//! statement without entering a runtime. So a ledger is callable from anywhere, an async
//! game loop or a web request's blocking task included. (The `postgres` crate drives a
//! runtime on the caller's thread, which panics inside another runtime: each ledger needed a
//! thread of its own, and every method of the ledger traits forwarded to it by hand.)

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};
use tokio_postgres::{Client, Config, NoTls};

use crate::LedgerError;

/// The runtime that drives every connection's socket: one thread, started at the first
/// connection and kept for the life of the process.
fn io() -> Result<&'static Runtime, LedgerError> {
    static IO: OnceLock<Result<Runtime, String>> = OnceLock::new();
    IO.get_or_init(|| {
        Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("postgres-io")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| LedgerError::Config(format!("cannot start the PostgreSQL thread: {e}")))
}

/// Blocks this thread until `future` (a statement of a client) is done. The client's
/// futures only pass messages to its connection, which runs on the background thread, so
/// they need no runtime here.
pub(super) fn wait<F: Future>(future: F) -> F::Output {
    futures_executor::block_on(future)
}

/// Opens a connection; its socket is driven in the background until the client is
/// dropped or the server goes away (the client's next statement then fails).
pub(super) fn connect(config: Config) -> Result<Client, LedgerError> {
    let io = io()?;
    let (client, connection) = wait(io.spawn(async move { config.connect(NoTls).await }))
        .map_err(|e| {
            LedgerError::Config(format!("the PostgreSQL connection task failed: {e}"))
        })??;
    io.spawn(async move {
        // An error here closes the client, whose next call returns it: reported there once.
        let _ = connection.await;
    });
    Ok(client)
}
