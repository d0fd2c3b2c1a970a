//! The slips a team signs in from: the printable page renders in Chromium (two A4 sheets for
//! ten teams, no card cut short, nothing fetched), every QR code in a screenshot of it decodes
//! with `zbarimg` to the team page's address with a token that signs that team in, and
//! `/team#token=…` signs a browser in (signed out, as the admin, or as another team) and
//! leaves no token in the address bar. Once signed in,
//! the team names itself and the name form gives way to its name. With
//! `GAMEDAY_SCREENSHOTS=1` the first sheet goes to `docs/slips.png` for the README.
//!
//! Needs Debian's `zbar-tools` (CI installs it): without `zbarimg` this test fails and says so.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use fantoccini::wd::PrintConfiguration;
use fantoccini::{Client, Locator};
use scoreboard::slips::{self, BoardUrl, Slip};
use scoreboard_domain::Rules;
use scoreboard_domain::names::TeamName;
use scoreboard_ledger::prelude::*;
use scoreboard_ledger::{GameMeta, SqliteLedger};
use serde_json::json;
use tokio::sync::oneshot;

use super::util::{Game, row};
use super::{Driver, browser, console_errors, docs, find, sign_in, wait_js, wait_text};

const GAME: &str = "Unicorn Rentals GameDay";

/// A demo game's teams, two of which have chosen a public name.
const TEAMS: [(&str, Option<&str>); 10] = [
    ("unicorns-r-us", None),
    ("hash-browns", Some("Hash Browns")),
    ("cache-me-if-you-can", None),
    ("the-503s", None),
    ("latency-llamas", None),
    ("pony-express", Some("Pony Express")),
    ("load-bearers", None),
    ("salted-hashes", None),
    ("rainbow-ops", None),
    ("stable-hands", None),
];

/// The game's ledger with every team's token issued as `gameday teams` issues them (the
/// ledger keeps only digests), and the slips of those tokens.
fn issue(path: &Path) -> Vec<Slip> {
    let mut ledger = SqliteLedger::open(path).unwrap();
    let meta = GameMeta {
        name: GAME.into(),
        seed: 7,
        rules: Rules::default(),
        teams: TEAMS.iter().map(|(t, _)| t.to_string()).collect(),
        registering: Vec::new(),
        duration_ms: 7_200_000,
    };
    ledger.start_or_resume(&meta, 0).unwrap();
    TEAMS
        .iter()
        .map(|&(team, name)| {
            if let Some(name) = name {
                ledger
                    .store_team_name(&TeamName {
                        team: team.into(),
                        name: name.into(),
                        by_team: false,
                    })
                    .unwrap();
            }
            let (token, hash) = scoreboard_domain::tokens::generate().unwrap();
            ledger.store_token(team, &hash, 1).unwrap();
            Slip {
                team: team.into(),
                name: name.map(String::from),
                token,
            }
        })
        .collect()
}

