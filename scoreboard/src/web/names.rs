//! Teams' public names: `POST /api/team/name` (a team names itself, once) and
//! `POST /api/admin/teams/{team}/name` (the organizer renames any team, with a reason, recorded
//! as an Organizer event of 0 points). The rules are [`scoreboard_domain::names`]'; the name goes to the
//! ledger through the game's one writer, and reaches the board through the projection (the
//! live game applies it once the ledger has stored it, so the board never shows a name the
//! ledger does not hold; a replica reads its note after its cursor).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Admin, Caller};
use super::control::{self, JsonBody};
use super::error::WebError;
use super::state::WebState;
use super::store::with_ledger;
use crate::live::Command;
use scoreboard_domain::Points;
use scoreboard_domain::names::{self, NameError, Namer, TeamName};
use scoreboard_ledger::WriteRequest;

/// One name change at a time, so that two teams cannot take one name together (held from
/// the check to the write).
pub(crate) type NameLock = Arc<tokio::sync::Mutex<()>>;

/// `{"name"}`, and the organizer's `reason`.
#[derive(Deserialize, Debug)]
pub(crate) struct NameBody {
    name: String,
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /api/team/name` `{"name"}`: the caller's team names itself (once: then 409).
pub(crate) async fn api_team(
    State(state): State<WebState>,
    caller: Caller,
    body: Result<JsonBody<NameBody>, WebError>,
) -> Result<Json<Value>, WebError> {
    control::writable(&state)?;
    let Caller::Team(team) = caller else {
        return Err(WebError::Forbidden(
            "the organizer renames a team with POST /api/admin/teams/{team}/name",
        ));
    };
    let JsonBody(body) = body?;
    let named = set(&state, team, body.name, Namer::Team).await?;
    Ok(Json(json!({ "team": named.team, "name": named.name })))
}

/// `POST /api/admin/teams/{team}/name` `{"name", "reason"}`: the organizer renames a team;
/// the team's events say so.
pub(crate) async fn api_admin(
    State(state): State<WebState>,
    _: Admin,
    Path(team): Path<String>,
    body: Result<JsonBody<NameBody>, WebError>,
) -> Result<Json<Value>, WebError> {
    control::writable(&state)?;
    let JsonBody(body) = body?;
    let reason = body
        .reason
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(WebError::BadInput(
            "reason: why the team is renamed, 1 to 500 characters (the team reads it)".into(),
        ));
    }
    let named = set(&state, team, body.name, Namer::Organizer).await?;
    let (t, text) = (
        named.team.clone(),
        format!("renamed {:?} by the organizers: {reason}", named.name),
    );
    let note = Command::Adjust {
        team: t,
        points: Points(0),
        reason: text,
        by: "admin".into(),
        request: None,
    };
    control::ask(&state, note).await?;
    Ok(Json(
        json!({ "team": named.team, "name": named.name, "reason": reason }),
    ))
}

/// Checks a name and has the game write it.
async fn set(
    state: &WebState,
    team: String,
    asked: String,
    namer: Namer,
) -> Result<TeamName, WebError> {
    let teams: Vec<String> = state
        .view
        .now()
        .teams
        .iter()
        .map(|t| t.team.clone())
        .collect();
    let _one = state.name_lock.lock().await;
    let names = with_ledger(state, |ledger| ledger.team_names()).await?;
    let named = names::check(&team, &asked, namer, &teams, &names).map_err(|e| match e {
        NameError::AlreadyNamed(_) => WebError::Conflict(e.to_string()),
        NameError::NoTeam(_) => WebError::NotFound(e.to_string()),
        _ => WebError::BadInput(e.to_string()),
    })?;
    control::write(state, WriteRequest::TeamName(named.clone())).await?;
    Ok(named)
}
