//! The organizer's breaks on the admin page and API: break a team's stack (or every team's
//! the game can reach) with an action, for a while or until restored, told to the team or
//! not; restore a team's breaks or all of them; and the card that lists every break and
//! restore with what it did.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::admin::known_team;
use super::auth::Admin;
use super::control::{self, JsonBody};
use super::error::WebError;
use super::html::escape;
use super::json::BreakJson;
use super::state::WebState;
use crate::live::Command;
use scoreboard_domain::breaks::{BreakAction, BreakOutcome};

/// The longest break one may ask: longer than any game.
const LONGEST_BREAK: Duration = Duration::from_secs(24 * 3600);

#[derive(Deserialize, Debug)]
pub(crate) struct BreakBody {
    /// A team, or `"*"` for every team the game can reach.
    team: String,
    action: String,
    /// How long until it is put back (`"10m"`); absent or empty: until restored.
    #[serde(default, rename = "for")]
    lasting: Option<String>,
    #[serde(default)]
    tell: bool,
}

/// `POST /api/admin/break` `{"team": "blue" | "*", "action": "close_port", "for": "10m",
/// "tell": false}`: the game breaks the team's stack (its AWS account through its chaos
/// role, or a simulated team's servers), off its loop; the admin page lists how it went.
pub(crate) async fn api_break(
    State(state): State<WebState>,
    _: Admin,
    body: Result<JsonBody<BreakBody>, WebError>,
) -> Result<Json<Value>, WebError> {
    control::writable(&state)?;
    let JsonBody(body) = body?;
    let team = match body.team.trim() {
        "*" => "*".to_owned(),
        team => known_team(&state, team)?,
    };
    let action: BreakAction = body
        .action
        .trim()
        .parse()
        .map_err(|why: String| WebError::BadInput(format!("action: {why}")))?;
    let lasting = lasting(body.lasting.as_deref())?;
    let command = Command::Break {
        team: team.clone(),
        action,
        lasting,
        tell: body.tell,
    };
    control::ask(&state, command).await?;
    Ok(Json(json!({
        "team": team,
        "action": action.name(),
        "for_s": lasting.map(|d| d.as_secs()),
        "tell": body.tell,
    })))
}

/// `"10m"`, `"90s"`, `"1h 30m"` (none or empty: until restored), at most a day, not zero.
fn lasting(text: Option<&str>) -> Result<Option<Duration>, WebError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let bad = |why: &str| WebError::BadInput(format!("for: {why}, got {text:?}"));
    let d = humantime::parse_duration(text).map_err(|_| bad("expected a duration like 10m"))?;
    if d.is_zero() || d > LONGEST_BREAK {
        return Err(bad("expected more than zero and at most 24h"));
    }
    Ok(Some(d))
}

#[derive(Deserialize, Debug)]
pub(crate) struct RestoreBody {
    /// The team whose breaks to put back; absent or `"*"`: every team's.
    #[serde(default)]
    team: Option<String>,
}

/// `POST /api/admin/restore` `{"team": "blue"}` (or `{}`: every team): puts back what the
/// team's breaks changed and is still in place; 409 when nothing is.
pub(crate) async fn api_restore(
    State(state): State<WebState>,
    _: Admin,
    body: Result<JsonBody<RestoreBody>, WebError>,
) -> Result<Json<Value>, WebError> {
    control::writable(&state)?;
    let JsonBody(body) = body?;
    let team = match body.team.as_deref().map(str::trim) {
        None | Some("*" | "") => None,
        Some(team) => Some(known_team(&state, team)?),
    };
    control::ask(&state, Command::Restore { team: team.clone() }).await?;
    Ok(Json(
        json!({ "restore": team.unwrap_or_else(|| "*".into()) }),
    ))
}

/// The Breaks card: the form that breaks and restores (`options`: the teams' `<option>`s),
/// then the latest breaks and restores (when, which team, what it did, whether the team
/// was told; `earlier` older ones left out). admin.js redraws the list from the stream.
pub(crate) fn card(breaks: &[BreakJson], earlier: usize, options: &str) -> String {
    let actions: String = BreakAction::ALL
        .iter()
        .map(|a| format!("<option value=\"{0}\">{0}</option>", a.name()))
        .collect();
    let rows: String = breaks.iter().map(row).collect();
    let none = if breaks.is_empty() { "" } else { " hidden" };
    let some = if breaks.is_empty() { " hidden" } else { "" };
    let table = format!(
        "<p id=\"no-breaks\"{none}>No break yet.</p>\
         <p id=\"breaks-earlier\"{hidden}><span id=\"breaks-earlier-count\">{earlier}</span> earlier ones: \
         <a href=\"/api/admin/status\">/api/admin/status</a> lists every one.</p>\
         <table id=\"break-table\"{some}><thead><tr><th>At</th><th>Team</th><th>What</th>\
         <th>Done</th><th>Team</th></tr></thead><tbody id=\"break-rows\">{rows}</tbody></table>",
        hidden = if earlier == 0 { " hidden" } else { "" },
    );
    format!(
        "<section class=\"card\" id=\"breaks\"><h2>Breaks</h2><form id=\"break\">\
         <label for=\"break-team\">Team</label><select id=\"break-team\" name=\"team\">\
         <option value=\"*\">every team</option>{options}</select>\
         <label for=\"break-action\">Action</label>\
         <select id=\"break-action\" name=\"action\">{actions}</select>\
         <label for=\"break-for\">For (e.g. 10m; empty: until restored)</label>\
         <input id=\"break-for\" name=\"for\" placeholder=\"10m\">\
         <label><input type=\"checkbox\" id=\"break-tell\" name=\"tell\"> Tell the team</label>\
         <button type=\"submit\">Break</button> \
         <button type=\"button\" id=\"restore\">Restore this team</button></form>{table}</section>"
    )
}

/// One break or restore of the card.
fn row(b: &BreakJson) -> String {
    let class = match b.outcome {
        BreakOutcome::Failed { .. } => " class=\"bad\"",
        _ => "",
    };
    format!(
        "<tr><td>{}</td><td>{}</td><td>{} {}</td><td{class}>{}</td><td>{}</td></tr>",
        escape(&b.at),
        escape(&b.team),
        b.kind,
        b.action,
        escape(&b.text),
        if b.tell { "told" } else { "not told" },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_breaks_for_is_a_duration_of_at_most_a_day() {
        assert_eq!(lasting(None).unwrap(), None);
        assert_eq!(lasting(Some(" ")).unwrap(), None);
        assert_eq!(
            lasting(Some("10m")).unwrap(),
            Some(Duration::from_secs(600))
        );
        for bad in ["soon", "0s", "25h"] {
            let error = lasting(Some(bad)).unwrap_err().message();
            assert!(error.starts_with("for: ") && error.contains(bad), "{error}");
        }
    }
}