/// What `zbarimg` reads in `png`, one text per QR code.
fn decode(png: &[u8]) -> Vec<String> {
    let zbarimg = find("ZBARIMG", &["zbarimg"]).unwrap_or_else(|| {
        panic!("no zbarimg found: install it with `apt-get install -y zbar-tools` (or set ZBARIMG)")
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("slips.png");
    std::fs::write(&file, png).unwrap();
    let out = Command::new(zbarimg)
        .args(["--raw", "-q", "-Sdisable", "-Sqrcode.enable"])
        .arg(&file)
        .output()
        .expect("zbarimg runs");
    assert!(
        out.status.success(),
        "zbarimg found no code: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The whole page as one picture (the window as tall as the page).
async fn whole_page(client: &Client) -> Vec<u8> {
    let height = client
        .execute("return document.documentElement.scrollHeight;", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap();
    client
        .set_window_size(1280, height as u32 + 100)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    png
}

/// The page in Chromium: its sheets and cards, nothing cut short, nothing fetched.
async fn check_layout(client: &Client, driver: &Driver) {
    let layout = client
        .execute(
            "const cards = Array.from(document.querySelectorAll('.sheet')).map(s => \
                 s.querySelectorAll('.card').length); \
             const cut = Array.from(document.querySelectorAll('.card')).filter(c => \
                 c.scrollHeight > c.clientHeight + 1 || c.scrollWidth > c.clientWidth + 1).length; \
             const dashed = getComputedStyle(document.querySelector('.card')).borderTopStyle; \
             return [cards, cut, dashed, performance.getEntriesByType('resource').length, \
                     document.querySelectorAll('.qr svg').length];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(layout, json!([[8, 2], 0, "dashed", 0, 10]), "{layout}");
    let errors = console_errors(client, driver).await;
    assert!(errors.is_empty(), "the slips' console: {errors:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slips_print_and_their_qr_codes_sign_each_team_in() {
    let chromium = find("CHROME", &["chromium", "chromium-browser", "google-chrome"])
        .expect("no chromium found: apt-get install -y chromium chromium-driver");
    let chromedriver = find("CHROMEDRIVER", &["chromedriver"])
        .expect("no chromedriver found: apt-get install -y chromium chromium-driver");
    let game = Game::start();
    let issued = issue(&game.ledger);
    let dir = tempfile::tempdir().unwrap();
    let board: BoardUrl = "https://board.example".parse().unwrap();
    let html = slips::page(GAME, &board, &issued).unwrap();
    let file = dir.path().join("slips.html");
    std::fs::write(&file, &html).unwrap();

    let driver = Driver::start(&chromedriver);
    let paper = browser(&driver, &chromium).await;
    paper
        .goto(&format!("file://{}", file.display()))
        .await
        .unwrap();
    check_layout(&paper, &driver).await;

    // Every QR code on both sheets reads as its team's page with its token.
    let mut read = decode(&whole_page(&paper).await);
    let sheet = paper
        .find(Locator::Css(".sheet"))
        .await
        .unwrap()
        .screenshot()
        .await
        .unwrap();
    std::fs::write(docs().join("slips.png"), &sheet).unwrap();
    // Printed on A4 (the page asks for it): one sheet of paper per eight cards.
    let pdf = paper
        .print(PrintConfiguration::builder().build().unwrap())
        .await
        .unwrap();
    let pdf = String::from_utf8_lossy(&pdf);
    let pages = pdf.matches("/Type /Page").count() - pdf.matches("/Type /Pages").count();
    assert_eq!(pages, 2, "ten cards print on two sheets");
    read.sort();
    let mut want: Vec<String> = issued.iter().map(|s| board.sign_in(&s.token)).collect();
    want.sort();
    assert_eq!(read, want);
    paper.close().await.unwrap();

    // Each token read from a code signs its team in; a wrong one does not.
    let (base, stop, server) = serve(&game).await;
    let team_of: BTreeMap<String, String> = issued
        .iter()
        .map(|s| (s.token.clone(), s.team.clone()))
        .collect();
    for url in &read {
        let token = url
            .strip_prefix("https://board.example/team#token=")
            .unwrap();
        let (status, body) = get_team(&base, token).await;
        assert_eq!(status, 200, "{body}");
        let me: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(me["team"], team_of[token].as_str(), "{body}");
    }
    let (status, _) = get_team(&base, "not-a-token-from-any-slip").await;
    assert_eq!(status, 401);

    // A phone signed in as the admin scans a slip: it is that team now.
    let phone = browser(&driver, &chromium).await;
    sign_in(&phone, &base, "/admin", &game.admin).await;
    wait_text(&phone, "main", "Adjust").await;
    scan(&phone, &base, &issued[0], "unicorns-r-us").await;
    // The browser notes the 403 of the team page an admin opened, before it signed in.
    let errors = console_errors(&phone, &driver).await;
    assert!(
        errors
            .iter()
            .all(|e| e.contains("/team") && e.contains("403")),
        "{errors:?}"
    );
    name_once(&phone, &game).await;
    // The same phone scans another team's slip: it is that team now.
    scan(&phone, &base, &issued[1], "Hash Browns").await;
    let errors = console_errors(&phone, &driver).await;
    assert!(errors.is_empty(), "the team page's console: {errors:?}");
    phone.close().await.unwrap();

    drop(driver);
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server did not shut down")
        .unwrap()
        .unwrap();
}

/// The web scoreboard over the game's ledger, its live game holding the slips' teams and its
/// stand-in runner writing what the pages ask (a team's name).
async fn serve(
    game: &Game,
) -> (
    String,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    // A game on this ledger has the names it holds in its projection (from their notes).
    game.publish(|s| {
        s.game = GAME.into();
        s.teams = TEAMS
            .iter()
            .map(|(t, name)| scoreboard::live::TeamRow {
                name: name.unwrap_or_default().into(),
                ..row(0, t, 1_000)
            })
            .collect();
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(scoreboard::web::serve(
        listener,
        game.state.clone(),
        async {
            let _ = stopped.await;
        },
    ));
    (base, stop, server)
}

/// `GET /api/team` with `token`, over a real socket: the status and the body.
async fn get_team(base: &str, token: &str) -> (u16, String) {
    let (addr, token) = (
        base.trim_start_matches("http://").to_owned(),
        token.to_owned(),
    );
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            s,
            "GET /api/team HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
             Connection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let status = text.split(' ').nth(1).unwrap().parse().unwrap();
        let body = text.split_once("\r\n\r\n").unwrap().1.to_owned();
        (status, body)
    })
    .await
    .unwrap()
}

/// Opens `slip`'s QR address on this server: the browser signs in as its team (shown as
/// `shown`), and the address bar no longer holds the token.
async fn scan(client: &Client, base: &str, slip: &Slip, shown: &str) {
    client
        .goto(&format!("{base}/team#token={}", slip.token))
        .await
        .unwrap();
    wait_text(client, "#team", shown).await;
    let at = client.current_url().await.unwrap();
    assert_eq!(at.as_str(), format!("{base}/team"), "the address bar");
    let seen = client
        .execute(
            "return [location.href, document.documentElement.outerHTML.includes(arguments[0])];",
            vec![json!(slip.token)],
        )
        .await
        .unwrap();
    assert_eq!(seen, json!([format!("{base}/team"), false]), "{seen}");
}

/// The team names itself on its page: the form gives way to its name, and stays gone.
async fn name_once(client: &Client, game: &Game) {
    let form = "return [!!document.getElementById('name-form'), \
                (document.getElementById('name-done') || {}).textContent || ''];";
    wait_js(client, form, |v| v[0] == true).await;
    client
        .find(Locator::Id("name"))
        .await
        .unwrap()
        .send_keys("Unicorns Я Us")
        .await
        .unwrap();
    client
        .find(Locator::Css("#name-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let done = wait_js(client, form, |v| v[0] == false).await;
    let words = "You are Unicorns Я Us. A team names itself once: to change your name, ask the \
                 organizers.";
    assert_eq!(done, json!([false, words]));
    wait_text(client, "#team", "Unicorns Я Us").await;
    // The game's next tick carries the name; the page, read again, has no form.
    game.publish(|_| {});
    client.refresh().await.unwrap();
    let again = wait_js(client, form, |v| v[1] != "").await;
    assert_eq!(again, json!([false, words]));
}
