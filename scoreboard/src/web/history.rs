//! The game over time, for the report and the live charts: `/report` (the debrief; the
//! organizer's whole, or the public part, as of the freeze while the board is frozen),
//! `/api/board/race` (the score race of the top teams) and `/api/team/health` (a team's
//! health over the last ten minutes or the whole game).
//!
//! All three read the game's own projection, which the game running in this process (or
//! the follower of `gameday serve`) hands over when asked (sharing its teams' histories: one
//! history, whoever reads it), with what the ledger says beside it (rules, workers, pauses,
//! notes). Drawing happens here, on the web's threads: the game loop only copies a few
//! pointers a team when asked, at most once a second. Where nothing in this process hands a
//! projection over, the server keeps a [`Follower`] of its own, caught up from the ledger's
//! cursor at most once a second.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::auth::{self, Caller};
use super::error::WebError;
use super::state::WebState;
use super::store::with_ledger;
use crate::debrief::{Audience, Debrief};
use crate::follower::Follower;
use crate::live::Snapshot;
use scoreboard_domain::GameTime;
use scoreboard_domain::projection::{GameProjection, Series};

/// How often the kept game reads the ledger again, at most; and when the live game is
/// ahead of it, how soon it may read again.
const FRESH: Duration = Duration::from_secs(1);
const BEHIND: Duration = Duration::from_millis(100);
/// Points of a race or whole-game chart; a ten-minute chart has one a second.
const GAME_POINTS: usize = 300;
const RECENT: Duration = Duration::from_secs(600);
/// Teams in the race unless asked.
const TOP: usize = 10;

/// The game the server keeps for the charts and the report.
#[derive(Debug, Default)]
pub(crate) struct KeptGame {
    game: Option<Follower>,
    read_at: Option<Instant>,
}

pub(crate) type SharedGame = Arc<Mutex<KeptGame>>;

/// Runs `f` on the game and its projection: the game's own, handed over (at most a second
/// old), with what the ledger says beside it; or where no game runs here, the kept game's,
/// caught up with the ledger first when it is over a second old (or a tenth of one, when
/// the live game is further on than it: a chart asked for after the game moved shows the
/// move).
async fn with_game<T, F>(state: &WebState, f: F) -> Result<T, WebError>
where
    T: Send + 'static,
    F: FnOnce(&Follower, &GameProjection) -> Result<T, WebError> + Send + 'static,
{
    let kept = state.history.clone();
    let handed = state.view.projection(FRESH).await;
    let live_now = state.view.now().now;
    let result = with_ledger(state, move |ledger| {
        let mut kept = kept.lock().unwrap_or_else(|e| e.into_inner());
        let behind = handed.is_none()
            && kept
                .game
                .as_ref()
                .is_some_and(|g| g.projection.now < live_now);
        let stale = kept
            .read_at
            .is_none_or(|at| at.elapsed() >= FRESH || (behind && at.elapsed() >= BEHIND));
        match &mut kept.game {
            // The game did not hand its projection over in time: the ledger's, whole.
            Some(game) if handed.is_none() && !game.follows() => {
                kept.game = Follower::read(ledger)?;
            }
            Some(game) if stale => {
                game.catch_up(ledger, &mut |_| {})?;
            }
            Some(_) => {}
            None if handed.is_some() => kept.game = Follower::read_beside(ledger)?,
            None => kept.game = Follower::read(ledger)?,
        }
        if stale {
            kept.read_at = Some(Instant::now());
        }
        Ok(kept
            .game
            .as_ref()
            .map(|g| f(g, handed.as_deref().unwrap_or(&g.projection))))
    })
    .await?;
    result.unwrap_or_else(|| Err(WebError::NotFound("the ledger holds no game yet".into())))
}

/// Where the public's view of the game ends: at the freeze while the board is frozen, else
/// nowhere.
pub(crate) fn public_cut(s: &Snapshot) -> Option<GameTime> {
    s.frozen
}

