//! The web scoreboard in a real browser: headless Chromium driven through chromedriver.
//! The board changes without a reload, a team signs in and sees its events, and an admin's
//! adjustment made on the admin page shows up live on the team's page. A 100-team game's
//! score race draws its top ten, then every team on demand, readable and without an error in
//! the browser's console. Screenshots of the
//! three pages go to `docs/` with `GAMEDAY_SCREENSHOTS=1` (a temporary folder otherwise).
//!
//! Needs Debian's `chromium` and `chromium-driver` (CI installs them): without them this test
//! fails and says so, rather than passing without having looked.

#![cfg(feature = "web")]

#[path = "web/util.rs"]
mod util;

#[path = "web_browser/slips.rs"]
mod slips;

use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use scoreboard::Points;
use scoreboard::live::Announcement;
use serde_json::json;
use tokio::sync::oneshot;
use util::{Game, TEAM_A, row};

/// Where a program is: `$VAR` if set, else the first of `names` on the PATH.
fn find(var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// chromedriver on a free port, ended when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start(program: &Path) -> Driver {
        let port = StdListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(program)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        for _ in 0..100 {
            if std::net::TcpStream::connect(addr).is_ok() {
                return driver;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("chromedriver did not listen on {addr}");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless browser session.
async fn browser(driver: &Driver, chromium: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--hide-scrollbars"],
        }),
    );
    // The page's console, for [`console_errors`].
    caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
    // Both of rustls's providers are in this build (see Cargo.toml): say which.
    let _ = rustls::crypto::ring::default_provider().install_default();
    ClientBuilder::rustls()
        .expect("a TLS setup for the WebDriver client")
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a chromium session from chromedriver")
}

