//! A real team that registers its own endpoint during a live game, on SQLite and on
//! PostgreSQL: no load and no LoadGen points before it registers, its instance billed from
//! the start, load within 2 s of its registration, the registration in the ledger and in the
//! debrief, and kept across a restart of `play`. Its endpoint check answers at once. Every
//! team's URLs are the same on a replica's board (`gameday serve`) as on the live one; a
//! live rename is on the board when its POST returns, and one the ledger refuses never is.

use crate::{postgres, util};

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{Unicorn, http, http_json, web_address};
use scoreboard_domain::Source;
use scoreboard_ledger::LedgerAt;
use scoreboard_ledger::NoteKind;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/register.toml");
const ADMIN: &str = "tok-register-admin-secret";
const TEAM: &str = "rainbow-ops";
/// The fixture's salt: unicorn's default.
const GAME_SALT: &str = "unicorn.rentals";

/// A free port on loopback (bound, then let go).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `gameday play` of the fixture on `ledger`, with its web pages on a free port.
fn play(dir: &Path, ledger: &[String]) -> (Child, String) {
    let mut game = Command::new(env!("CARGO_BIN_EXE_gameday"))
        .env("GAMEDAY_CACHE_DIR", dir.join("cache"))
        .env("GAMEDAY_ADMIN_TOKEN", ADMIN)
        .args(["play", FIXTURE, "--no-tui", "--web", "127.0.0.1:0"])
        .args(["--board-every", "0s"])
        .args(ledger)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (addr, _log) = web_address(game.stderr.take().unwrap());
    (game, addr)
}

/// The admin's view of the game now.
fn status(addr: &str) -> serde_json::Value {
    let (code, body) = http(addr, "GET", "/api/admin/status", Some(ADMIN));
    assert_eq!(code, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn team<'a>(status: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    status["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team"] == name)
        .unwrap_or_else(|| panic!("no {name} in {status}"))
}

/// Waits until the game clock reads at least `ms`.
fn wait_for_game_time(addr: &str, ms: u64) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let s = status(addr);
        if s["now_ms"].as_u64().unwrap() >= ms {
            return s;
        }
        assert!(Instant::now() < deadline, "the game clock stood still: {s}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A game process, killed if a failed assertion drops it.
struct Game(Option<Child>);

impl Game {
    /// Ctrl-C, as the organizer presses it.
    fn interrupt(&self) {
        let pid = self.0.as_ref().unwrap().id();
        // SAFETY: a signal to our own child process, which has not been waited for.
        assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGINT) }, 0);
    }

    /// Waits for the game to exit 0; its stdout.
    fn finish(mut self) -> String {
        let out = self.0.take().unwrap().wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{stdout}");
        stdout
    }
}