/// `GET /report`: the debrief as one page; the whole of it with the admin token.
pub(crate) async fn report(State(state): State<WebState>, parts: Parts) -> Response {
    let organizer = matches!(auth::authenticate(&state, &parts).await, Ok(Caller::Admin));
    let snapshot = state.view.now();
    let (audience, until) = if organizer {
        (Audience::Organizer, None)
    } else {
        (Audience::Public, public_cut(&snapshot))
    };
    // The ledger's markers (pauses, announcements, URL changes) and the scenario's (faults,
    // steps): one source each, so nothing is marked twice.
    let scenario = Arc::clone(&state.markers);
    let rendered = with_game(&state, move |game, projection| {
        let mut markers = game.markers();
        markers.extend(scenario.iter().cloned());
        Debrief {
            game: &game.meta.name,
            projection,
            rules: &game.meta.rules,
            markers,
            audience,
            until,
            workers: game.workers,
        }
        .render()
        .map_err(|e| WebError::Internal(e.to_string()))
    })
    .await;
    match rendered {
        Ok(html) => Html(html).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `?top=N|all` of the race.
#[derive(Deserialize, Debug, Default)]
pub(crate) struct RaceQuery {
    top: Option<String>,
}

/// The score race as the board's chart draws it.
#[derive(Serialize, Debug)]
pub(crate) struct Race {
    /// Each point's game time, in seconds.
    t: Vec<f64>,
    /// The teams drawn, by rank: name and score at each point.
    teams: Vec<RaceTeam>,
    /// How many teams the game has.
    of: usize,
}

#[derive(Serialize, Debug)]
pub(crate) struct RaceTeam {
    team: String,
    name: String,
    rank: u32,
    score: Vec<f64>,
}

/// `GET /api/board/race?top=N|all`: the public board's leaders (10 unless asked) over the
/// whole game, as of the freeze while the board is frozen.
pub(crate) async fn race(
    State(state): State<WebState>,
    q: Result<Query<RaceQuery>, QueryRejection>,
) -> Result<Json<Race>, WebError> {
    let bad = || WebError::BadInput("top: a whole number of teams from 1, or all".into());
    let top = match q.map_err(|_| bad())?.0.top.as_deref().map(str::trim) {
        None | Some("") => TOP,
        Some("all") => usize::MAX,
        Some(n) => n.parse().ok().filter(|n| *n > 0).ok_or_else(bad)?,
    };
    let snapshot = state.view.now();
    let until = public_cut(&snapshot);
    with_game(&state, move |game, p| {
        let end = until.map_or(p.now, |u| u.min(p.now));
        let debrief = Debrief {
            game: &game.meta.name,
            projection: p,
            rules: &game.meta.rules,
            markers: Vec::new(),
            audience: Audience::Public,
            until,
            workers: 0,
        };
        let standings = debrief.standings();
        let mut t = Vec::new();
        let teams = standings
            .iter()
            .take(top)
            .map(|r| {
                let s = r.state.history.series(GameTime(0), end, GAME_POINTS);
                t = s.t.clone();
                RaceTeam {
                    team: r.team.to_owned(),
                    name: debrief.name(r.team).to_owned(),
                    rank: r.rank,
                    score: s.score,
                }
            })
            .collect();
        Ok(Json(Race {
            t,
            teams,
            of: standings.len(),
        }))
    })
    .await
}

/// `?team=&window=10m|all` of a team's health.
#[derive(Deserialize, Debug, Default)]
pub(crate) struct HealthQuery {
    team: Option<String>,
    window: Option<String>,
}

/// A team's health over a window.
#[derive(Serialize, Debug)]
pub(crate) struct Health {
    team: String,
    window: &'static str,
    #[serde(flatten)]
    series: Series,
}

/// `GET /api/team/health?window=10m|all`: the caller's team's health (the admin names a
/// team), over the last ten minutes at a point a second, or the whole game.
pub(crate) async fn health(
    State(state): State<WebState>,
    caller: Caller,
    q: Result<Query<HealthQuery>, QueryRejection>,
) -> Result<Json<Health>, WebError> {
    let bad = || WebError::BadInput("window: 10m or all; team: text".into());
    let q = q.map_err(|_| bad())?.0;
    let window = match q.window.as_deref().map(str::trim) {
        None | Some("" | "10m") => "10m",
        Some("all") => "all",
        Some(_) => return Err(bad()),
    };
    let team = super::team::whose(&caller, q.team.as_deref(), &state.view.now())?;
    with_game(&state, move |_, p| {
        let t = p
            .team(&team)
            .ok_or_else(|| WebError::NotFound("no such team".into()))?;
        let series = if window == "10m" {
            let from = GameTime(p.now.0.saturating_sub(RECENT.as_millis() as u64));
            t.history.series(from, p.now, RECENT.as_secs() as usize + 1)
        } else {
            t.history.series(GameTime(0), p.now, GAME_POINTS)
        };
        Ok(Json(Health {
            team,
            window,
            series,
        }))
    })
    .await
}
