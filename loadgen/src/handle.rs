//! A run in progress, seen from outside: cancel it, change a target's URLs, wait for it.

use std::sync::Arc;

use hashref::AnswerTable;
use tokio::sync::watch;

use crate::LoadgenError;
use crate::target::{Base, RequestShape, prepare_bases};

/// A run in progress: cancel it, change its targets' URLs, wait for it.
pub struct EngineHandle {
    pub(crate) cancel: Arc<watch::Sender<bool>>,
    pub(crate) threads: Vec<std::thread::JoinHandle<()>>,
    pub(crate) started: std::time::Instant,
    pub(crate) feeds: Vec<UrlFeed>,
    pub(crate) answers: Arc<AnswerTable>,
}

/// What it takes to give one running target new base URLs.
pub(crate) struct UrlFeed {
    pub(crate) name: Arc<str>,
    pub(crate) shape: RequestShape,
    /// The target's TLS client (its session store too), for new `https` bases.
    pub(crate) tls: tokio_rustls::TlsConnector,
    /// Read by the target's loop, which switches to the newest set between sends.
    pub(crate) bases: watch::Sender<Vec<Arc<Base>>>,
}

impl EngineHandle {
    /// Stops starting requests; those in flight finish (up to their timeout, and at most
    /// [`crate::CANCEL_GRACE`] from now: the rest are abandoned unrecorded) and the last
    /// batches are sent.
    pub fn cancel(&self) {
        self.cancel.send_replace(true);
    }

    /// A function that cancels the run, for a signal handler or another thread.
    pub fn canceller(&self) -> impl Fn() + Send + Sync + 'static {
        let cancel = self.cancel.clone();
        move || {
            cancel.send_replace(true);
        }
    }

    /// When the schedule's time zero was. A run started at an offset
    /// ([`crate::EngineConfig::offset`]) began that long after it, so this is in the past
    /// and `started().elapsed()` reads the schedule's (the game's) clock.
    pub fn started(&self) -> std::time::Instant {
        self.started
    }

    /// Gives target `target` (its index in the slice the run started with) new base URLs,
    /// checked as at the start; at least one (a target waits for its first URL only from
    /// the start of a run, never again). Requests in flight finish against their old base;
    /// the next sends go round robin over the new set; idle connections to a base still in
    /// the set (same host and port) are kept, the others closed. The schedule is not
    /// affected: a waiting target ([`crate::Target`] with no URL) sends from its next due
    /// send on, as every other target does; the sends it passed while it waited stay
    /// unsent and uncounted.
    ///
    /// Every key's request target is built here, on the caller's thread. After the run is
    /// over this has no effect.
    pub fn set_urls(&self, target: usize, urls: Vec<String>) -> Result<(), LoadgenError> {
        let feed = self.feeds.get(target).ok_or(LoadgenError::UnknownTarget {
            index: target,
            targets: self.feeds.len(),
        })?;
        let bases = prepare_bases(
            &feed.name,
            &urls,
            &feed.shape,
            self.answers.keys(),
            &feed.tls,
        )?;
        feed.bases.send_replace(bases);
        Ok(())
    }

    /// Whether the run is over: its last answers came in and its last batches were sent.
    pub fn is_finished(&self) -> bool {
        self.threads
            .iter()
            .all(std::thread::JoinHandle::is_finished)
    }

    /// Waits until every target's last batch has been sent.
    pub fn join(self) -> Result<(), LoadgenError> {
        for t in self.threads {
            t.join()
                .map_err(|_| LoadgenError::Config("a load runtime panicked".to_owned()))?;
        }
        Ok(())
    }
}
