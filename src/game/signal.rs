//! Waiting for the signals that stop a game, a wait for load workers, or a worker (Ctrl-C,
//! SIGTERM), written once for all of them. Each is a stream registered once: a signal that
//! comes while the loop is busy elsewhere waits for the next `recv`, it is never lost.

use tokio::signal::unix::{SignalKind, signal};

use super::core::Signal;

/// Ctrl-C and SIGTERM, as they come.
pub(crate) struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    /// Takes over Ctrl-C and SIGTERM for this process (their default ends it at once).
    pub(crate) fn new() -> std::io::Result<Signals> {
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// The next signal (cancel-safe: use it in `select!`).
    pub(crate) async fn recv(&mut self) -> Signal {
        tokio::select! {
            _ = self.interrupt.recv() => Signal::Interrupt,
            _ = self.terminate.recv() => Signal::Terminate,
        }
    }
}
