//! The organizer's page and API: pause and resume, freeze and unfreeze, announce, adjust a
//! team's points with a reason, the teams and which have tokens, a team's new token (shown
//! once), the breaks (web/breaks.rs), and links to the results export. Every route needs
//! the admin token.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{self, Admin, Caller};
use super::control::{self, JsonBody};
use super::error::WebError;
use super::frames;
use super::html::{self, Tab, escape, sign_class};
use super::json::{self, AdminStatus, AdminStatusWithHooks};
use super::state::WebState;
use super::store;
use crate::live::Command;
use crate::notify::HookHealth;
use scoreboard_domain::Points;
use scoreboard_domain::snapshot::utc_clock;

/// The most points one adjustment may give or take.
const LARGEST_ADJUSTMENT: i64 = 1_000_000;

/// The longest announcement or reason.
const LONGEST_TEXT: usize = 500;

/// `text` as points: an optional sign, whole points, and at most three decimals
/// (`12`, `-2.5`, `+0.125`), at most a million either way, not zero.
pub fn parse_points(text: &str) -> Result<Points, String> {
    let text = text.trim();
    let problem = || format!("points: a number like 5, -2.5 or 0.125, not {text:?}");
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty())
        || !all_digits(whole)
        || !all_digits(frac)
        || (digits.contains('.') && frac.is_empty())
    {
        return Err(problem());
    }
    if frac.len() > 3 {
        return Err("points: at most three decimals (thousandths of a point)".into());
    }
    let whole: i64 = match whole {
        "" => 0,
        w => w
            .parse()
            .ok()
            .filter(|w| *w <= LARGEST_ADJUSTMENT)
            .ok_or_else(|| format!("points: at most {LARGEST_ADJUSTMENT} either way"))?,
    };
    let milli = whole * 1000 + format!("{frac:0<3}").parse::<i64>().unwrap_or(0);
    if milli > LARGEST_ADJUSTMENT * 1000 {
        return Err(format!("points: at most {LARGEST_ADJUSTMENT} either way"));
    }
    if milli == 0 {
        return Err("points: an adjustment of zero changes nothing".into());
    }
    Ok(Points(if negative { -milli } else { milli }))
}

/// Free text from a form: trimmed, not empty, not too long.
pub(crate) fn text_field(name: &str, text: &str) -> Result<String, WebError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(WebError::BadInput(format!("{name}: must not be empty")));
    }
    if text.chars().count() > LONGEST_TEXT {
        return Err(WebError::BadInput(format!(
            "{name}: at most {LONGEST_TEXT} characters"
        )));
    }
    Ok(text.to_string())
}

/// `GET /api/admin/status`: the live board, with which teams have tokens.
pub(crate) async fn api_status(
    State(state): State<WebState>,
    _: Admin,
) -> Result<Json<AdminStatusWithHooks>, WebError> {
    let owners = store::token_owners(&state).await?;
    Ok(Json(AdminStatusWithHooks {
        status: json::admin_status(&state.view.now(), Some(&owners), usize::MAX),
        webhooks: hooks_now(&state),
    }))
}

/// `GET /api/admin/stream`: a `status` message (the live board, the latest breaks and the
/// webhooks' health) per snapshot, drawn once for every admin watching.
pub(crate) async fn stream(State(state): State<WebState>, _: Admin) -> Response {
    let hooks = state.hooks.clone();
    frames::shared(&state, "status", move |s| {
        let status = AdminStatusWithHooks {
            status: json::admin_status(s, None, json::LIVE_BREAKS),
            webhooks: hooks.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        };
        frames::json_frame("status", &status)
    })
}

pub(crate) fn sent(what: &str) -> Json<Value> {
    Json(json!({ "ok": what }))
}

/// `POST /api/admin/pause`.
pub(crate) async fn api_pause(
    State(state): State<WebState>,
    _: Admin,
) -> Result<Json<Value>, WebError> {
    control::tell(&state, Command::Pause).map(|()| sent("pause"))
}

/// `POST /api/admin/resume`.
pub(crate) async fn api_resume(
    State(state): State<WebState>,
    _: Admin,
) -> Result<Json<Value>, WebError> {
    control::tell(&state, Command::Resume).map(|()| sent("resume"))
}

/// `POST /api/admin/freeze`.
pub(crate) async fn api_freeze(
    State(state): State<WebState>,
    _: Admin,
) -> Result<Json<Value>, WebError> {
    control::tell(&state, Command::Freeze).map(|()| sent("freeze"))
}

