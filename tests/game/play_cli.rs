//! `gameday play` run as an organizer runs it: again on a finished game, twice at once on
//! one ledger, with a busy web address, stopped while it waits for load workers, and on a
//! ledger it cannot open; and telling its moments to webhooks.

use crate::{postgres, receiver};

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A short game of one simulated team billed from its fleet, in blocks that end with it.
const SHORT: &str = r#"
[game]
name = "short"
duration = "4s"
seed = 1
tick = "1s"
allow_private_targets = true
[keyset]
count = 50
[hash]
iterations = 10
[load]
phases = [ { at = "0s", rate = 4 } ]
timeout = "2s"
[billing]
source = "fleet"
price = 8
block = "2s"
points_per_dollar = 6
[[team]]
name = "cached"
simulate = { flavor = "v2", servers = 1, cache = true, min_latency = "10ms", workers = 5, queue = 10 }
"#;

fn short_game(dir: &Path) -> PathBuf {
    let path = dir.join("short.toml");
    std::fs::write(&path, SHORT).unwrap();
    path
}

fn gameday(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gameday"));
    cmd.env("GAMEDAY_CACHE_DIR", dir.join("cache"))
        .current_dir(dir)
        .args(args);
    cmd
}

/// `gameday play SCENARIO LEDGER…` headless, to its end.
fn play(dir: &Path, scenario: &Path, ledger: &[&str]) -> Output {
    gameday(
        dir,
        &["play", "--no-tui", "--no-web", "--board-every", "0s"],
    )
    .arg(scenario)
    .args(ledger)
    .output()
    .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every score event of the ledger, as `gameday events` prints them.
fn events(dir: &Path, ledger: &[&str]) -> String {
    let out = gameday(dir, &["events"]).args(ledger).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn a_finished_game_played_again_records_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = short_game(dir.path());
    let db = dir.path().join("full.db");
    let db = ["--db", db.to_str().unwrap()];
    let first = play(dir.path(), &scenario, &db);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(text(&first.stdout).contains("game over at 00:04"));
    let played = events(dir.path(), &db);
    assert_eq!(
        played.matches("Billing").count(),
        2,
        "two blocks of 2 s in 4 s: {played}"
    );
    // At once (the ledger's clock barely past the end) and a while later (a fleet started
    // again there would begin a block at the end).
    for wait in [Duration::ZERO, Duration::from_millis(1500)] {
        std::thread::sleep(wait);
        let again = play(dir.path(), &scenario, &db);
        let out = text(&again.stdout);
        assert!(again.status.success(), "{}", text(&again.stderr));
        assert!(out.contains("full.db is over"), "{out}");
        assert_eq!(events(dir.path(), &db), played, "after {wait:?}: {out}");
    }
}

#[test]
fn a_second_play_on_one_ledger_refuses_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("game.db").to_str().unwrap().to_owned();
    second_play_refused(dir.path(), &["--db", &db], "game.db is being played");
    let _one = POSTGRES.lock().unwrap_or_else(|e| e.into_inner());
    let game = postgres::game_id("play_twice");
    let pg = ["--ledger", postgres::url(), "--game", &game];
    second_play_refused(dir.path(), &pg, &format!("(game {game}) is being played"));
}

/// The PostgreSQL server is shared by this file's tests.
static POSTGRES: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Plays the short game on `ledger`, and a second `play` on it while the first plays: the
/// second refuses at once, saying `refusal` and who plays; the first ends normally, alone.
fn second_play_refused(dir: &Path, ledger: &[&str], refusal: &str) {
    let scenario = short_game(dir);
    let mut first = gameday(dir, &["play", "--no-tui", "--no-web"])
        .arg(&scenario)
        .args(ledger)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(first.stdout.take().unwrap()));
    let started = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.starts_with("started"));
    assert!(started.is_some(), "the first play never started");
    let asked = Instant::now();
    let second = play(dir, &scenario, ledger);
    let err = text(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{err}");
    assert!(asked.elapsed() < Duration::from_secs(3), "not at once");
    assert!(
        err.contains(&format!(
            "{refusal} by another gameday (pid {}, since ",
            first.id()
        )),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // The first goes on to its end, alone.
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(first.wait().unwrap().success());
    assert!(rest.iter().any(|l| l == "game over at 00:04"), "{rest:?}");
    let played = events(dir, ledger);
    assert_eq!(played.matches("Billing").count(), 2, "{played}");
    // Once it has ended, the ledger is free: the same command finds the game over.
    let again = play(dir, &scenario, ledger);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains(" is over"));
}

