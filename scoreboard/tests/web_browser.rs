//! The web scoreboard in a real browser: headless Chromium driven through chromedriver.
//! The board changes without a reload, a team signs in and sees its events, and an admin's
//! adjustment made on the admin page shows up live on the team's page. Screenshots of the
//! three pages go to `docs/` with `GAMEDAY_SCREENSHOTS=1` (a temporary folder otherwise).
//!
//! Needs Debian's `chromium` and `chromium-driver` (CI installs them): without them this test
//! fails and says so, rather than passing without having looked.

#![cfg(feature = "web")]

#[path = "web/util.rs"]
mod util;

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