/// `POST /api/admin/unfreeze`.
pub(crate) async fn api_unfreeze(
    State(state): State<WebState>,
    _: Admin,
) -> Result<Json<Value>, WebError> {
    control::tell(&state, Command::Unfreeze).map(|()| sent("unfreeze"))
}

#[derive(Deserialize, Debug)]
pub(crate) struct Announce {
    text: String,
}

/// `POST /api/admin/announce` `{"text": …}`.
pub(crate) async fn api_announce(
    State(state): State<WebState>,
    _: Admin,
    body: Result<JsonBody<Announce>, WebError>,
) -> Result<Json<Value>, WebError> {
    control::writable(&state)?;
    let JsonBody(body) = body?;
    let text = text_field("text", &body.text)?;
    control::tell(&state, Command::Announce(text)).map(|()| sent("announce"))
}

/// Points as sent: text (`"2.5"`) or a JSON number.
#[derive(Deserialize, Debug)]
#[serde(untagged)]
pub(crate) enum PointsField {
    Text(String),
    Number(serde_json::Number),
}

#[derive(Deserialize, Debug)]
pub(crate) struct Adjust {
    team: String,
    points: PointsField,
    reason: String,
    /// The client's id for this adjustment: a retried POST with the same id is recorded
    /// once. Without one, every POST is a new adjustment.
    #[serde(default)]
    request_id: Option<String>,
}

/// A client's request id: 1 to 64 letters, digits, `-` or `_`.
fn request_id(id: Option<&str>) -> Result<Option<String>, WebError> {
    let Some(id) = id else { return Ok(None) };
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        return Err(WebError::BadInput(
            "request_id: 1 to 64 letters, digits, '-' or '_'".into(),
        ));
    }
    Ok(Some(id.to_owned()))
}

/// `POST /api/admin/adjust` `{"team", "points": "2.5", "reason"}`: recorded by the game as
/// an Organizer score event, by `admin`.
pub(crate) async fn api_adjust(
    State(state): State<WebState>,
    _: Admin,
    body: Result<JsonBody<Adjust>, WebError>,
) -> Result<Json<Value>, WebError> {
    control::writable(&state)?;
    let JsonBody(body) = body?;
    let team = known_team(&state, &body.team)?;
    let text = match &body.points {
        PointsField::Text(t) => t.clone(),
        PointsField::Number(n) => n.to_string(),
    };
    let points = parse_points(&text).map_err(WebError::BadInput)?;
    let reason = text_field("reason", &body.reason)?;
    let request = request_id(body.request_id.as_deref())?;
    let (t, r) = (team.clone(), reason.clone());
    let adjust = Command::Adjust {
        team: t,
        points,
        reason: r,
        by: "admin".into(),
        request,
    };
    control::ask(&state, adjust).await?;
    Ok(Json(json!({
        "team": team,
        "points": points.to_string(),
        "points_milli": points.0,
        "reason": reason,
    })))
}

/// `team` if the game has it, else 404.
pub(crate) fn known_team(state: &WebState, team: &str) -> Result<String, WebError> {
    let team = team.trim();
    state
        .view
        .now()
        .teams
        .iter()
        .find(|t| t.team == team)
        .map(|t| t.team.clone())
        .ok_or_else(|| WebError::NotFound("no such team".into()))
}

/// `POST /api/admin/teams/{team}/token`: a new token for the team, replacing its old one.
/// The answer is the only place the token is ever shown.
pub(crate) async fn api_new_token(
    State(state): State<WebState>,
    _: Admin,
    Path(team): Path<String>,
) -> Result<Json<Value>, WebError> {
    control::writable(&state)?;
    let team = known_team(&state, &team)?;
    let token = store::new_token(&state, team.clone()).await?;
    Ok(Json(json!({
        "team": team,
        "token": token,
        "note": "shown once: give it to the team now (its old token no longer works)",
    })))
}

