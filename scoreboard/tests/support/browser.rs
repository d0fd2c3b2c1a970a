//! Headless Chromium for the web tests: chromedriver on a free port, a browser session,
//! waits for what a page shows, its console's errors, screenshots and signing in. Shared by
//! scoreboard's browser test and the gameday package's (which plays a real game).
//!
//! Needs Debian's `chromium` and `chromium-driver` (CI installs them).
#![allow(dead_code)] // each test binary uses its own part

use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// What a test that needs a browser says when one is missing.
pub const INSTALL: &str = "install them with `apt-get install -y chromium chromium-driver` \
                           (or set CHROME and CHROMEDRIVER)";

/// Where a program is: `$VAR` if set, else the first of `names` on the PATH.
pub fn find(var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// chromedriver on a free port, ended when dropped.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Driver {
    pub fn start(program: &Path) -> Driver {
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
pub async fn browser(driver: &Driver, chromium: &Path) -> Client {
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
pub async fn wait_text(client: &Client, css: &str, needle: &str) -> String {
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
pub async fn wait_live(client: &Client) {
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
pub async fn console_errors(client: &Client, driver: &Driver) -> Vec<String> {
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
pub fn post_json(addr: &str, path: &str, body: &str) -> serde_json::Value {
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
pub fn docs() -> PathBuf {
    let dir = if std::env::var_os("GAMEDAY_SCREENSHOTS").is_some_and(|v| v == "1") {
        // The repository's docs/, from the root package or from scoreboard/.
        let package = Path::new(env!("CARGO_MANIFEST_DIR"));
        [package.join("docs"), package.join("../docs")]
            .into_iter()
            .find(|d| d.is_dir())
            .expect("the repository's docs/")
    } else {
        std::env::temp_dir().join(format!("gameday-screenshots-{}", std::process::id()))
    };
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A picture of the page at a width a projector has and a height that shows it all.
pub async fn screenshot(client: &Client, name: &str, height: u32) {
    client.set_window_size(1280, height).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    std::fs::write(docs().join(name), png).unwrap();
}

pub async fn sign_in(client: &Client, base: &str, page: &str, token: &str) {
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
