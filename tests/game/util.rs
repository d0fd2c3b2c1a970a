//! What the gameday binary's integration tests share: a plain HTTP/1.1 client for the web
//! scoreboard over a real socket, where a game's web scoreboard listens, and a team's
//! reference server on a port of its own.
#![allow(dead_code)] // each test binary uses its own part

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Runs `gameday ARGS` to its end, from the repository's root, with its answer cache in
/// `cache_dir`.
pub fn gameday(args: &[&str], cache_dir: &std::path::Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args(args)
        .env("GAMEDAY_CACHE_DIR", cache_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("gameday runs")
}

/// What a finished command printed on stdout (lossy where it is not UTF-8).
pub fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One HTTP/1.1 request; the status and the body.
pub fn http(addr: &str, method: &str, path: &str, token: Option<&str>) -> (u16, String) {
    http_json(addr, method, path, token, r#"{"text":"Half time!"}"#)
}

pub fn http_json(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    json: &str,
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let (body, kind) = match method {
        "POST" => (json, "Content-Type: application/json\r\n"),
        _ => ("", ""),
    };
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}{kind}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}

/// A child process that is killed when dropped, so that a failed assertion never leaves a
/// server running (and the test harness waiting on its output).
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads stderr lines until one names the web address, then keeps reading the rest (a
/// closed pipe would end the child) into the returned log, with the lines before it.
pub fn web_address(stderr: impl Read + Send + 'static) -> (String, Arc<Mutex<String>>) {
    let log = Arc::new(Mutex::new(String::new()));
    let mut lines = BufReader::new(stderr).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        log.lock().unwrap().push_str(&format!("{line}\n"));
        if let Some(rest) = line.strip_prefix("web scoreboard: http://") {
            let rest_of_log = log.clone();
            std::thread::spawn(move || {
                for line in lines.map_while(Result::ok) {
                    rest_of_log.lock().unwrap().push_str(&format!("{line}\n"));
                }
            });
            return (rest.split('/').next().unwrap().to_owned(), log);
        }
    }
    panic!("gameday never said where the web scoreboard is");
}

/// The reference server, as a team deploys it, on a port of its own: with the game's hash
/// (or another salt), until dropped.
pub struct Unicorn {
    pub port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Unicorn {
    pub fn start(salt: &str) -> Unicorn {
        let config = hashref::unicorn::UnicornConfig {
            flavor: hashref::unicorn::Flavor::V2,
            min_latency: Duration::from_millis(10),
            params: hashref::HashParams::new(salt, 100).unwrap(),
            error_rate: 0.0,
            ..hashref::unicorn::UnicornConfig::default()
        };
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let shutdown = async move {
                    let _ = stopped.await;
                };
                hashref::unicorn::serve(listener, config, shutdown)
                    .await
                    .unwrap();
            });
        });
        Unicorn {
            port,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Unicorn {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A child's stdout and stderr, read into one log as they come (a closed pipe would end the
/// child), so a test can wait for a phrase.
pub struct Said {
    log: Arc<Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Said {
    /// Starts reading `child`'s piped stdout and stderr.
    pub fn read(child: &mut std::process::Child) -> Said {
        let log = Arc::new(Mutex::new(String::new()));
        let pipes = [
            Box::new(child.stdout.take().expect("stdout piped")) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().expect("stderr piped")),
        ];
        let readers = pipes
            .into_iter()
            .map(|mut pipe| {
                let log = log.clone();
                std::thread::spawn(move || {
                    let mut buf = [0; 4096];
                    while let Ok(n @ 1..) = pipe.read(&mut buf) {
                        let text = String::from_utf8_lossy(&buf[..n]);
                        log.lock().unwrap().push_str(&text);
                    }
                })
            })
            .collect();
        Said { log, readers }
    }

    /// Whether the child has said `what` by now, waiting for it at most `within`.
    pub fn said(&self, what: &str, within: Duration) -> bool {
        let deadline = std::time::Instant::now() + within;
        while !self.log.lock().unwrap().contains(what) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        self.log.lock().unwrap().contains(what)
    }

    /// What it has said so far.
    pub fn text(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Everything it said, once the child has exited (its pipes closed).
    pub fn finish(self) -> String {
        let Said { log, readers } = self;
        for reader in readers {
            reader.join().unwrap();
        }
        log.lock().unwrap().clone()
    }
}

/// How many batches a load worker says it wrote (`segment 0/2: 31 batches, …`).
/// The address a `gameday serve` serves on, from the first line it prints on stdout
/// (`read-only scoreboard of …: http://ADDR/ (Ctrl-C stops it)`).
pub fn serve_address(child: &mut std::process::Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("serve's stdout is piped"))
        .read_line(&mut line)
        .unwrap();
    line.split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned()
}

pub fn worker_batches(out: &str) -> usize {
    out.lines()
        .find_map(|l| {
            l.split_once(": ")?
                .1
                .split_once(" batches, ")?
                .0
                .parse::<usize>()
                .ok()
        })
        .unwrap_or_else(|| panic!("no batch count: {out}"))
}
