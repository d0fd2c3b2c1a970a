//! "What is costing you points" on a real game's team pages, in headless Chromium: a short
//! `gameday play --web` game with two simulated teams, one whose single worker and empty
//! queue answer 503 to most of the load, one whose cache keys on the path and so answers
//! every key with the first key's hash. Each team signs in and sees its top cause, worst
//! first, with the hint that fits it. The game is paused while the browsers look, so the
//! panel holds still; then it runs to its end.
//!
//! Needs Debian's `chromium` and `chromium-driver` (CI installs them).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::browser::{
    Driver, INSTALL, browser, console_errors, find, screenshot, sign_in, wait_live,
};
use crate::util::{Killed, http, web_address};
use fantoccini::Client;

const ADMIN: &str = "tok-5e1d-losses-admin";

/// Two teams under 20 requests a second for 8 s; billing a dollar a block at a point a dollar,
/// so that the load's losses are what costs the teams most.
const SCENARIO: &str = r#"
[game]
name = "losses"
duration = "8s"
seed = 31
tick = "1s"
allow_private_targets = true

[keyset]
count = 100

[hash]
iterations = 100

[load]
phases = [{ at = "0s", rate = 20 }]
timeout = "2s"

[billing]
source = "fleet"
price = 1
points_per_dollar = 1

# One worker, no queue, 200 ms an answer: 5 answers a second, 503 to the rest.
[[team]]
name = "queue-full"
simulate = { flavor = "v2", servers = 1, workers = 1, queue = 0, min_latency = "200ms" }

# A cache that ignores the query string: the first key's hash for every key.
[[team]]
name = "path-cache"
simulate = { flavor = "v2", servers = 1, cache = true, cache_key = "path", min_latency = "20ms" }
"#;

/// A new token for `team`, from the admin API.
fn team_token(addr: &str, team: &str) -> String {
    let path = format!("/api/admin/teams/{team}/token");
    let (status, body) = http(addr, "POST", &path, Some(ADMIN));
    assert_eq!(status, 200, "{body}");
    let reply: serde_json::Value = serde_json::from_str(&body).unwrap();
    reply["token"].as_str().unwrap().to_owned()
}

/// Waits until the team's line names `kind` as its top cause of losses.
fn wait_top_cause(addr: &str, token: &str, kind: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, body) = http(addr, "GET", "/api/team", Some(token));
        assert_eq!(status, 200, "{body}");
        let me: serde_json::Value = serde_json::from_str(&body).unwrap();
        if me["losses"][0]["kind"] == kind {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the top cause never became {kind}: {body}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The text of the panel's first row and of all its rows (read at once: the page redraws
/// the rows at each status message), once it has a row of `label`.
async fn panel(client: &Client, label: &str) -> (String, String) {
    const READ: &str = "const rows = document.getElementById('losses'); \
                        return rows ? [rows.rows[0] ? rows.rows[0].innerText : '', rows.innerText] \
                                    : ['', ''];";
    for _ in 0..100 {
        if let Ok(read) = client.execute(READ, vec![]).await
            && let (Some(first), Some(all)) = (read[0].as_str(), read[1].as_str())
            && all.contains(label)
        {
            return (first.to_owned(), all.to_owned());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let source = client.source().await.unwrap_or_default();
    panic!("the panel never showed {label:?}:\n{source}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_team_sees_its_top_cause_and_the_hint_for_it() {
    let chromium = find("CHROME", &["chromium", "chromium-browser", "google-chrome"])
        .unwrap_or_else(|| panic!("no chromium found: {INSTALL}"));
    let chromedriver = find("CHROMEDRIVER", &["chromedriver"])
        .unwrap_or_else(|| panic!("no chromedriver found: {INSTALL}"));
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("losses.toml");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let mut game = Killed(
        Command::new(env!("CARGO_BIN_EXE_gameday"))
            .env("GAMEDAY_CACHE_DIR", dir.path())
            .env("GAMEDAY_ADMIN_TOKEN", ADMIN)
            .arg("play")
            .arg(&scenario)
            .args(["--no-tui", "--web", "127.0.0.1:0", "--db"])
            .arg(dir.path().join("game.db"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (addr, log) = web_address(game.0.stderr.take().unwrap());
    let base = format!("http://{addr}");
    let queue = team_token(&addr, "queue-full");
    let cache = team_token(&addr, "path-cache");
    wait_top_cause(&addr, &queue, "http_503");
    wait_top_cause(&addr, &cache, "wrong_answer");
    let (status, body) = http(&addr, "POST", "/api/admin/pause", Some(ADMIN));
    assert_eq!(status, 200, "{body}");

    let driver = Driver::start(&chromedriver);
    let (queue_page, cache_page) = (
        browser(&driver, &chromium).await,
        browser(&driver, &chromium).await,
    );
    sign_in(&queue_page, &base, "/team", &queue).await;
    sign_in(&cache_page, &base, "/team", &cache).await;
    wait_live(&queue_page).await;
    wait_live(&cache_page).await;

    let (top, all) = panel(&queue_page, "503 Service Unavailable").await;
    assert!(top.contains("503 Service Unavailable"), "{all}");
    assert!(
        top.contains("queue is full") && top.contains("Scale out"),
        "{all}"
    );
    assert!(!all.contains("wrong answers"), "{all}");
    screenshot(&queue_page, "web-team-losses-503.png", 1100).await;

    let (top, all) = panel(&cache_page, "wrong answers").await;
    assert!(top.contains("wrong answers"), "{all}");
    assert!(top.contains("did not match"), "the latest reason: {all}");
    assert!(top.contains("query string"), "the hint: {all}");
    assert!(!all.contains("503"), "{all}");
    screenshot(&cache_page, "web-team-losses-cache.png", 1100).await;

    for client in [&queue_page, &cache_page] {
        let errors = console_errors(client, &driver).await;
        assert!(errors.is_empty(), "the page's console: {errors:?}");
    }
    for client in [queue_page, cache_page] {
        client.close().await.unwrap();
    }
    drop(driver);

    let (status, body) = http(&addr, "POST", "/api/admin/resume", Some(ADMIN));
    assert_eq!(status, 200, "{body}");
    let mut stdout = String::new();
    game.0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let log = log.lock().unwrap().clone();
    assert!(game.0.wait().unwrap().success(), "{stdout}\n{log}");
}
