//! Slips to hand out before a game (`gameday teams --slips`): one card per team with the
//! game's name, the team's id (and public name), a fresh token, the board's and the team
//! page's addresses, and a QR code that signs the team in: the team page's address with the
//! token in its fragment (`/team#token=…`), which a browser never sends to a server or a log.
//! One self-contained HTML page: eight cards to an A4 sheet, dashed cut lines, print CSS,
//! nothing fetched from elsewhere (the QR codes are inline SVG, the fonts the reader's own).

use std::str::FromStr;

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use scoreboard_domain::markup::escape;

/// Cards on one printed sheet: two columns of four.
pub const CARDS_PER_SHEET: usize = 8;

/// Why slips could not be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SlipError {
    /// The board's address is not one a team's phone can open.
    #[error(
        "{url:?} is not the board's address: {why}; give the http:// or https:// address \
         teams will open, such as https://board.example"
    )]
    BoardUrl { url: String, why: &'static str },
    /// The address with its token does not fit in a QR code (a very long board address).
    #[error("the team page's address with a token is {0} bytes: too long for a QR code")]
    TooLong(usize),
}

/// The address teams open the board at: http(s), a host, perhaps a path; no query and no
/// fragment (the token goes in the fragment). Kept without a trailing `/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoardUrl(String);

impl FromStr for BoardUrl {
    type Err = SlipError;

    fn from_str(text: &str) -> Result<BoardUrl, SlipError> {
        let refuse = |why| SlipError::BoardUrl {
            url: text.to_owned(),
            why,
        };
        let trimmed = text.trim();
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(refuse("it holds spaces"));
        }
        if trimmed.contains(['?', '#']) {
            return Err(refuse("it holds a query or a fragment"));
        }
        let uri = http::Uri::from_str(trimmed).map_err(|_| refuse("it is not a URL"))?;
        match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
            Some("http" | "https") => {}
            _ => return Err(refuse("it is not http or https")),
        }
        match uri.authority() {
            Some(a) if a.as_str().contains('@') => Err(refuse("it holds a user name")),
            Some(a) if !a.host().is_empty() => Ok(BoardUrl(trimmed.trim_end_matches('/').into())),
            _ => Err(refuse("it names no host")),
        }
    }
}

impl BoardUrl {
    /// The public board.
    pub fn board(&self) -> String {
        format!("{}/", self.0)
    }

    /// The team page, where a team signs in.
    pub fn team_page(&self) -> String {
        format!("{}/team", self.0)
    }

    /// The team page with `token` in its fragment: what a slip's QR code holds.
    pub fn sign_in(&self, token: &str) -> String {
        format!("{}/team#token={token}", self.0)
    }
}

/// One team's slip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slip {
    pub team: String,
    /// The public name the team or the organizers chose, if any.
    pub name: Option<String>,
    /// The token, shown once: the ledger keeps only its digest.
    pub token: String,
}

/// The printable page of `slips` for game `game`, whose board is at `board`.
pub fn page(game: &str, board: &BoardUrl, slips: &[Slip]) -> Result<String, SlipError> {
    let sheets = slips
        .chunks(CARDS_PER_SHEET)
        .map(|sheet| {
            let cards = sheet
                .iter()
                .map(|slip| card(game, board, slip))
                .collect::<Result<String, _>>()?;
            Ok(format!("<section class=\"sheet\">{cards}</section>"))
        })
        .collect::<Result<String, SlipError>>()?;
    let teams = match slips.len() {
        1 => "1 team".to_owned(),
        n => format!("{n} teams"),
    };
    Ok(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Slips · {game}</title><style>{STYLE}</style></head><body>\
         <p class=\"note\"><b>Slips for {teams} of {game}.</b> Print them, cut along the dashed \
         lines and hand each team its own: the token on it is the team's password for its page. \
         These tokens were shown once, here: the ledger keeps only their digests. Running \
         <code>gameday teams</code> again replaces them, and these slips stop working.</p>\
         {sheets}</body></html>\n",
        game = escape(game),
    ))
}

/// One team's card.
fn card(game: &str, board: &BoardUrl, slip: &Slip) -> Result<String, SlipError> {
    let name = slip
        .name
        .as_deref()
        .filter(|n| *n != slip.team)
        .map(|n| format!("<div class=\"name\">{}</div>", escape(n)))
        .unwrap_or_default();
    Ok(format!(
        "<article class=\"card\"><div class=\"text\"><div class=\"game\">{game}</div>\
         <div class=\"team\">{team}</div>{name}\
         <div class=\"label\">Team token</div><code class=\"token\">{token}</code>\
         <div class=\"label\">Scoreboard</div><div class=\"url\">{board}</div>\
         <div class=\"label\">Team page</div><div class=\"url\">{team_page}</div></div>\
         <figure class=\"qr\">{qr}<figcaption>Scan to sign in</figcaption></figure></article>",
        game = escape(game),
        team = escape(&slip.team),
        token = escape(&slip.token),
        board = escape(&board.board()),
        team_page = escape(&board.team_page()),
        qr = qr_svg(&board.sign_in(&slip.token))?,
    ))
}

/// `text` as a QR code in inline SVG, one unit a module (CSS sizes it), with its quiet zone.
/// Error correction M: a slip survives a fold or a coffee ring.
fn qr_svg(text: &str) -> Result<String, SlipError> {
    let code = QrCode::with_error_correction_level(text, EcLevel::M)
        .map_err(|_| SlipError::TooLong(text.len()))?;
    let svg = code
        .render::<svg::Color>()
        .module_dimensions(1, 1)
        .dark_color(svg::Color("#000"))
        .light_color(svg::Color("#fff"))
        .build();
    // Inline in HTML: no XML declaration; a name for screen readers.
    let svg = svg.find("<svg").map_or(svg.as_str(), |at| &svg[at..]);
    Ok(svg.replacen(
        "<svg ",
        "<svg role=\"img\" aria-label=\"QR code of the team page with the token\" ",
        1,
    ))
}

