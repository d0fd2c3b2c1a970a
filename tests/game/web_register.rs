//! A team registers its endpoint on its own page, in headless Chromium, in a real game: the
//! page says it has no endpoint yet (and so no load), a URL where nothing listens is taken
//! and the page says plainly what its check found and what to try, the right URL's check
//! passes, and "Check my endpoint" asked again at once says when it may be asked again.
//!
//! Needs Debian's `chromium` and `chromium-driver` (CI installs them).

use std::process::{Command, Stdio};

use crate::browser::{
    Driver, INSTALL, browser, console_errors, find, screenshot, sign_in, wait_live, wait_text,
};
use crate::util::{Killed, Unicorn, http, web_address};
use fantoccini::{Client, Locator};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/register.toml");
const ADMIN: &str = "tok-register-page-admin";

/// Types `url` into the endpoint form and sends it.
async fn register(page: &Client, url: &str) {
    let field = page.find(Locator::Id("url")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(url).await.unwrap();
    page.find(Locator::Id("url-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_registers_and_checks_its_endpoint_on_its_page() {
    let chromium = find("CHROME", &["chromium", "chromium-browser", "google-chrome"])
        .unwrap_or_else(|| panic!("no chromium found: {INSTALL}"));
    let chromedriver = find("CHROMEDRIVER", &["chromedriver"])
        .unwrap_or_else(|| panic!("no chromedriver found: {INSTALL}"));
    let server = Unicorn::start("unicorn.rentals");
    let dir = tempfile::tempdir().unwrap();
    let mut game = Killed(
        Command::new(env!("CARGO_BIN_EXE_gameday"))
            .env("GAMEDAY_CACHE_DIR", dir.path())
            .env("GAMEDAY_ADMIN_TOKEN", ADMIN)
            .args(["play", FIXTURE, "--no-tui", "--web", "127.0.0.1:0", "--db"])
            .arg(dir.path().join("game.db"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (addr, _log) = web_address(game.0.stderr.take().unwrap());
    let base = format!("http://{addr}");
    let (status, body) = http(
        &addr,
        "POST",
        "/api/admin/teams/rainbow-ops/token",
        Some(ADMIN),
    );
    assert_eq!(status, 200, "{body}");
    let reply: serde_json::Value = serde_json::from_str(&body).unwrap();
    let token = reply["token"].as_str().unwrap().to_owned();

    let driver = Driver::start(&chromedriver);
    let page = browser(&driver, &chromium).await;
    sign_in(&page, &base, "/team", &token).await;
    wait_live(&page).await;
    wait_text(
        &page,
        "#endpoint-state",
        "No endpoint yet: the game sends you no load",
    )
    .await;
    wait_text(&page, "#url-submit", "Register").await;

    // Nothing listens there: taken all the same, and the page says what broke and what to do.
    let nobody = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = nobody.local_addr().unwrap().port();
    drop(nobody);
    register(&page, &format!("http://127.0.0.1:{port}/")).await;
    let said = wait_text(&page, "#url-result", "but the check failed").await;
    assert!(
        said.contains(&format!("nothing listens on 127.0.0.1:{port}")),
        "{said}"
    );
    assert!(said.contains("security group"), "{said}");
    assert!(!said.contains("?.") && !said.contains(".."), "{said}");
    // Registered: the form now changes the URL, and is empty for the next one.
    wait_text(&page, "label[for=url]", "New endpoint URL").await;
    wait_text(&page, "#endpoint-state", "Your endpoint: failing since").await;

    // The right one.
    register(&page, &format!("http://127.0.0.1:{}/", server.port)).await;
    let said = wait_text(&page, "#url-result", "Check passed").await;
    assert!(said.contains("3 of 3 answers right"), "{said}");
    wait_text(&page, "#last-check", "3 of 3 answers right").await;
    // A new endpoint's passing check speaks for it until the load does.
    wait_text(&page, "#endpoint-state", "Your endpoint: answering").await;
    // The button right after: at most one check every 10 s.
    page.find(Locator::Id("check"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&page, "#url-result", "try again in").await;
    screenshot(&page, "web-team-register.png", 900).await;
    let errors = console_errors(&page, &driver).await;
    // The refused check is a 429 the page reads: the browser logs the failed fetch itself.
    assert!(
        errors
            .iter()
            .all(|e| e.contains("/api/team/check") && e.contains("429")),
        "the page's console: {errors:?}"
    );
    page.close().await.unwrap();
}
