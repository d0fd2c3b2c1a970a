//! The pages' common parts: escaping, the page shell with its inline style, the scripts
//! served beside the pages, and the security headers every response carries.

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

use super::error::WebError;

pub(crate) use scoreboard_domain::markup::escape;

/// Which page a shell is for (its title, and which link in the bar is lit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tab {
    Board,
    Team,
    Admin,
}

/// A whole page: `body` is already-escaped HTML, `script` one of the [`asset`]s.
pub(crate) fn page(tab: Tab, game: &str, body: &str, script: Option<&str>) -> Html<String> {
    // Deferred scripts run in order: the shared helpers first.
    let script = script
        .map(|s| {
            format!(
                "<script src=\"/assets/common.js\" defer></script>\
                 <script src=\"/assets/{s}\" defer></script>"
            )
        })
        .unwrap_or_default();
    shell(tab, game, body, &script)
}

/// A page whose `script` draws live charts: uPlot and the chart helpers load first.
pub(crate) fn page_with_charts(tab: Tab, game: &str, body: &str, script: &str) -> Html<String> {
    let scripts = format!(
        "<link rel=\"stylesheet\" href=\"/assets/uPlot.min.css\">\
         <script src=\"/assets/common.js\" defer></script>\
         <script src=\"/assets/uPlot.iife.min.js\" defer></script>\
         <script src=\"/assets/charts.js\" defer></script>\
         <script src=\"/assets/{script}\" defer></script>"
    );
    shell(tab, game, body, &scripts)
}

/// The page around `body`, with `script` (already HTML) in its head.
fn shell(tab: Tab, game: &str, body: &str, script: &str) -> Html<String> {
    let link = |t: Tab, href: &str, label: &str| {
        let class = if t == tab { " class=\"here\"" } else { "" };
        format!("<a href=\"{href}\"{class}>{label}</a>")
    };
    let title = match tab {
        Tab::Board => "Scoreboard",
        Tab::Team => "Team",
        Tab::Admin => "Admin",
    };
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · {game}</title><style>{STYLE}</style>{script}</head>\
         <body><header><h1>{game}</h1><nav>{}{}{}<a href=\"/report\">Report</a></nav></header><main>{body}</main></body></html>\n",
        link(Tab::Board, "/", "Scoreboard"),
        link(Tab::Team, "/team", "Team"),
        link(Tab::Admin, "/admin", "Admin"),
        game = escape(if game.is_empty() { "GameDay" } else { game }),
    ))
}

/// A sign-in form posting to `action`, with an optional (already plain) message.
pub(crate) fn sign_in_form(action: &str, what: &str, message: Option<&str>) -> String {
    let message = message
        .map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(m)))
        .unwrap_or_default();
    format!(
        "<section class=\"card narrow\"><h2>Sign in</h2>{message}\
         <form method=\"post\" action=\"{action}\">\
         <label for=\"token\">{what}</label>\
         <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" required>\
         <button type=\"submit\">Sign in</button></form></section>"
    )
}

/// A sign-out button.
pub(crate) fn sign_out_form() -> &'static str {
    "<form method=\"post\" action=\"/signout\" class=\"inline\">\
     <button type=\"submit\" class=\"quiet\">Sign out</button></form>"
}

/// A page for an error, with the error's status and headers.
pub(crate) fn error_page(tab: Tab, game: &str, error: &WebError) -> Response {
    let body = format!(
        "<section class=\"card narrow\"><h2>{}</h2><p class=\"error\">{}</p></section>",
        error.status().as_u16(),
        escape(&error.message())
    );
    let mut response = (error.status(), page(tab, game, &body, None)).into_response();
    super::error::decorate(error, &mut response);
    response
}

/// The class of a signed number of points: green up, red down.
pub(crate) fn sign_class(milli: i64) -> &'static str {
    match milli {
        0 => "zero",
        x if x > 0 => "pos",
        _ => "neg",
    }
}