/// Cards of 95 × 69 mm, two across and four down an A4 sheet inside 10 mm margins; on
/// screen, the sheets as they will print.
const STYLE: &str = "\
@page{size:A4;margin:10mm}\
*{box-sizing:border-box}\
html{background:#d9dde3}\
body{margin:0;padding:8mm 0;font:10pt/1.3 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#111}\
.note{width:210mm;margin:0 auto 6mm;padding:3mm 5mm;background:#fff7d6;border:1px solid #e0c96a;border-radius:2mm}\
.sheet{width:210mm;height:297mm;margin:0 auto 8mm;padding:10mm;background:#fff;\
box-shadow:0 1mm 4mm rgba(0,0,0,.25);display:grid;grid-template-columns:repeat(2,95mm);\
grid-template-rows:repeat(4,69mm);align-content:start}\
.card{display:flex;gap:3mm;padding:5mm;border:.3mm dashed #777;margin:0 -.15mm -.15mm 0;overflow:hidden}\
.text{flex:1;min-width:0}\
.game{font-size:8pt;color:#555;text-transform:uppercase;letter-spacing:.05em}\
.team{font-size:15pt;font-weight:700;margin-top:1mm;overflow-wrap:anywhere}\
.name{font-size:10pt;color:#333;overflow-wrap:anywhere}\
.label{font-size:7pt;color:#555;text-transform:uppercase;letter-spacing:.05em;margin-top:2mm}\
.token{display:block;font:8pt/1.3 ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;\
word-break:break-all;background:#f2f2f2;padding:1mm;border-radius:1mm}\
.url{font-size:8.5pt;overflow-wrap:anywhere}\
.qr{margin:0;flex:0 0 38mm;text-align:center}\
.qr svg{display:block;width:38mm;height:38mm}\
.qr figcaption{font-size:7.5pt;color:#555}\
@media print{html{background:none}body{padding:0}.note{display:none}\
.sheet{width:auto;height:auto;margin:0;padding:0;box-shadow:none;break-after:page}\
.sheet:last-child{break-after:auto}\
.card{break-inside:avoid}}\
";

#[cfg(test)]
mod tests {
    use super::*;

    fn board() -> BoardUrl {
        "https://board.example/".parse().unwrap()
    }

    #[test]
    fn the_board_address_is_http_or_https_with_a_host() {
        let b = board();
        assert_eq!(b.board(), "https://board.example/");
        assert_eq!(b.team_page(), "https://board.example/team");
        assert_eq!(b.sign_in("abc"), "https://board.example/team#token=abc");
        let path: BoardUrl = "HTTP://10.0.0.5:8080/game".parse().unwrap();
        assert_eq!(path.team_page(), "HTTP://10.0.0.5:8080/game/team");
        for (bad, why) in [
            ("ftp://board.example", "not http or https"),
            ("board.example", "not"),
            ("https://", "not"),
            ("https://board.example/?x=1", "query or a fragment"),
            ("https://board.example/#x", "query or a fragment"),
            ("https://me:pw@board.example", "user name"),
            ("https://board example", "spaces"),
        ] {
            let error = bad.parse::<BoardUrl>().unwrap_err().to_string();
            assert!(
                error.contains(why) && error.contains("https://board.example"),
                "{bad}: {error}"
            );
        }
    }

    fn slips(n: usize) -> Vec<Slip> {
        (0..n)
            .map(|i| Slip {
                team: format!("team-{i}"),
                name: (i == 1).then(|| "<b>Owls</b>".to_owned()),
                token: format!("tok{i:040}"),
            })
            .collect()
    }

    #[test]
    fn eight_cards_a_sheet_each_with_its_token_and_qr_code() {
        let html = page("Demo <Day>", &board(), &slips(10)).unwrap();
        assert_eq!(html.matches("<section class=\"sheet\">").count(), 2);
        assert_eq!(html.matches("<article class=\"card\">").count(), 10);
        assert_eq!(html.matches("<svg role=\"img\"").count(), 10);
        let second = html.split("<section class=\"sheet\">").nth(2).unwrap();
        assert_eq!(second.matches("<article").count(), 2);
        for i in 0..10 {
            assert!(html.contains(&format!(">tok{i:040}</code>")), "{i}");
        }
        assert!(html.contains("Demo &lt;Day&gt;") && !html.contains("<Day>"));
        assert!(html.contains("&lt;b&gt;Owls&lt;/b&gt;"));
        assert!(html.contains("@page{size:A4;margin:10mm}") && html.contains("break-after:page"));
        assert!(html.contains("dashed"));
        assert!(html.contains("shown once") && html.contains("replaces them"));
        // Nothing fetched from elsewhere: no scripts, links, images or CSS urls.
        for fetch in ["<script", "<link", "<img", "url(", "@import", "src="] {
            assert!(!html.contains(fetch), "{fetch}");
        }
        assert!(!html.contains("<?xml"));
    }

    #[test]
    fn a_board_address_too_long_for_a_qr_code_is_refused() {
        let long: BoardUrl = format!("https://{}.example", "b".repeat(3000))
            .parse()
            .unwrap();
        assert!(matches!(
            page("g", &long, &slips(1)),
            Err(SlipError::TooLong(_))
        ));
    }
}
