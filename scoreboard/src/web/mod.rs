//! The web scoreboard: the public board, each team's page, the organizer's admin page, a
//! JSON API for all of them, and `/metrics` for Prometheus.
//!
//! Like the terminal cockpit, the web only reads the [`Snapshot`](crate::live::Snapshot)s and
//! score events the game runner publishes, and asks for changes with
//! [`Control`](crate::live::Control)s; older history and tokens come from the ledger, through a
//! pool of long-lived handles used off the async threads. [`app`] builds the router (tests drive it with `oneshot`);
//! [`serve`] binds it to a listener with graceful shutdown. Routes, auth and bodies are in
//! `README.md` beside this file.

mod admin;
mod auth;
mod board;
mod control;
mod error;
mod frames;
mod history;
mod html;
mod json;
mod names;
mod pool;
mod report;
mod store;
mod stream;
mod team;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use tokio::sync::watch;

pub use admin::parse_points;
pub use error::{InternalError, WebError};

use crate::live::LiveView;

/// Checks a team's new endpoint URL: `(team, url)`, `Err` with a message the team can act
/// on. The game runner provides it (the private-address rule lives there).
pub type UrlCheck = Arc<dyn Fn(&str, &str) -> Result<(), String> + Send + Sync>;

/// What every request handler shares: the live game, the ledger file, and the mode.
#[derive(Clone)]
pub struct WebState {
    view: LiveView,
    ledger: Arc<crate::LedgerAt>,
    /// Long-lived read handles on the ledger, and the token digests read through them.
    pool: pool::LedgerPool,
    digests: Arc<store::TokenDigests>,
    read_only: bool,
    check_url: UrlCheck,
    limiter: Arc<auth::SignInLimiter>,
    /// Set when the server shuts down, so that live streams end and connections close.
    closing: Arc<watch::Sender<bool>>,
    /// The board and admin streams, rendered once per snapshot for every viewer.
    frames: Arc<frames::SharedFrames>,
    /// `/api/board`'s JSON, drawn once per snapshot.
    board_json: Arc<frames::Rendered>,
    /// Each team's newest page of events as `/api/team/events` gives it, drawn once per
    /// snapshot (`None`: the ledger must answer).
    team_pages: Arc<frames::Rendered<String, Option<axum::body::Bytes>>>,
    /// The game over time, for the report and the charts (caught up from the ledger).
    history: history::SharedGame,
    /// Markers the runner knows beyond the ledger (the scenario's faults and steps).
    markers: Arc<Vec<crate::debrief::Marker>>,
    /// One name change at a time.
    name_lock: names::NameLock,
}

impl std::fmt::Debug for WebState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebState")
            .field("ledger", &self.ledger)
            .field("read_only", &self.read_only)
            .finish_non_exhaustive()
    }
}

impl WebState {
    /// The web view of the game `view`, whose history and tokens are in the ledger at
    /// `ledger`; `check_url` vets a team's new endpoint URL before the runner is asked.
    pub fn new(
        view: LiveView,
        ledger: impl Into<crate::LedgerAt>,
        check_url: UrlCheck,
    ) -> WebState {
        let ledger = Arc::new(ledger.into());
        WebState {
            view,
            pool: pool::pool(Arc::clone(&ledger)),
            digests: Arc::default(),
            ledger,
            read_only: false,
            check_url,
            limiter: Arc::new(auth::SignInLimiter::new(
                auth::FAILURES_ALLOWED,
                auth::FAILURE_WINDOW,
            )),
            closing: Arc::new(watch::channel(false).0),
            frames: Arc::default(),
            board_json: Arc::default(),
            team_pages: Arc::default(),
            history: Arc::default(),
            markers: Arc::default(),
            name_lock: Arc::default(),
        }
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

    /// Ends every live stream (as [`serve`] does on shutdown).
    pub fn close_streams(&self) {
        self.closing.send_replace(true);
    }
}

/// The whole site. State changes only through POST routes, which refuse cross-site requests.
pub fn app(state: WebState) -> Router {
    Router::new()
        .route("/", get(board::page))
        .route("/team", get(team::page))
        .route("/team/signin", post(auth::sign_in))
        .route("/admin", get(admin::page))
        .route("/admin/signin", post(auth::sign_in))
        .route("/signout", post(auth::sign_out))
        .route("/assets/{file}", get(html::asset))
        .route("/metrics", get(report::metrics))
        .route("/api/board", get(board::api))
        .route("/api/board/stream", get(board::stream))
        .route("/api/board/race", get(history::race))
        .route("/report", get(history::report))
        .route("/api/team", get(team::api_me))
        .route("/api/team/events", get(team::api_events))
        .route("/api/team/stream", get(team::stream))
        .route("/api/team/health", get(history::health))
        .route("/api/team/url", post(team::api_set_url))
        .route("/api/team/check", post(team::api_check))
        .route("/api/team/name", post(names::api_team))
        .route("/api/admin/teams/{team}/name", post(names::api_admin))
        .route("/api/admin/status", get(admin::api_status))
        .route("/api/admin/stream", get(admin::stream))
        .route("/api/admin/pause", post(admin::api_pause))
        .route("/api/admin/resume", post(admin::api_resume))
        .route("/api/admin/freeze", post(admin::api_freeze))
        .route("/api/admin/unfreeze", post(admin::api_unfreeze))
        .route("/api/admin/adjust", post(admin::api_adjust))
        .route("/api/admin/announce", post(admin::api_announce))
        .route("/api/admin/teams/{team}/token", post(admin::api_new_token))
        .route("/api/export.csv", get(report::export_csv))
        .route("/api/export.json", get(report::export_json))
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn(auth::refuse_cross_site))
        .layer(axum::middleware::map_response(html::security_headers))
        .with_state(state)
}

/// Serves [`app`] on `listener` until `shutdown` completes, then ends the live streams and
/// waits for requests in flight. Client addresses reach the sign-in rate limit.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: WebState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let closing = state.closing.clone();
    if let Err(e) = names::load(&state).await {
        // The board shows ids until a name is set again; the game goes on.
        let detail = match &e {
            WebError::Internal(detail) => detail.clone(),
            other => other.message(),
        };
        eprintln!("gameday web: the teams' public names could not be read: {detail}");
    }
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async move {
            shutdown.await;
            closing.send_replace(true);
        })
        .await
}
