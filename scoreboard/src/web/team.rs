//! A team's page and API: its own score events only (live, filterable by source, with
//! history paged from the ledger), what is costing it points (the last five minutes' losses
//! by kind, with a hint each), its endpoint URLs, and a form to change them.
//!
//! A team token reads its own team and nothing else; the admin token may name any team with
//! `?team=` (the URL change goes to the game runner in both cases).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::auth::{self, Caller};
use super::control::{self, JsonBody};
use super::error::WebError;
use super::html::{self, Tab, escape, sign_class};
use super::json::{self, LossJson, TeamStatus};
use super::state::WebState;
use super::store::{self, EventPage};
use super::stream::{self, EventStream};
use crate::event_json::EventJson;
use crate::live::{Command, Snapshot};
use scoreboard_domain::{GameTime, Source};
use scoreboard_ledger::EventFilter;

/// Events per page unless asked, and the most a page may hold.
const PAGE: usize = 50;
const LONGEST_PAGE: usize = 500;

/// The longest URL a team may set.
const LONGEST_URL: usize = 2048;

/// `?team=&source=&before=&limit=`: every field optional.
#[derive(Deserialize, Debug, Default)]
pub(crate) struct EventsQuery {
    team: Option<String>,
    source: Option<String>,
    before: Option<u64>,
    limit: Option<usize>,
}

type QueryResult = Result<Query<EventsQuery>, QueryRejection>;

fn query(q: QueryResult) -> Result<EventsQuery, WebError> {
    q.map(|Query(q)| q).map_err(|_| {
        WebError::BadInput(
            "query: team and source are text, before (game-time milliseconds) and limit are \
             whole numbers"
                .into(),
        )
    })
}

/// `Source` from a query (empty is every source).
fn parse_source(text: Option<&str>) -> Result<Option<Source>, WebError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => Source::parse(text).map(Some).ok_or_else(|| {
            WebError::BadInput("source: one of LoadGen, Billing, Organizer, Engine".into())
        }),
    }
}

/// The team a caller may read: its own; the admin names one.
pub(crate) fn whose(
    caller: &Caller,
    asked: Option<&str>,
    snapshot: &Snapshot,
) -> Result<String, WebError> {
    let asked = asked.map(str::trim).filter(|t| !t.is_empty());
    match (caller, asked) {
        (Caller::Team(own), None) => Ok(own.clone()),
        (Caller::Team(own), Some(asked)) if asked == own => Ok(own.clone()),
        (Caller::Team(_), Some(_)) => {
            Err(WebError::Forbidden("a team token reads only its own team"))
        }
        (Caller::Admin, None) => Err(WebError::BadInput(
            "the admin token must name a team: ?team=NAME".into(),
        )),
        (Caller::Admin, Some(asked)) => snapshot
            .teams
            .iter()
            .find(|t| t.team == asked)
            .map(|t| t.team.clone())
            .ok_or_else(|| WebError::NotFound("no such team".into())),
    }
}

/// `GET /api/team`: the team's line (score, public rank, URLs).
pub(crate) async fn api_me(
    State(state): State<WebState>,
    caller: Caller,
    q: QueryResult,
) -> Result<Json<TeamStatus>, WebError> {
    let q = query(q)?;
    let snapshot = state.view.now();
    let team = whose(&caller, q.team.as_deref(), &snapshot)?;
    Ok(Json(json::team_status(&snapshot, &team)))
}

/// A page of history as the API gives it.
#[derive(serde::Serialize, Debug)]
pub(crate) struct EventsPage {
    team: String,
    events: Vec<EventJson>,
    /// Pass as `before` for the next, older page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_before: Option<u64>,
}