impl Drop for Game {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A team's URLs, as a board shows them.
fn urls(status: &serde_json::Value, name: &str) -> Vec<String> {
    serde_json::from_value(team(status, name)["urls"].clone()).unwrap()
}

/// The scenario's URLs of the team `listed`.
const LISTED: [&str; 2] = ["http://127.0.0.1:9/", "http://127.0.0.1:9/second"];

/// Renames `steady` as the organizer; the status code and body.
fn rename(addr: &str, name: &str) -> (u16, String) {
    let body = format!(r#"{{"name":"{name}","reason":"asked at the desk"}}"#);
    http_json(
        addr,
        "POST",
        "/api/admin/teams/steady/name",
        Some(ADMIN),
        &body,
    )
}

/// A live rename is on the board when the POST returns; one the ledger refuses (when
/// `refuse` can make it refuse: its argument says whether to) is answered with the error
/// and never shown.
fn renames(addr: &str, refuse: Option<&dyn Fn(bool)>) {
    if let Some(refuse) = refuse {
        refuse(true);
        let (code, body) = rename(addr, "Refused Ones");
        assert!(code >= 500, "{code} {body}");
        for _ in 0..5 {
            let s = status(addr);
            assert_eq!(
                team(&s, "steady")["name"],
                "steady",
                "a name the ledger refused: {s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        refuse(false);
    }
    let (code, body) = rename(addr, "Steady Eddies");
    assert_eq!(code, 200, "{body}");
    let s = status(addr);
    assert_eq!(team(&s, "steady")["name"], "Steady Eddies", "{s}");
}

/// The whole story on one ledger: waiting, registered, stopped, resumed, over; a rename
/// on the way (`refuse` makes the ledger refuse names, where the test can); every team's
/// URLs the same on a replica's board as on the live one.
fn registers(dir: &Path, ledger: &[String], at: &LedgerAt, refuse: Option<&dyn Fn(bool)>) {
    let server = Unicorn::start(GAME_SALT);
    let url = format!("http://127.0.0.1:{}/", server.port);
    let (game, addr) = play(dir, ledger);
    let game = Game(Some(game));
    // Before it registers: waiting, on the admin page and the public board.
    let s = wait_for_game_time(&addr, 3000);
    assert_eq!(urls(&s, "listed"), LISTED, "the scenario's URLs: {s}");
    assert!(urls(&s, TEAM).is_empty(), "{s}");
    renames(&addr, refuse);
    let waiting = &team(&s, TEAM)["endpoint"];
    assert_eq!(waiting["waiting"], true, "{s}");
    assert_eq!(
        waiting["state"], "waiting for its endpoint since 00:00",
        "{s}"
    );
    let (_, board) = http(&addr, "GET", "/api/board", None);
    assert!(
        board.contains("waiting for its endpoint since 00:00"),
        "{board}"
    );
    // The board's page says it under the team's name.
    let (_, page) = http(&addr, "GET", "/", None);
    assert!(
        page.contains("<span class=\"muted waiting\">waiting for its endpoint since 00:00</span>"),
        "{page}"
    );
    // It registers (the organizer for it, with the admin token): the answer is the check.
    let body = format!(r#"{{"team":"{TEAM}","url":"{url}"}}"#);
    let (code, reply) = http_json(&addr, "POST", "/api/team/url", Some(ADMIN), &body);
    assert_eq!(code, 200, "{reply}");
    let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(reply["check"]["passed"], true, "{reply}");
    let text = reply["check"]["text"].as_str().unwrap();
    assert!(text.starts_with("3 of 3 answers right in "), "{text}");
    // A check asked for at once is too soon: 429, with the wait.
    let body = format!(r#"{{"team":"{TEAM}"}}"#);
    let (code, body) = http_json(&addr, "POST", "/api/team/check", Some(ADMIN), &body);
    assert_eq!(code, 429, "{body}");
    assert!(body.contains("try again in"), "{body}");
    // Load, then a stop in the middle of the game and a restart of the same command.
    let s = wait_for_game_time(&addr, 9000);
    assert_eq!(team(&s, TEAM)["endpoint"]["state"], "answering", "{s}");
    game.interrupt();
    let out = game.finish();
    assert!(out.contains("game stopped at"), "{out}");
    let (again, addr) = play(dir, ledger);
    let again = Game(Some(again));
    let s = wait_for_game_time(&addr, 14_000);
    let endpoint = &team(&s, TEAM)["endpoint"];
    assert_eq!(endpoint["waiting"], false, "the registration was lost: {s}");
    assert_eq!(team(&s, TEAM)["urls"][0], url.as_str(), "{s}");
    assert_eq!(urls(&s, "listed"), LISTED, "{s}");
    assert_eq!(team(&s, "steady")["name"], "Steady Eddies", "{s}");
    let out = again.finish();
    assert!(out.contains("game over"), "{out}");
    let registered = check_ledger(at, &url);
    a_replica_shows_the_same_urls(ledger, &s);
    debrief(dir, ledger, &url, registered);
}

/// `gameday serve` on the finished game's ledger: every team's URLs on its board are the
/// live game's (`live`: the admin status of the resumed game), from the ledger's notes.
fn a_replica_shows_the_same_urls(ledger: &[String], live: &serde_json::Value) {
    let mut replica = util::Killed(
        Command::new(env!("CARGO_BIN_EXE_gameday"))
            .args(["serve", "--web", "127.0.0.1:0"])
            .args(ledger)
            .env("GAMEDAY_ADMIN_TOKEN", ADMIN)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let addr = util::serve_address(&mut replica.0);
    let (code, board) = http(&addr, "GET", "/api/board", None);
    assert_eq!(code, 200, "{board}");
    let board: serde_json::Value = serde_json::from_str(&board).unwrap();
    for name in [TEAM, "steady", "listed"] {
        let (code, me) = http(&addr, "GET", &format!("/api/team?team={name}"), Some(ADMIN));
        assert_eq!(code, 200, "{me}");
        let me: serde_json::Value = serde_json::from_str(&me).unwrap();
        assert_eq!(me["urls"], team(live, name)["urls"], "{name}: {me} {board}");
    }
    assert_eq!(team(&board, "steady")["name"], "Steady Eddies", "{board}");
}

/// What the ledger holds: the registration once, no LoadGen event before it, load within 2 s
/// of it and after the restart, the instance billed from the start.
fn check_ledger(at: &LedgerAt, url: &str) -> scoreboard_domain::GameTime {
    let ledger = at.open_existing().unwrap();
    let registrations: Vec<_> = ledger
        .notes_after(0, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|(_, n)| n)
        .filter(|n| n.kind == NoteKind::Registration)
        .collect();
    assert_eq!(registrations.len(), 1, "{registrations:?}");
    // The scenario's URLs once, though the game ran twice.
    let listed: Vec<_> = ledger
        .notes_after(0, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|(_, n)| n)
        .filter(|n| n.kind == NoteKind::ScenarioUrls)
        .collect();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].team.as_deref(), Some("listed"));
    assert_eq!(listed[0].text, LISTED.join("\n"));
    let registered = &registrations[0];
    assert_eq!(registered.team.as_deref(), Some(TEAM));
    assert_eq!(registered.text, url);
    let events: Vec<_> = ledger
        .events_after(0, 100_000)
        .unwrap()
        .into_iter()
        .map(|(_, e)| e)
        .filter(|e| e.team == TEAM)
        .collect();
    let load: Vec<_> = events
        .iter()
        .filter(|e| e.source == Source::LoadGen)
        .collect();
    let early: Vec<_> = load.iter().filter(|e| e.at < registered.at).collect();
    assert!(
        early.is_empty(),
        "LoadGen events before the registration at {}: {early:?}",
        registered.at
    );
    let first = load.first().expect("no load after the registration");
    assert!(
        first.at.0 <= registered.at.0 + 2000,
        "the load began at {}, registered at {}",
        first.at,
        registered.at
    );
    assert!(
        load.iter().any(|e| e.at.0 >= 15_000 && e.points.0 > 0),
        "no right answers after the restart: {load:?}"
    );
    let billed: Vec<_> = events
        .iter()
        .filter(|e| e.source == Source::Billing)
        .collect();
    assert_eq!(
        billed.len(),
        5,
        "blocks at 0, 5, 10, 15 and 20 s: {billed:?}"
    );
    assert_eq!(billed[0].at.0, 0, "{billed:?}");
    registered.at
}

/// The debrief of the game names the registration.
fn debrief(dir: &Path, ledger: &[String], url: &str, registered: scoreboard_domain::GameTime) {
    let out = dir.join("report.html");
    let status = Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args(["report", "--scenario", FIXTURE, "--out"])
        .arg(&out)
        .args(ledger)
        .status()
        .unwrap();
    assert!(status.success());
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(
        page.contains(&format!("registered its endpoint {url}")),
        "no registration on the debrief's timeline"
    );
    let at = registered.to_string();
    assert!(
        page.contains(&format!(
            "Registered its endpoint at {at} (no load before that)"
        )),
        "no registration in the team's section of the debrief"
    );
}

#[test]
fn a_team_registers_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("game.db");
    let ledger = vec!["--db".to_owned(), db.display().to_string()];
    let at = LedgerAt::parse(&db.display().to_string(), None).unwrap();
    // A trigger makes the ledger refuse names: a real database's error, for the write only
    // (the web still reads the names; so does the game's writer, which stays up).
    let refuse = |on: bool| {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        conn.execute_batch(if on {
            "CREATE TRIGGER refuse_names BEFORE INSERT ON notes WHEN NEW.kind = 'team_name' \
             BEGIN SELECT RAISE(ABORT, 'names refused by the test'); END;"
        } else {
            "DROP TRIGGER refuse_names;"
        })
        .unwrap();
    };
    registers(dir.path(), &ledger, &at, Some(&refuse));
}

#[test]
fn a_team_registers_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let url = postgres::url().to_owned();
    let game = postgres::game_id("register");
    let ledger = vec![
        "--ledger".to_owned(),
        url.clone(),
        "--game".to_owned(),
        game.clone(),
    ];
    let at = LedgerAt::parse(&url, Some(&game)).unwrap();
    // A trigger makes the ledger refuse names (set with psql, as an administrator would).
    let schema = scoreboard_ledger::game_schema(&game).unwrap();
    let refuse = |on: bool| {
        let sql = if on {
            format!(
                r#"CREATE FUNCTION "{schema}".refuse_names() RETURNS trigger LANGUAGE plpgsql
                   AS $$ BEGIN RAISE EXCEPTION 'names refused by the test'; END $$;
                   CREATE TRIGGER refuse_names BEFORE INSERT ON "{schema}".notes
                   FOR EACH ROW WHEN (NEW.kind = 'team_name')
                   EXECUTE FUNCTION "{schema}".refuse_names();"#
            )
        } else {
            format!(
                r#"DROP TRIGGER refuse_names ON "{schema}".notes;
                   DROP FUNCTION "{schema}".refuse_names();"#
            )
        };
        let out = Command::new("psql")
            .arg(&url)
            .args(["-v", "ON_ERROR_STOP=1", "-q", "-c", &sql])
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    registers(dir.path(), &ledger, &at, Some(&refuse));
}

/// Registers `url` for the team (with the admin token); the check's answer.
fn set_url(addr: &str, url: &str) -> serde_json::Value {
    let body = format!(r#"{{"team":"{TEAM}","url":"{url}"}}"#);
    let (code, reply) = http_json(addr, "POST", "/api/team/url", Some(ADMIN), &body);
    assert_eq!(code, 200, "{reply}");
    let reply: serde_json::Value = serde_json::from_str(&reply).unwrap();
    reply["check"].clone()
}

#[test]
fn endpoint_checks_say_what_broke() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("game.db");
    let ledger = vec!["--db".to_owned(), db.display().to_string()];
    // A unicorn hashing with another salt: its answers are wrong.
    let wrong = Unicorn::start("not the game's salt");
    let (game, addr) = play(dir.path(), &ledger);
    let game = Game(Some(game));
    wait_for_game_time(&addr, 1000);
    // Nothing listens: said, with what to try; the URL is taken all the same.
    let nobody = free_port();
    let check = set_url(&addr, &format!("http://127.0.0.1:{nobody}/"));
    assert_eq!(check["passed"], false, "{check}");
    let text = check["text"].as_str().unwrap();
    assert!(
        text.contains(&format!(
            "connection refused: nothing listens on 127.0.0.1:{nobody}"
        )),
        "{text}"
    );
    // With what to try, from the same table of hints as the losses panel.
    assert!(text.contains("security group open to us?"), "{text}");
    let s = status(&addr);
    let endpoint = &team(&s, TEAM)["endpoint"];
    assert_eq!(endpoint["waiting"], false, "{s}");
    assert!(
        endpoint["state"]
            .as_str()
            .unwrap()
            .starts_with("failing since "),
        "{s}"
    );
    assert_eq!(endpoint["last_check"]["text"], text, "{s}");
    // Wrong answers: the key, what came and what was expected.
    wait_for_game_time(&addr, 2000);
    let port = wrong.port;
    let check = set_url(&addr, &format!("http://127.0.0.1:{port}/"));
    assert_eq!(check["passed"], false, "{check}");
    let text = check["text"].as_str().unwrap();
    assert!(text.starts_with("0 of 3 answers right in "), "{text}");
    assert!(
        text.contains(": got \"") && text.contains("expected \""),
        "{text}"
    );
    assert!(text.contains("check the salt and the iterations"), "{text}");
    drop(game);
}

#[test]
fn a_private_address_is_refused_and_never_probed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("game.db");
    let public = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/register-public.toml"
    );
    // Whatever connects here is counted: nothing must.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let game = Command::new(env!("CARGO_BIN_EXE_gameday"))
        .env("GAMEDAY_CACHE_DIR", dir.path().join("cache"))
        .env("GAMEDAY_ADMIN_TOKEN", ADMIN)
        .args(["play", public, "--no-tui", "--web", "127.0.0.1:0", "--db"])
        .arg(&db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut game = Game(Some(game));
    let (addr, _log) = web_address(game.0.as_mut().unwrap().stderr.take().unwrap());
    let body = format!(r#"{{"team":"{TEAM}","url":"http://127.0.0.1:{port}/"}}"#);
    let (code, reply) = http_json(&addr, "POST", "/api/team/url", Some(ADMIN), &body);
    assert_eq!(code, 422, "{reply}");
    assert!(reply.contains("loopback address"), "{reply}");
    let s = status(&addr);
    assert_eq!(team(&s, TEAM)["endpoint"]["waiting"], true, "{s}");
    std::thread::sleep(Duration::from_secs(1));
    assert!(listener.accept().is_err(), "the private address was probed");
    drop(game);
}