/// `GET /admin`: the sign-in form, or the organizer's page.
pub(crate) async fn page(State(state): State<WebState>, parts: Parts) -> Response {
    let game = state.view.now().game.clone();
    let (action, what) = auth::door(Tab::Admin);
    let signed_in = auth::authenticate(&state, &parts).await;
    let error = match signed_in {
        Ok(Caller::Admin) => None,
        Ok(Caller::Team(_)) => return auth::wrong_kind(Tab::Admin, &game),
        Err(error) => Some(error),
    };
    if let Some(error) = error {
        return match error {
            WebError::NoToken => html::page(
                Tab::Admin,
                &game,
                &html::sign_in_form(action, what, None),
                None,
            )
            .into_response(),
            WebError::Internal(_) => html::error_page(Tab::Admin, &game, &error),
            error => {
                let body = html::sign_in_form(action, what, Some(&error.message()));
                let mut response =
                    (error.status(), html::page(Tab::Admin, &game, &body, None)).into_response();
                super::error::decorate(&error, &mut response);
                response
            }
        };
    }
    let owners = match store::token_owners(&state).await {
        Ok(owners) => owners,
        Err(error) => return html::error_page(Tab::Admin, &game, &error),
    };
    let status = json::admin_status(&state.view.now(), Some(&owners), json::LIVE_BREAKS);
    let body = render(&status, &hooks_now(&state), state.read_only);
    html::page(Tab::Admin, &game, &body, Some("admin.js")).into_response()
}

fn render(status: &AdminStatus, hooks: &[HookHealth], read_only: bool) -> String {
    let rows: String = status.teams.iter().map(team_row).collect();
    let options: String = status
        .teams
        .iter()
        .map(|t| format!("<option value=\"{0}\">{0}</option>", escape(&t.team)))
        .collect();
    let note = if read_only {
        "<p class=\"banner\">Read-only replica: controls are refused here.</p>"
    } else {
        ""
    };
    let ledger = status.ledger.ledger_warning.as_deref().unwrap_or_default();
    format!(
        "{note}<p id=\"ledger\" class=\"banner\" role=\"alert\"{hidden}>{ledger}</p>\
         <div class=\"status\"><span>Game time <b id=\"now\">{now}</b></span>\
         <span>State <b id=\"state\">{state}</b></span>\
         <span>Load <b id=\"offered\">{offered}</b></span><span id=\"phase\">{phase}</span>\
         <span id=\"live\" class=\"live off\">live</span>{signout}</div>\
         <p id=\"result\" role=\"status\"></p>\
         <div class=\"grid\">\
         <section class=\"card\"><h2>Game</h2>\
         <button data-action=\"pause\">Pause</button> <button data-action=\"resume\">Resume</button> \
         <button data-action=\"freeze\">Freeze board</button> \
         <button data-action=\"unfreeze\">Unfreeze board</button>\
         <form id=\"announce\"><label for=\"text\">Announcement</label>\
         <input id=\"text\" name=\"text\" maxlength=\"500\" required>\
         <button type=\"submit\">Announce</button></form></section>\
         <section class=\"card\"><h2>Adjust points</h2><form id=\"adjust\">\
         <label for=\"adjust-team\">Team</label><select id=\"adjust-team\" name=\"team\">{options}</select>\
         <label for=\"points\">Points (e.g. 5, -2.5)</label>\
         <input id=\"points\" name=\"points\" inputmode=\"decimal\" required>\
         <label for=\"reason\">Reason (the team sees it)</label>\
         <input id=\"reason\" name=\"reason\" maxlength=\"500\" required>\
         <button type=\"submit\">Adjust</button></form></section></div>\
         <section class=\"card\"><h2>Teams</h2><table><thead><tr><th class=\"num\">#</th>\
         <th>Team</th><th class=\"num\">Score</th><th>Endpoint</th><th>State</th>\
         <th>Last check</th><th>Token</th><th></th></tr>\
         </thead><tbody id=\"teams\">{rows}</tbody></table>\
         <div id=\"new-token\" hidden><p>New token for <b id=\"new-token-team\"></b>, shown once:</p>\
         <code class=\"token\" id=\"new-token-value\"></code></div></section>\
         {breaks}{hooks}<section class=\"card\"><h2>Results</h2><a href=\"/api/export.csv\" download>CSV</a> · \
         <a href=\"/api/export.json\" download>JSON</a> · <a href=\"/metrics\">metrics</a></section>",
        hidden = if ledger.is_empty() { " hidden" } else { "" },
        ledger = escape(ledger),
        now = escape(&status.now),
        state = escape(&status.state.words()),
        offered = escape(&status.load.offered),
        phase = escape(&status.load.phase),
        signout = html::sign_out_form(),
        breaks = super::breaks::card(&status.breaks, status.breaks_earlier, &options),
        hooks = hooks_card(hooks),
    )
}

