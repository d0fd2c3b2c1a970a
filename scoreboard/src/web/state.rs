//! The state every request handler of the web scoreboard shares: the live game, the ledger
//! and its pool of read handles, the mode, and what is rendered once per snapshot.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::{auth, frames, history, names, pool, store};
use crate::live::LiveView;

/// Checks a team's new endpoint URL: `(team, url)`, `Err` with a message the team can act
/// on. The game runner provides it (the private-address rule lives there).
pub type UrlCheck = Arc<dyn Fn(&str, &str) -> Result<(), String> + Send + Sync>;

/// What every request handler shares: the live game, the ledger file, and the mode.
#[derive(Clone)]
pub struct WebState {
    pub(super) view: LiveView,
    /// Long-lived read handles on the ledger, and the token digests read through them.
    pub(super) reads: store::Reads,
    pub(super) read_only: bool,
    pub(super) check_url: UrlCheck,
    pub(super) limiter: Arc<auth::SignInLimiter>,
    /// Set when the server shuts down, so that live streams end and connections close.
    pub(super) closing: Arc<watch::Sender<bool>>,
    /// What is drawn once per snapshot for every viewer: the streams' messages, the
    /// board's JSON, each team's newest page of events.
    pub(super) drawn: frames::Drawn,
    /// The game over time, for the report and the charts (caught up from the ledger).
    pub(super) history: history::SharedGame,
    /// Markers the runner knows beyond the ledger (the scenario's faults and steps).
    pub(super) markers: Arc<Vec<crate::debrief::Marker>>,
    /// One name change at a time.
    pub(super) name_lock: names::NameLock,
    /// The game's webhooks' health, for the admin page (empty: none).
    pub(super) hooks: crate::notify::Health,
}

impl std::fmt::Debug for WebState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebState")
            .field("ledger", &self.reads.pool.manager().at)
            .field("read_only", &self.read_only)
            .finish_non_exhaustive()
    }
}

impl WebState {
    /// The web view of the game `view`, whose history and tokens are in the ledger at
    /// `ledger`; `check_url` vets a team's new endpoint URL before the runner is asked.
    pub fn new(
        view: LiveView,
        ledger: impl Into<scoreboard_ledger::LedgerAt>,
        check_url: UrlCheck,
    ) -> WebState {
        WebState {
            view,
            reads: store::Reads {
                pool: pool::pool(Arc::new(ledger.into())),
                digests: Arc::default(),
            },
            read_only: false,
            check_url,
            limiter: Arc::new(auth::SignInLimiter::new(
                auth::FAILURES_ALLOWED,
                auth::FAILURE_WINDOW,
            )),
            closing: Arc::new(watch::channel(false).0),
            drawn: frames::Drawn::default(),
            history: Arc::default(),
            markers: Arc::default(),
            name_lock: Arc::default(),
            hooks: Arc::default(),
        }
    }

    /// The game's webhooks, whose health the admin page shows.
    pub fn hooks(mut self, hooks: crate::notify::Health) -> WebState {
        self.hooks = hooks;
        self
    }

    /// Markers for the report's charts beyond what the ledger holds (the scenario's faults
    /// and simulated teams' steps; its announcements are the ledger's).
    pub fn markers(mut self, markers: Vec<crate::debrief::Marker>) -> WebState {
        self.markers = Arc::new(markers);
        self
    }

    /// A read-only replica (`gameday serve`): every control answers 409.
    pub fn read_only(mut self, read_only: bool) -> WebState {
        self.read_only = read_only;
        self
    }

    /// Failed sign-ins allowed per client address within `window` before 429 (5 a minute
    /// unless changed).
    pub fn sign_in_limit(mut self, failures: usize, window: Duration) -> WebState {
        self.limiter = Arc::new(auth::SignInLimiter::new(failures, window));
        self
    }

    /// Ends every live stream (as [`serve`](super::serve) does on shutdown).
    pub fn close_streams(&self) {
        self.closing.send_replace(true);
    }
}