/// Reads `child`'s stdout lines into a channel, so that a test can wait for one with a
/// deadline.
fn stdout_lines(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

fn wait_for_line(lines: &std::sync::mpsc::Receiver<String>, part: &str) -> String {
    loop {
        match lines.recv_timeout(Duration::from_secs(30)) {
            Ok(line) if line.contains(part) => return line,
            Ok(_) => {}
            Err(e) => panic!("no line with {part:?}: {e}"),
        }
    }
}

/// A child that is killed if a failed assertion leaves it running.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A split game's coordinator says how many workers joined of how many (never a literal
/// placeholder), and Ctrl-C or SIGTERM ends its wait at once, saying nothing was played.
#[test]
fn a_coordinator_waiting_for_workers_stops_on_a_signal() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = short_game(dir.path());
    for (signal, name) in [(libc::SIGINT, "Ctrl-C"), (libc::SIGTERM, "SIGTERM")] {
        let db = dir.path().join(format!("split-{signal}.db"));
        let coordinator = gameday(dir.path(), &["play", "--no-tui", "--no-web"])
            .args(["--workers", "external"])
            .arg(&scenario)
            .arg("--db")
            .arg(&db)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut coordinator = Killed(coordinator);
        let lines = stdout_lines(&mut coordinator.0);
        let first = wait_for_line(&lines, "waiting for load workers");
        assert!(first.ends_with("none has joined yet"), "{first}");
        let mut worker = Killed(
            gameday(dir.path(), &["worker", "--segment", "0/2", "--db"])
                .arg(&db)
                .arg(&scenario)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let joined = wait_for_line(&lines, "waiting for load workers");
        assert!(joined.ends_with(": 1 of 2 joined"), "{joined}");
        assert!(!joined.contains("of N"), "{joined}");
        // SAFETY: a signal to our own child; no memory is touched.
        assert_eq!(unsafe { libc::kill(coordinator.0.id() as i32, signal) }, 0);
        let sent = Instant::now();
        let status = loop {
            if let Some(status) = coordinator.0.try_wait().unwrap() {
                break status;
            }
            assert!(
                sent.elapsed() < Duration::from_secs(3),
                "{name}: still waiting 3 s after it"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(status.code(), Some(0), "{name}");
        let said = wait_for_line(&lines, "while waiting for load workers");
        assert_eq!(
            said,
            format!(
                "{name} while waiting for load workers (1 had joined): nothing was played; \
                 the same command waits for them again"
            )
        );
        let _ = worker.0.kill();
    }
}

/// A web address given with --web that is taken is refused before the game begins; the
/// default one taken is said once and the game goes on without its web pages.
#[test]
fn a_taken_web_address_is_refused_when_given() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = short_game(dir.path());
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let db = dir.path().join("web.db");
    let asked = Instant::now();
    let out = gameday(dir.path(), &["play", "--no-tui", "--web", &addr, "--db"])
        .arg(&db)
        .arg(&scenario)
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(asked.elapsed() < Duration::from_secs(3), "not at once");
    let refusal = format!("gameday: the web scoreboard cannot listen on {addr}: ");
    assert!(
        err.starts_with(&refusal)
            && err.ends_with("(choose another address with --web ADDR, or --no-web)\n")
            && err.lines().count() == 1,
        "{err}"
    );
    assert!(text(&out.stdout).is_empty(), "{}", text(&out.stdout));
    // Nothing was played: the ledger is not even made.
    assert!(!db.exists());
}

/// A ledger that cannot be opened is said once, with its cause, however it is reached.
#[test]
fn a_ledger_that_cannot_be_opened_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = short_game(dir.path());
    let db = "/nonexistent/dir/x.db";
    let out = gameday(dir.path(), &["play", "--no-tui", "--no-web", "--db", db])
        .arg(&scenario)
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(
        err,
        "gameday: game \"short\": cannot lock the ledger for this game: \
         /nonexistent/dir/x.db.lock: No such file or directory (os error 2)\n"
    );
    // A worker opens the ledger itself: SQLite's words once, and its code.
    let out = gameday(dir.path(), &["worker", "--segment", "0/1", "--db", db])
        .arg(&scenario)
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(
        err.matches("unable to open database file").count(),
        1,
        "{err}"
    );
    assert!(
        err.ends_with(
            "ledger: unable to open database file: /nonexistent/dir/x.db (SQLite error code 14)\n"
        ),
        "{err}"
    );
}

/// A game with a scenario webhook (its URL in the environment) and a `--notify` one: each
/// hears the start, the timeline's announcement and the end with the final standings, in
/// order, in JSON's shape; the URLs' secret paths are in nothing the game prints.
#[test]
fn a_games_moments_reach_its_webhooks() {
    let dir = tempfile::tempdir().unwrap();
    let everyone = receiver::receiver(vec![receiver::Answer::Fail], false);
    let organizer = receiver::receiver(vec![], false);
    let scenario = dir.path().join("hooks.toml");
    let toml = format!(
        "{SHORT}[[timeline]]\nat = \"1s\"\nannounce = \"Scale out!\"\n\
         [[notify]]\nurl_env = \"GAMEDAY_TEST_HOOK\"\nkind = \"json\"\n"
    );
    std::fs::write(&scenario, toml).unwrap();
    let db = dir.path().join("hooks.db");
    let out = gameday(
        dir.path(),
        &["play", "--no-tui", "--no-web", "--board-every", "0s"],
    )
    .arg(&scenario)
    .args(["--db", db.to_str().unwrap(), "--notify", &organizer.url])
    .env("GAMEDAY_TEST_HOOK", &everyone.url)
    .output()
    .unwrap();
    let printed = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{printed}");
    assert!(!printed.contains("secret-path"), "{printed}");
    for hook in [&everyone, &organizer] {
        let events = hook.field("event");
        let texts = hook.field("text");
        // The everyone hook failed its first post once: the start came again, and once.
        let events: Vec<&str> = events
            .iter()
            .map(String::as_str)
            .filter(|e| !e.is_empty())
            .collect();
        let start = events.iter().rposition(|e| *e == "start").unwrap();
        assert_eq!(
            events[start..],
            ["start", "announcement", "end"],
            "{texts:?}"
        );
        assert!(
            texts.contains(&"The game has started: 4s to play.".to_owned()),
            "{texts:?}"
        );
        assert!(texts.contains(&"Scale out!".to_owned()), "{texts:?}");
        let end = texts.last().unwrap();
        assert!(
            end.starts_with("The game is over at 00:04. Final standings: 1. cached ("),
            "{end}"
        );
    }
    assert_eq!(
        everyone.field("event")[..2],
        ["start", "start"],
        "retried after a 500"
    );
}

#[test]
fn a_notify_url_that_is_not_http_is_refused_without_repeating_it() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = short_game(dir.path());
    let out = gameday(
        dir.path(),
        &[
            "play",
            "--no-tui",
            "--no-web",
            "--notify",
            "hooks.example/secret-path",
        ],
    )
    .arg(&scenario)
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("expected an http:// or https:// URL"), "{err}");
    assert!(!err.contains("secret-path"), "{err}");
}
