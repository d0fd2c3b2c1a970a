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
mod breaks;
mod control;
mod error;
mod frames;
mod history;
mod html;
mod json;
mod names;
mod pool;
mod report;
mod state;
mod store;
mod stream;
mod team;

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::routing::{get, post};

pub use admin::parse_points;
pub use error::{InternalError, WebError};
pub use state::{UrlCheck, WebState};

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
        .route("/api/admin/break", post(breaks::api_break))
        .route("/api/admin/restore", post(breaks::api_restore))
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
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async move {
            shutdown.await;
            closing.send_replace(true);
        })
        .await
}