/// The webhooks' health as the game's notifier keeps it.
fn hooks_now(state: &WebState) -> Vec<HookHealth> {
    state
        .hooks
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

/// A card of the webhooks (none: no card): each one's label (never its URL), what it sent,
/// and since when it fails, with why.
fn hooks_card(hooks: &[HookHealth]) -> String {
    if hooks.is_empty() {
        return String::new();
    }
    let rows: String = hooks
        .iter()
        .map(|h| {
            let state = match (h.failing_since_unix_ms, &h.last_error) {
                (Some(since), error) => format!(
                    "<b class=\"bad\">failing since {}</b>: {}",
                    utc_clock(since),
                    escape(error.as_deref().unwrap_or(""))
                ),
                (None, _) => "ok".to_owned(),
            };
            format!(
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td>{state}</td></tr>",
                escape(&h.label),
                h.sent,
                h.pending,
                h.given_up + h.dropped,
            )
        })
        .collect();
    format!(
        "<section class=\"card\" id=\"webhooks\"><h2>Webhooks</h2><table><thead><tr>\
         <th>Hook</th><th class=\"num\">Sent</th><th class=\"num\">Waiting</th>\
         <th class=\"num\">Lost</th><th>State</th></tr></thead><tbody id=\"hook-rows\">{rows}\
         </tbody></table></section>"
    )
}

fn team_row(t: &json::AdminRow) -> String {
    let has = t.has_token.unwrap_or(false);
    let check = t.endpoint.last_check.as_ref().map_or(String::new(), |c| {
        format!(
            "<span class=\"{}\">{} {}</span>",
            if c.passed { "ok" } else { "error" },
            escape(&c.at),
            escape(&c.text)
        )
    });
    format!(
        "<tr data-team=\"{team}\" data-has-token=\"{has}\"><td class=\"num\">{rank}</td>\
         <td>{name} <span class=\"muted\">{team}</span></td><td class=\"num {class}\">{score}</td><td>{urls}</td>\
         <td class=\"endpoint-state\">{state}</td><td class=\"last-check\">{check}</td>\
         <td>{token}</td><td><button class=\"quiet\" data-new-token=\"{team}\">New token</button> \
         <button class=\"quiet\" data-rename=\"{team}\">Rename</button> \
         <button class=\"quiet\" data-set-url=\"{team}\">Set endpoint</button></td></tr>",
        state = escape(&t.endpoint.state),
        team = escape(&t.team),
        name = escape(&t.name),
        rank = t.rank,
        class = sign_class(t.score_milli),
        score = escape(&t.score),
        urls = escape(&t.urls.join(" ")),
        token = if has { "yes" } else { "none" },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_webhook_shows_since_when_and_why() {
        assert_eq!(hooks_card(&[]), "", "no hooks, no card");
        let hooks = [
            HookHealth {
                label: "slack webhook at hooks.slack.com".into(),
                sent: 3,
                failing_since_unix_ms: Some(3_661_000),
                last_error: Some("answered 500 <b>".into()),
                given_up: 1,
                dropped: 1,
                ..HookHealth::default()
            },
            HookHealth {
                label: "json webhook at 10.0.0.9".into(),
                ..HookHealth::default()
            },
        ];
        let card = hooks_card(&hooks);
        assert!(card.contains("<td>slack webhook at hooks.slack.com</td><td class=\"num\">3</td><td class=\"num\">0</td><td class=\"num\">2</td>"), "{card}");
        assert!(
            card.contains("failing since 01:01:01 UTC</b>: answered 500 &lt;b&gt;"),
            "{card}"
        );
        assert!(card.contains("<td>json webhook at 10.0.0.9</td><td class=\"num\">0</td><td class=\"num\">0</td><td class=\"num\">0</td><td>ok</td>"), "{card}");
    }

    #[test]
    fn points_parse_to_milli_points() {
        assert_eq!(parse_points("12"), Ok(Points(12_000)));
        assert_eq!(parse_points("-2.5"), Ok(Points(-2_500)));
        assert_eq!(parse_points("+0.125"), Ok(Points(125)));
        assert_eq!(parse_points(" .5 "), Ok(Points(500)));
        assert_eq!(parse_points("1000000"), Ok(Points(1_000_000_000)));
    }

    #[test]
    fn bad_points_are_refused_with_a_reason() {
        for bad in [
            "", "-", "1.", "1.2345", "abc", "1e3", "1000001", "0", "-0.000", "1,5",
        ] {
            assert!(parse_points(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(parse_points("99999999999999999999").is_err());
        assert!(
            parse_points("1.2345")
                .unwrap_err()
                .contains("three decimals")
        );
    }
}