/// The scripts the pages load (no build step: plain JavaScript beside this file), and the
/// vendored chart library (uPlot, with its licence beside it).
pub(crate) async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "common.js" => (include_str!("assets/common.js"), "text/javascript"),
        "board.js" => (include_str!("assets/board.js"), "text/javascript"),
        "team.js" => (include_str!("assets/team.js"), "text/javascript"),
        "signin.js" => (include_str!("assets/signin.js"), "text/javascript"),
        "admin.js" => (include_str!("assets/admin.js"), "text/javascript"),
        "charts.js" => (include_str!("assets/charts.js"), "text/javascript"),
        "uPlot.iife.min.js" => (
            include_str!("assets/vendor/uplot/uPlot.iife.min.js"),
            "text/javascript",
        ),
        "uPlot.min.css" => (
            include_str!("assets/vendor/uplot/uPlot.min.css"),
            "text/css",
        ),
        "uPlot.LICENSE" => (include_str!("assets/vendor/uplot/LICENSE"), "text/plain"),
        _ => return WebError::NotFound("no such asset".into()).into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, format!("{kind}; charset=utf-8")),
            (header::CACHE_CONTROL, "no-cache".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// Headers on every response: no framing (the admin page has buttons), no sniffing, no
/// referrer to other sites, scripts only from this site, and no caching of live or private data.
pub(crate) async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let fixed = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // Not `no-referrer`: under it a browser sends `Origin: null` with a form POST, which
        // the cross-site check must refuse.
        (header::REFERRER_POLICY, "same-origin"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Readable on a projector: large type, strong contrast, tabular numbers.
const STYLE: &str = "\
:root{--bg:#0b1220;--panel:#15203a;--line:#2a3a5c;--fg:#eef2f8;--muted:#9fb0cc;\
--accent:#4cc2ff;--good:#4ade80;--bad:#fb7185;--warn:#f59e0b}\
*{box-sizing:border-box}\
body{margin:0;font:20px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;background:var(--bg);color:var(--fg)}\
header{display:flex;flex-wrap:wrap;gap:1rem;justify-content:space-between;align-items:center;\
padding:.8rem 2rem;background:var(--panel);border-bottom:2px solid var(--line)}\
header h1{margin:0;font-size:1.7rem;letter-spacing:.02em}\
nav a{color:var(--muted);text-decoration:none;margin-left:1.4rem;font-weight:600}\
nav a.here,nav a:hover{color:var(--accent)}\
main{max-width:1200px;margin:0 auto;padding:1.5rem 2rem 3rem}\
h2{font-size:1.3rem;margin:.2rem 0 .8rem;color:var(--muted);text-transform:uppercase;letter-spacing:.06em}\
.card{background:var(--panel);border:1px solid var(--line);border-radius:12px;padding:1.2rem 1.5rem;margin-bottom:1.5rem}\
.narrow{max-width:520px}\
.status{display:flex;flex-wrap:wrap;gap:1.5rem;color:var(--muted);margin-bottom:1rem}\
.status{align-items:center}.status b{color:var(--fg)}\
.status b.pos{color:var(--good)}.status b.neg{color:var(--bad)}\
.banner{background:var(--warn);color:#111;font-weight:700;padding:.7rem 1.2rem;border-radius:10px;\
margin-bottom:1rem;font-size:1.3rem;text-align:center}\
.banner.paused{background:#a78bfa}.banner.over{background:var(--accent)}\
.announce{border-left:6px solid var(--accent);background:#10294a;padding:.6rem 1rem;margin:.5rem 0;border-radius:6px}\
.announce time{color:var(--muted);margin-right:.8rem}\
table{width:100%;border-collapse:collapse}\
th,td{padding:.55rem .8rem;text-align:left;border-bottom:1px solid var(--line);vertical-align:top}\
th{color:var(--muted);font-weight:600;font-size:.85em;text-transform:uppercase;letter-spacing:.05em}\
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
table.board td{font-size:1.9rem;padding:.7rem .8rem}\
table.board td.rank{color:var(--muted);width:4rem}\
table.board tr:first-child td.team{color:#ffd166}\
.pos{color:var(--good)}.neg{color:var(--bad)}.zero{color:var(--muted)}\
.muted{color:var(--muted)}\
.error{color:var(--bad);font-weight:600}.ok{color:var(--good);font-weight:600}\
form{margin:0}form.inline{display:inline;margin-left:auto}form.inline button{margin:0}td button{margin:0}\
label{display:block;color:var(--muted);margin:.6rem 0 .25rem}\
input,select,button{font:inherit;border-radius:8px;border:1px solid var(--line);padding:.45rem .7rem}\
input,select{background:#0b1530;color:var(--fg);width:100%}\
button{background:var(--accent);color:#06121f;font-weight:700;border:none;cursor:pointer;margin-top:.6rem}\
button.quiet{background:transparent;color:var(--muted);border:1px solid var(--line)}\
button.danger{background:var(--bad)}\
.row{display:flex;flex-wrap:wrap;gap:1rem;align-items:end}.row>*{flex:1}\
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:1.5rem}\
code.token{display:block;word-break:break-all;background:#0b1530;padding:.6rem;border-radius:8px;color:#ffd166}\
.live::before{content:'●';color:var(--good);margin-right:.4rem}\
.live.off::before{color:var(--bad)}\
.chart{width:100%;min-height:120px}.row h2{flex:0 0 auto}label.inline{display:flex;gap:.6rem;\
align-items:center;justify-content:flex-end;margin:0}label.inline select{width:auto}\
.uplot .u-title{font-size:1rem;color:var(--muted)}.uplot .u-legend{color:var(--fg);font-size:1rem}\
.uplot th{text-transform:none;letter-spacing:0;font-size:1rem;color:var(--fg)}\
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:1rem}\
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape("<b a=\"1\" c='2'>&</b>"),
            "&lt;b a=&quot;1&quot; c=&#39;2&#39;&gt;&amp;&lt;/b&gt;"
        );
    }

    #[test]
    fn the_shell_escapes_the_game_name() {
        let Html(text) = page(Tab::Board, "<script>x</script>", "", None);
        assert!(!text.contains("<script>x"));
        assert!(text.contains("&lt;script&gt;x"));
    }
}