async fn history(
    state: &WebState,
    team: &str,
    source: Option<Source>,
    q: &EventsQuery,
) -> Result<EventPage, WebError> {
    let limit = q.limit.unwrap_or(PAGE);
    if limit == 0 || limit > LONGEST_PAGE {
        return Err(WebError::BadInput(format!("limit: 1 to {LONGEST_PAGE}")));
    }
    if q.before.is_none() && source.is_none() {
        let snapshot = state.view.now();
        let row = snapshot.teams.iter().find(|t| t.team == team);
        if let Some(page) = row.and_then(|row| store::newest_page(row, limit)) {
            return Ok(page);
        }
    }
    let filter = EventFilter {
        team: Some(team.to_string()),
        source,
        before: q.before.map(GameTime),
        ..Default::default()
    };
    store::event_page(state, filter, limit).await
}

/// `GET /api/team/events`: the team's events, newest first, a page at a time. The first
/// page of the usual size comes from the live line, drawn once per snapshot for every
/// request of that team.
pub(crate) async fn api_events(
    State(state): State<WebState>,
    caller: Caller,
    q: QueryResult,
) -> Result<Response, WebError> {
    let q = query(q)?;
    let snapshot = state.view.now();
    let team = whose(&caller, q.team.as_deref(), &snapshot)?;
    let source = parse_source(q.source.as_deref())?;
    let first_page = q.before.is_none() && source.is_none() && q.limit.unwrap_or(PAGE) == PAGE;
    let kept = first_page.then(|| {
        state.drawn.team_pages.get(&snapshot, team.clone(), |s| {
            let row = s.teams.iter().find(|t| t.team == team)?;
            Some(page_json(&team, &store::newest_page(row, PAGE)?))
        })
    });
    let body = match kept.flatten() {
        Some(body) => body,
        None => page_json(&team, &history(&state, &team, source, &q).await?),
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// A page as the API's JSON.
fn page_json(team: &str, page: &EventPage) -> Bytes {
    let page = EventsPage {
        team: team.to_owned(),
        events: page.events.iter().map(EventJson::from).collect(),
        next_before: page.next_before,
    };
    serde_json::to_vec(&page).unwrap_or_default().into()
}

/// `GET /api/team/stream`: `status` with the team's line, then `score` per new event of the
/// team (`lagged` if the page fell behind and should re-read its history).
pub(crate) async fn stream(
    State(state): State<WebState>,
    caller: Caller,
    q: QueryResult,
) -> Result<EventStream, WebError> {
    let q = query(q)?;
    let team = whose(&caller, q.team.as_deref(), &state.view.now())?;
    let source = parse_source(q.source.as_deref())?;
    Ok(stream::team(&state, team, source))
}

/// `POST /api/team/url`'s body.
#[derive(Deserialize, Debug)]
pub(crate) struct SetUrl {
    url: String,
    /// Only with the admin token.
    team: Option<String>,
}

/// `POST /api/team/url`: checks the URL, asks the game runner to use it (the team's
/// registration if it had none), and answers what a probe of it found. A URL whose probe
/// fails is still taken: a team may register before its server is up.
pub(crate) async fn api_set_url(
    State(state): State<WebState>,
    caller: Caller,
    body: Result<JsonBody<SetUrl>, WebError>,
) -> Result<Json<serde_json::Value>, WebError> {
    control::writable(&state)?;
    let JsonBody(body) = body?;
    let team = whose(&caller, body.team.as_deref(), &state.view.now())?;
    let url = body.url.trim().to_string();
    if url.is_empty() || url.len() > LONGEST_URL {
        return Err(WebError::BadInput(format!(
            "url: an http(s) URL of at most {LONGEST_URL} characters"
        )));
    }
    let check = state.check_url.clone();
    let (t, u) = (team.clone(), url.clone());
    // The check may resolve names: keep it off the async threads.
    tokio::task::spawn_blocking(move || check(&t, &u))
        .await
        .map_err(|e| WebError::Internal(format!("URL check failed: {e}")))?
        .map_err(WebError::BadInput)?;
    let (t, u) = (team.clone(), url.clone());
    let check = control::ask_check(&state, Command::SetUrl { team: t, url: u }).await?;
    let check = json::check(&check);
    Ok(Json(
        serde_json::json!({ "team": team, "url": url, "check": check }),
    ))
}

/// `POST /api/team/check`'s body: the admin names the team.
#[derive(Deserialize, Debug, Default)]
pub(crate) struct CheckBody {
    team: Option<String>,
}

/// `POST /api/team/check`: probes the team's endpoint now and answers what it found; at most
/// once every 10 s a team (429 with the wait, in `Retry-After` and in words).
pub(crate) async fn api_check(
    State(state): State<WebState>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<json::CheckJson>, WebError> {
    control::writable(&state)?;
    let body: CheckBody = if body.iter().all(u8::is_ascii_whitespace) {
        CheckBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|_| WebError::BadInput("body: {} or {\"team\": \"…\"}".into()))?
    };
    let team = whose(&caller, body.team.as_deref(), &state.view.now())?;
    let check = control::ask_check(&state, Command::Check { team }).await?;
    Ok(Json(json::check(&check)))
}

/// `GET /team`: the sign-in form, or the signed-in team's page.
pub(crate) async fn page(State(state): State<WebState>, parts: Parts, q: QueryResult) -> Response {
    let snapshot = state.view.now();
    let game = snapshot.game.clone();
    let caller = match auth::authenticate(&state, &parts).await {
        Ok(caller) => caller,
        Err(WebError::NoToken) => return sign_in(&game, None, WebError::NoToken),
        Err(WebError::Internal(detail)) => {
            return html::error_page(Tab::Team, &game, &WebError::Internal(detail));
        }
        Err(error) => {
            let message = error.message();
            return sign_in(&game, Some(&message), error);
        }
    };
    let Caller::Team(team) = caller else {
        return auth::wrong_kind(Tab::Team, &game);
    };
    let q = query(q).unwrap_or_default();
    let source = parse_source(q.source.as_deref()).unwrap_or(None);
    let page = match history(&state, &team, source, &EventsQuery::default()).await {
        Ok(page) => page,
        Err(error) => return html::error_page(Tab::Team, &game, &error),
    };
    let status = json::team_status(&snapshot, &team);
    let named = match named_itself(&state, &team).await {
        Ok(named) => named,
        Err(error) => return html::error_page(Tab::Team, &game, &error),
    };
    let body = render(&status, source, &page, state.read_only, named.as_deref());
    html::page_with_charts(Tab::Team, &game, &body, "team.js").into_response()
}

/// The name `team` chose, once it has used its one change (the ledger keeps who named a
/// team, and has the name before the next snapshot does).
async fn named_itself(state: &WebState, team: &str) -> Result<Option<String>, WebError> {
    let names = store::with_ledger(state, |ledger| ledger.team_names()).await?;
    Ok(names
        .into_iter()
        .find(|n| n.team == team && n.by_team)
        .map(|n| n.name))
}

/// The sign-in page, with the error's status (200 when no one has signed in yet). Its script
/// signs in with a token in the address's fragment (a slip's QR code: `/team#token=…`).
fn sign_in(game: &str, message: Option<&str>, error: WebError) -> Response {
    let (action, what) = auth::door(Tab::Team);
    let body = html::sign_in_form(action, what, message);
    let page = html::page(Tab::Team, game, &body, Some("signin.js"));
    match error {
        WebError::NoToken => page.into_response(),
        error => {
            let mut response = (error.status(), page).into_response();
            super::error::decorate(&error, &mut response);
            response
        }
    }
}

fn render(
    status: &TeamStatus,
    source: Option<Source>,
    page: &EventPage,
    read_only: bool,
    named: Option<&str>,
) -> String {
    let next = page.next_before.map(|b| b.to_string()).unwrap_or_default();
    format!(
        "<div class=\"status\"><span>Team <b id=\"team\">{name}</b> <span class=\"muted\">{team}</span></span>\
         <span>Score <b id=\"score\" class=\"{class}\">{score}</b></span>\
         <span>Rank <b id=\"rank\">{rank}</b></span>\
         <span id=\"live\" class=\"live off\">live</span>{signout}</div>\
         <div class=\"grid\">{endpoint}\
         <section class=\"card\"><h2>Team name</h2>{name_form}</section>\
         <section class=\"card\"><h2>Filter</h2><form method=\"get\" action=\"/team\" id=\"filter\">\
         <label for=\"source\">Source</label><select id=\"source\" name=\"source\">{options}</select>\
         <button type=\"submit\" class=\"quiet\">Apply</button></form></section></div>\
         {losses}\
         <section class=\"card\" id=\"health\"><h2>Health: last 10 minutes</h2>\
         <div class=\"charts\"><div class=\"chart\" id=\"recent-answers\"></div>\
         <div class=\"chart\" id=\"recent-latency\"></div><div class=\"chart\" id=\"recent-servers\"></div></div>\
         <h2>Health: whole game</h2><div class=\"charts\"><div class=\"chart\" id=\"game-answers\"></div>\
         <div class=\"chart\" id=\"game-latency\"></div><div class=\"chart\" id=\"game-servers\"></div></div></section>\
         <section class=\"card\"><h2>Score events</h2><table><thead><tr><th>Time</th>\
         <th>Source</th><th class=\"num\">Points</th><th>Reason</th></tr></thead>\
         <tbody id=\"events\" data-next-before=\"{next}\">{rows}</tbody></table>\
         <button type=\"button\" id=\"older\" class=\"quiet\"{older_hidden}>Older events</button>\
         </section>",
        team = escape(&status.team),
        name = escape(&status.name),
        class = sign_class(status.score_milli),
        score = escape(&status.score),
        rank = status.rank.map_or("–".to_string(), |r| r.to_string()),
        signout = html::sign_out_form(),
        endpoint = endpoint_card(status, read_only),
        options = source_options(source),
        name_form = name_form(read_only, named),
        losses = losses_panel(&status.losses),
        rows = page
            .events
            .iter()
            .map(|e| event_row(&EventJson::from(e)))
            .collect::<String>(),
        older_hidden = if page.next_before.is_none() {
            " hidden"
        } else {
            ""
        },
    )
}

/// The filter's choices, `source` selected.
fn source_options(source: Option<Source>) -> String {
    std::iter::once(("", "All sources"))
        .chain(
            [
                Source::LoadGen,
                Source::Billing,
                Source::Organizer,
                Source::Engine,
            ]
            .map(|s| (s.name(), s.name())),
        )
        .map(|(value, label)| {
            let selected = if source.map_or("", Source::name) == value {
                " selected"
            } else {
                ""
            };
            format!("<option value=\"{value}\"{selected}>{label}</option>")
        })
        .collect()
}

/// The endpoint's card: its URLs, whether it waits for one, its state, its last check, the
/// breaks the organizer told it of, and the form that registers or changes it.
fn endpoint_card(status: &TeamStatus, read_only: bool) -> String {
    let endpoint = status.endpoint.as_ref();
    let waiting = endpoint.is_some_and(|e| e.waiting);
    let state = match endpoint {
        Some(e) if e.waiting => "No endpoint yet: the game sends you no load (and takes no \
                                 points for it) until you register your endpoint's URL below."
            .to_owned(),
        Some(e) => format!("Your endpoint: {}", e.state),
        None => String::new(),
    };
    let last = endpoint.and_then(|e| e.last_check.as_ref());
    let check = last.map_or(String::new(), |c| {
        format!("Last check at {}: {}", c.at, c.text)
    });
    let check_class = match last {
        Some(c) if c.passed => "ok",
        Some(_) => "error",
        None => "muted",
    };
    let urls: String = status
        .urls
        .iter()
        .map(|u| format!("<li><code>{}</code></li>", escape(u)))
        .collect();
    let told: String = endpoint.map_or(String::new(), |e| {
        e.told
            .iter()
            .map(|t| format!("<li class=\"error\">{}: {}</li>", t.at, escape(&t.text)))
            .collect()
    });
    format!(
        "<section class=\"card\"><h2>Endpoint</h2><ul id=\"urls\">{urls}</ul>\
         <p id=\"endpoint-state\" class=\"{state_class}\">{state}</p>\
         <p id=\"last-check\" class=\"{check_class}\">{check}</p>\
         <ul id=\"told\">{told}</ul>{form}</section>",
        state_class = if waiting { "error" } else { "muted" },
        state = escape(&state),
        check = escape(&check),
        form = url_form(read_only, waiting),
    )
}

fn url_form(read_only: bool, waiting: bool) -> String {
    if read_only {
        return "<p class=\"muted\">This scoreboard is a read-only replica.</p>".to_owned();
    }
    let (label, button) = if waiting {
        ("Your endpoint's URL (your load balancer)", "Register")
    } else {
        ("New endpoint URL", "Change URL")
    };
    format!(
        "<form id=\"url-form\"><label for=\"url\">{label}</label>\
         <input id=\"url\" name=\"url\" type=\"url\" placeholder=\"https://api.team.example\" required>\
         <button type=\"submit\" id=\"url-submit\">{button}</button></form>\
         <button type=\"button\" id=\"check\" class=\"quiet\">Check my endpoint</button>\
         <p id=\"url-result\" role=\"status\"></p>"
    )
}

/// The form to choose a name, until the team has named itself; then its name and who may
/// change it (`team.js` writes the same once the form succeeds).
fn name_form(read_only: bool, named: Option<&str>) -> String {
    if let Some(name) = named {
        return format!(
            "<p id=\"name-done\">You are <b>{}</b>. A team names itself once: to change \
             your name, ask the organizers.</p>",
            escape(name)
        );
    }
    if read_only {
        return "<p class=\"muted\">This scoreboard is a read-only replica.</p>".to_owned();
    }
    "<form id=\"name-form\"><label for=\"name\">Your public name (a team chooses it once; \
     1 to 40 characters)</label><input id=\"name\" name=\"name\" maxlength=\"40\" required>\
     <button type=\"submit\">Set name</button><p id=\"name-result\" role=\"status\"></p></form>"
        .to_owned()
}

/// What is costing the team points: the last five minutes' losses by kind, worst first
/// (`team.js` redraws the rows from each `status` message).
fn losses_panel(losses: &[LossJson]) -> String {
    let rows: String = if losses.is_empty() {
        "<tr><td colspan=\"5\" class=\"muted\">Nothing lost in the last 5 minutes.</td></tr>"
            .to_owned()
    } else {
        losses.iter().map(loss_row).collect()
    };
    format!(
        "<section class=\"card\" id=\"costing\"><h2>What is costing you points \
         (last 5 minutes)</h2><table><thead><tr><th>What</th><th class=\"num\">How many</th>\
         <th class=\"num\">Points</th><th>Example</th><th>What to try</th></tr></thead>\
         <tbody id=\"losses\">{rows}</tbody></table></section>"
    )
}

/// One kind of loss as a table row (`team.js` draws the same from JSON).
fn loss_row(l: &LossJson) -> String {
    format!(
        "<tr data-kind=\"{}\"><td>{}</td><td class=\"num\">{}</td><td class=\"num neg\">{}</td>\
         <td class=\"muted\">{}</td><td>{}</td></tr>",
        escape(&l.kind),
        escape(&l.label),
        l.count,
        escape(&l.points),
        escape(&l.example),
        escape(&l.hint),
    )
}

/// One event as a table row (`team.js` draws the same from JSON).
fn event_row(e: &EventJson) -> String {
    format!(
        "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num {}\">{}</td><td>{}</td></tr>",
        escape(&e.at),
        e.source,
        sign_class(e.points_milli),
        escape(&e.points),
        escape(&e.reason)
    )
}