/// Waits until the text of `css` contains `needle`, and gives that text.
async fn wait_text(client: &Client, css: &str, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(e) = client.find(Locator::Css(css)).await {
            last = e.text().await.unwrap_or_default();
            if last.contains(needle) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let url = client
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_default();
    let source = client.source().await.unwrap_or_default();
    panic!("{css} never showed {needle:?}; it shows:\n{last}\n{url}:\n{source}");
}

/// Waits for the page's live stream to be open (its marker loses the `off` class).
async fn wait_live(client: &Client) {
    for _ in 0..100 {
        // Until the page has loaded, the marker may not be there yet: look again.
        if let Ok(marker) = client.find(Locator::Id("live")).await
            && marker.attr("class").await.ok().flatten().as_deref() == Some("live")
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let url = client.current_url().await.map(|u| u.to_string());
    panic!("the page's live stream never opened ({url:?})");
}

/// What the page wrote to the browser's console as errors since last asked (uncaught
/// exceptions and rejections, failed loads but the browser's own favicon guess,
/// `console.error`), through chromedriver's log
/// endpoint (which fantoccini does not wrap: a plain HTTP request).
async fn console_errors(client: &Client, driver: &Driver) -> Vec<String> {
    let session = client.session_id().await.unwrap().expect("a session");
    let addr = driver.url.trim_start_matches("http://").to_owned();
    let path = format!("/session/{session}/se/log");
    let log = tokio::task::spawn_blocking(move || post_json(&addr, &path, r#"{"type":"browser"}"#))
        .await
        .unwrap();
    log["value"]
        .as_array()
        .unwrap_or_else(|| panic!("the browser's log: {log}"))
        .iter()
        .filter(|e| e["level"] == "SEVERE")
        .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
        // The browser asks for an icon the pages never name: not the page's error.
        .filter(|m| !m.contains("/favicon.ico "))
        .collect()
}

/// POSTs `body` to `path` at `addr` and reads the JSON answer (by its length: chromedriver
/// keeps the connection open).
fn post_json(addr: &str, path: &str, body: &str) -> serde_json::Value {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = BufReader::new(s);
    let (mut status, mut length) = (String::new(), 0);
    answer.read_line(&mut status).unwrap();
    loop {
        let mut line = String::new();
        answer.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap();
        }
    }
    let mut json = vec![0; length];
    answer.read_exact(&mut json).unwrap();
    assert!(
        status.contains(" 200 "),
        "{status}{}",
        String::from_utf8_lossy(&json)
    );
    serde_json::from_slice(&json).expect("a JSON answer")
}

/// Where screenshots go: `docs/` when `GAMEDAY_SCREENSHOTS=1` (to refresh the README's
/// pictures), else a temporary folder, so a test run leaves the tree as it was.
fn docs() -> PathBuf {
    let dir = if std::env::var_os("GAMEDAY_SCREENSHOTS").is_some_and(|v| v == "1") {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs")
    } else {
        std::env::temp_dir().join(format!("gameday-screenshots-{}", std::process::id()))
    };
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A picture of the page at a width a projector has and a height that shows it all.
async fn screenshot(client: &Client, name: &str, height: u32) {
    client.set_window_size(1280, height).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    std::fs::write(docs().join(name), png).unwrap();
}

async fn sign_in(client: &Client, base: &str, page: &str, token: &str) {
    client.goto(&format!("{base}{page}")).await.unwrap();
    client
        .find(Locator::Id("token"))
        .await
        .unwrap()
        .send_keys(token)
        .await
        .unwrap();
    client
        .find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// A fuller room for the pictures: five teams, a couple of announcements.
fn dress(game: &Game) {
    game.publish(|s| {
        s.teams.push(row(0, "red-pandas", 268_250));
        s.teams.push(row(0, "blue-whales", 198_000));
        s.teams.push(row(0, "night-owls", -12_500));
        s.announcements.push(Announcement {
            at: scoreboard::GameTime(720_000),
            text: "Phase 3 starts at 15:00: the load doubles".into(),
        });
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_sees_the_board_the_team_page_and_an_admin_adjustment() {
    const INSTALL: &str = "install them with `apt-get install -y chromium chromium-driver` \
                           (or set CHROME and CHROMEDRIVER)";
    let chromium = find("CHROME", &["chromium", "chromium-browser", "google-chrome"])
        .unwrap_or_else(|| panic!("no chromium found: {INSTALL}"));
    let chromedriver = find("CHROMEDRIVER", &["chromedriver"])
        .unwrap_or_else(|| panic!("no chromedriver found: {INSTALL}"));

    let game = Game::start();
    dress(&game);
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
    let driver = Driver::start(&chromedriver);
    let board = browser(&driver, &chromium).await;
    let team = browser(&driver, &chromium).await;
    let admin = browser(&driver, &chromium).await;

    // The public board changes without a reload.
    board.goto(&format!("{base}/")).await.unwrap();
    wait_text(&board, "#board", "+412.5").await;
    wait_live(&board).await;
    board
        .execute("window.notReloaded = true;", vec![])
        .await
        .unwrap();
    game.publish(|s| s.teams[1].score = Points(455_750));
    let text = wait_text(&board, "#board", "+455.75").await;
    assert!(
        text.find("team-b").unwrap() < text.find("team-a").unwrap(),
        "team-b leads:\n{text}"
    );
    let kept = board
        .execute("return window.notReloaded === true;", vec![])
        .await
        .unwrap();
    assert_eq!(kept, json!(true), "the page reloaded");
    screenshot(&board, "web-board.png", 800).await;

    // A team signs in and sees its own events.
    sign_in(&team, &base, "/team", &game.team_a).await;
    wait_text(&team, "#events", "a answer 9").await;
    wait_live(&team).await;
    let events = wait_text(&team, "#events", "a tick part 2").await;
    assert!(!events.contains(util::B_SECRET));
    assert_eq!(team.current_url().await.unwrap().path(), "/team");

    // The admin adjusts team A on the admin page; the team's page shows it live.
    sign_in(&admin, &base, "/admin", &game.admin).await;
    wait_live(&admin).await;
    admin
        .find(Locator::Id("adjust-team"))
        .await
        .unwrap()
        .select_by_value(TEAM_A)
        .await
        .unwrap();
    admin
        .find(Locator::Id("points"))
        .await
        .unwrap()
        .send_keys("5")
        .await
        .unwrap();
    let reason = "Fixed the shared load balancer for everyone";
    admin
        .find(Locator::Id("reason"))
        .await
        .unwrap()
        .send_keys(reason)
        .await
        .unwrap();
    admin
        .find(Locator::Css("#adjust button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&admin, "#result", "Adjusted team-a by +5").await;
    wait_text(&admin, "#teams", "+417.5").await;
    screenshot(&admin, "web-admin.png", 1250).await;
    assert_eq!(
        game.controls(),
        [format!("adjust team-a 5000 admin {reason}")]
    );

    let events = wait_text(&team, "#events", reason).await;
    assert!(events.contains("Organizer"), "{events}");
    wait_text(&team, "#score", "+417.5").await;
    screenshot(&team, "web-team.png", 1300).await;

    for client in [board, team, admin] {
        client.close().await.unwrap();
    }
    drop(driver);
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server did not shut down")
        .unwrap()
        .unwrap();
}

/// A played game in a real ledger for the charts: its teams, `ticks` one-second ticks of
/// outcomes (team `tN` answers N+1 a second correctly and, from tick 20, times out once),
/// scored by the real scorer, a billing block each.
fn play_ticks(
    ledger: &mut scoreboard::SqliteLedger,
    teams: &[String],
    ticks: std::ops::Range<u64>,
) {
    use hashref::{Key, unicorn_hash};
    use loadgen::{BatchId, Outcome, OutcomeBatch};
    use scoreboard::ledger::prelude::*;
    use scoreboard::{BillingBlock, GameTime, Recorded, RecordedBatch, Rules, Scorer};
    let scorer = Scorer::new(Rules::default()).unwrap();
    let mut items = Vec::new();
    for tick in ticks {
        for (i, team) in teams.iter().enumerate() {
            let id = BatchId {
                run: 1,
                worker: 0,
                target: i as u32,
                tick,
            };
            let mut b = OutcomeBatch::new(id, team.as_str().into());
            let lat = Duration::from_millis(20 + 10 * i as u64);
            for j in 0..=i as u16 {
                let key = Key::from_groups([i as u16, tick as u16, j]);
                b.record(
                    Outcome::Correct,
                    key,
                    unicorn_hash(key.as_str(), "s", 1),
                    Some((lat, lat)),
                );
                b.sends += 1;
            }
            if tick >= 20 {
                let key = Key::from_groups([i as u16, tick as u16, 999]);
                b.record(
                    Outcome::Timeout,
                    key,
                    unicorn_hash(key.as_str(), "s", 1),
                    None,
                );
                b.sends += 1;
            }
            let at = GameTime((tick + 1) * 1000);
            items.push(Recorded::Batch(Box::new(RecordedBatch { at, batch: b })));
            if tick == 0 {
                items.push(Recorded::Block(BillingBlock {
                    team: team.clone(),
                    instance: format!("i-{i}"),
                    instance_type: "t2.micro".into(),
                    block: 1,
                    anchor: GameTime(0),
                    at: GameTime(0),
                }));
            }
        }
    }
    let with: Vec<_> = items
        .into_iter()
        .map(|r| {
            let e = scorer.events(&r);
            (r, e)
        })
        .collect();
    ledger.record(&with).unwrap();
}

/// Runs `script` in the page until it returns `want`; gives what it returned last.
async fn wait_js(
    client: &Client,
    script: &str,
    want: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let mut last = serde_json::Value::Null;
    for _ in 0..150 {
        if let Ok(v) = client.execute(script, vec![]).await {
            if want(&v) {
                return v;
            }
            last = v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{script} never held; it gave {last}");
}

/// The board's race in a game of 100 teams: its top 10, then all of them on demand (named in
/// the legend by rank, taller, no wider than the window, no error in the console), then the
/// top 10 again. `race` is the script that reads what the race drew.
async fn race_of_a_hundred(board: &Client, driver: &Driver, race: &str) {
    wait_js(board, race, |v| *v == json!(["10", "31", 1, 10])).await;
    let top = |n: &'static str| async move {
        board
            .find(Locator::Id("race-top"))
            .await
            .unwrap()
            .select_by_value(n)
            .await
            .unwrap();
    };
    top("all").await;
    wait_js(board, race, |v| *v == json!(["100", "31", 1, 100])).await;
    // Readable: every team named in the legend by rank, the leader first, the chart taller
    // than the top ten's, and nothing wider than the window.
    let legend = board
        .execute(
            "const r = document.getElementById('race'); \
             const names = Array.from(r.querySelectorAll('.u-legend .u-series .u-label')) \
                 .map(s => s.textContent.trim()).filter(t => /^\\d+\\. t\\d+$/.test(t)); \
             return [names.length, names[0], names[99], r.querySelector('canvas').clientHeight, \
                     document.documentElement.scrollWidth <= window.innerWidth, \
                     r.scrollWidth <= r.clientWidth];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(legend[0], 100, "a legend entry for every team: {legend}");
    assert_eq!(legend[1], "1. t99", "{legend}");
    assert_eq!(legend[2], "100. t0", "{legend}");
    assert!(legend[3].as_u64().unwrap() >= 500, "{legend}");
    assert_eq!(
        (&legend[4], &legend[5]),
        (&json!(true), &json!(true)),
        "overflow: {legend}"
    );
    let errors = console_errors(board, driver).await;
    assert!(errors.is_empty(), "the board's console: {errors:?}");
    screenshot(board, "web-board-race-all.png", 1700).await;
    top("10").await;
    wait_js(board, race, |v| *v == json!(["10", "31", 1, 10])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_race_and_the_team_health_charts_draw_and_follow_the_game() {
    use scoreboard::ledger::prelude::*;
    use scoreboard::live::LivePublisher;
    use scoreboard::{GameMeta, Rules, SqliteLedger};
    let chromium = find("CHROME", &["chromium", "chromium-browser", "google-chrome"])
        .expect("no chromium found: apt-get install -y chromium chromium-driver");
    let chromedriver = find("CHROMEDRIVER", &["chromedriver"])
        .expect("no chromedriver found: apt-get install -y chromium chromium-driver");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("game.db");
    // A hundred teams, as at a real game day: the race must stay readable.
    let teams: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
    let mut ledger = SqliteLedger::open(&path).unwrap();
    let meta = GameMeta {
        name: "charts".into(),
        seed: 1,
        rules: Rules::default(),
        teams: teams.clone(),
        registering: Vec::new(),
        duration_ms: 0,
    };
    ledger.start_or_resume(&meta, 0).unwrap();
    play_ticks(&mut ledger, &teams, 0..30);
    let (token, hash) = scoreboard::tokens::generate().unwrap();
    ledger.store_token("t3", &hash, 1).unwrap();
    let publisher = LivePublisher::new(util::first_snapshot());
    let state = scoreboard::web::WebState::new(publisher.view(), path.clone(), util::url_check());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(scoreboard::web::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let driver = Driver::start(&chromedriver);
    let board = browser(&driver, &chromium).await;
    let team = browser(&driver, &chromium).await;

    // The race draws the top 10 of 100, then every team on demand.
    board.goto(&format!("{base}/")).await.unwrap();
    wait_live(&board).await;
    let race = "const r = document.getElementById('race'); \
                return [r.dataset.teams, r.dataset.points, r.querySelectorAll('canvas').length, \
                        r.querySelectorAll('.u-legend .u-series').length];";
    race_of_a_hundred(&board, &driver, race).await;

    // The team's health charts: six (three over ten minutes, three over the game).
    sign_in(&team, &base, "/team", &token).await;
    wait_live(&team).await;
    let health = "const h = document.getElementById('health'); \
                  return [h.dataset.recentPoints, h.dataset.gamePoints, h.querySelectorAll('canvas').length, \
                          Array.from(h.querySelectorAll('.u-legend .u-series')).map(s => s.textContent.trim()).join(',')];";
    let drawn = wait_js(&team, health, |v| v[0] == "31" && v[1] == "31" && v[2] == 6).await;
    assert!(drawn[3].as_str().unwrap().contains("timeout/s"), "{drawn}");
    assert!(drawn[3].as_str().unwrap().contains("p99"), "{drawn}");
    screenshot(&board, "web-board-race.png", 1300).await;

    // The game goes on: both pages redraw from their streams, without a reload.
    play_ticks(&mut ledger, &teams, 30..45);
    publisher.publish(scoreboard::live::Snapshot {
        now: scoreboard::GameTime(45_000),
        ..util::first_snapshot()
    });
    wait_js(&board, race, |v| *v == json!(["10", "46", 1, 10])).await;
    for client in [&board, &team] {
        let errors = console_errors(client, &driver).await;
        assert!(errors.is_empty(), "the console: {errors:?}");
    }
    wait_js(&team, health, |v| v[0] == "46" && v[1] == "46").await;
    screenshot(&team, "web-team-health.png", 1500).await;

    for client in [board, team] {
        client.close().await.unwrap();
    }
    drop(driver);
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server did not shut down")
        .unwrap()
        .unwrap();
}
