//! The public scoreboard: rank, team, score and trend for the room's projector, with the
//! announcements and a banner when the board is frozen, paused or over. The page is drawn
//! on the server and kept current by its stream (`/api/board/stream`) without a reload.

use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

use super::frames;
use super::html::{self, Tab, escape, sign_class};
use super::json::{self, Board};
use super::state::WebState;

/// `GET /`: the board.
pub(crate) async fn page(State(state): State<WebState>) -> Html<String> {
    let board = json::board(&state.view.now());
    html::page_with_charts(Tab::Board, &board.game, &render(&board), "board.js")
}

/// `GET /api/board`: the board as JSON, drawn once per snapshot (every request until the
/// next snapshot gets the same bytes).
pub(crate) async fn api(State(state): State<WebState>) -> Response {
    let body = state.drawn.board_json.get(&state.view.now(), (), |s| {
        serde_json::to_vec(&json::board(s))
            .unwrap_or_default()
            .into()
    });
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `GET /api/board/stream`: a `board` message with the board each time it changes, drawn
/// once per snapshot for every viewer.
pub(crate) async fn stream(State(state): State<WebState>) -> Response {
    frames::shared(&state, "board", |s| {
        frames::json_frame("board", &json::board(s))
    })
}

/// The page's body; `board.js` redraws the same parts from the stream by their ids.
fn render(board: &Board) -> String {
    let rows: String = board
        .teams
        .iter()
        .map(|t| {
            // A team with no endpoint yet says so under its name.
            let waiting = t.waiting.as_deref().map_or(String::new(), |w| {
                format!("<br><span class=\"muted waiting\">{}</span>", escape(w))
            });
            format!(
                "<tr><td class=\"rank num\">{}</td><td class=\"team\">{}{waiting}</td>\
                 <td class=\"num {}\">{}</td><td class=\"num {}\">{}</td></tr>",
                t.rank,
                escape(&t.name),
                sign_class(t.score_milli),
                escape(&t.score),
                sign_class(t.trend_milli),
                escape(&t.trend),
            )
        })
        .collect();
    let announcements: String = board
        .announcements
        .iter()
        .rev()
        .map(|a| {
            format!(
                "<div class=\"announce\"><time>{}</time>{}</div>",
                escape(&a.at),
                escape(&a.text)
            )
        })
        .collect();
    format!(
        "<div id=\"banners\">{}</div>\
         <div class=\"status\"><span>Game time <b id=\"now\">{}</b></span>\
         <span id=\"live\" class=\"live off\">live</span></div>\
         <section class=\"card\"><table class=\"board\"><thead><tr>\
         <th class=\"num\">#</th><th>Team</th><th class=\"num\">Score</th>\
         <th class=\"num\">Last 5 min</th></tr></thead>\
         <tbody id=\"board\">{rows}</tbody></table></section>\
         <section class=\"card\"><div class=\"row\"><h2>Score race</h2>\
         <label class=\"inline\" for=\"race-top\">Teams <select id=\"race-top\">\
         <option value=\"5\">top 5</option><option value=\"10\" selected>top 10</option>\
         <option value=\"20\">top 20</option><option value=\"all\">all</option></select></label></div>\
         <div id=\"race\" class=\"chart\"></div></section>\
         <section id=\"announcements\">{announcements}</section>",
        banners(board),
        escape(&board.now),
    )
}

/// The state of the game in words, biggest news first.
fn banners(board: &Board) -> String {
    let mut out = String::new();
    if board.state.over {
        out.push_str("<div class=\"banner over\">Game over</div>");
    } else if board.state.paused {
        out.push_str("<div class=\"banner paused\">Game paused</div>");
    }
    if board.state.frozen {
        out.push_str("<div class=\"banner\">Scoreboard frozen</div>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::{Announcement, Snapshot, TeamRow};
    use scoreboard_domain::Points;

    #[test]
    fn the_board_escapes_names_and_shows_the_freeze() {
        let snapshot = Snapshot {
            frozen: Some(scoreboard_domain::GameTime(1_000)),
            public: vec![TeamRow {
                rank: 1,
                team: "<img src=x>".into(),
                score: Points(12_500),
                ..Default::default()
            }],
            announcements: vec![Announcement {
                at: scoreboard_domain::GameTime(0),
                text: "<b>lunch</b>".into(),
            }],
            ..Default::default()
        };
        let text = render(&json::board(&snapshot));
        assert!(text.contains("Scoreboard frozen"));
        assert!(text.contains("&lt;img src=x&gt;"));
        assert!(text.contains("&lt;b&gt;lunch"));
        assert!(text.contains("+12.5"));
    }
}
