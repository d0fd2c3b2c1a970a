//! `gameday play --web` and `gameday serve` end to end over real sockets: the live board,
//! an admin control that changes the game, the scenario's scheduled freeze on the live board
//! and a replica's, and a read-only replica of the finished game.

use crate::util;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{http, http_json, web_address};

const ADMIN: &str = "tok-7f3a-admin-secret";
const WRONG: &str = "tok-0000-wrong-guess";

#[test]
fn the_web_board_follows_the_game_and_a_replica_serves_it_after() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("game.db");
    // The CI game, whose timeline freezes the public board 4 s before its end.
    let scenario = dir.path().join("billing.toml");
    let text = std::fs::read_to_string("scenarios/ci/billing.toml").unwrap();
    std::fs::write(
        &scenario,
        format!("{text}\n[[timeline]]\nat = \"16s\"\nfreeze = true\n"),
    )
    .unwrap();
    let mut game = Command::new(env!("CARGO_BIN_EXE_gameday"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("GAMEDAY_CACHE_DIR", dir.path())
        .env("GAMEDAY_ADMIN_TOKEN", ADMIN)
        .arg("play")
        .arg(&scenario)
        .args(["--no-tui", "--web", "127.0.0.1:0", "--db"])
        .arg(&db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (addr, log) = web_address(game.stderr.take().unwrap());
    let (status, board) = http(&addr, "GET", "/api/board", None);
    assert_eq!(status, 200, "{board}");
    assert!(
        board.contains("\"team\":\"steady\"") && board.contains("\"team\":\"scaler\""),
        "{board}"
    );
    // No token or a wrong one, no control; the admin token announces.
    let (status, _) = http(&addr, "POST", "/api/admin/announce", None);
    assert_eq!(status, 401);
    let (status, _) = http(&addr, "POST", "/api/admin/announce", Some(WRONG));
    assert_eq!(status, 401);
    let (status, body) = http(&addr, "POST", "/api/admin/announce", Some(ADMIN));
    assert_eq!(status, 200, "{body}");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_, board) = http(&addr, "GET", "/api/board", None);
        if board.contains("Half time!") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the announcement never reached the board: {board}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // An adjustment goes through the game into the ledger, as an Organizer event; sent
    // twice with the same request id (a retried POST), it is recorded once.
    for _ in 0..2 {
        let (status, body) = http_json(
            &addr,
            "POST",
            "/api/admin/adjust",
            Some(ADMIN),
            r#"{"team":"scaler","points":"-2.5","reason":"Left a debug endpoint open",
                "request_id":"retry-1"}"#,
        );
        assert_eq!(status, 200, "{body}");
    }
    // The organizer breaks a simulated team from the admin page for 2 s: the game carries
    // it out, notes it with what it did, and puts it back on time. A restore of a team with
    // nothing broken is refused with why.
    let (status, body) = http_json(
        &addr,
        "POST",
        "/api/admin/break",
        Some(ADMIN),
        r#"{"team":"scaler","action":"close_port","for":"2s"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = http_json(
        &addr,
        "POST",
        "/api/admin/restore",
        Some(ADMIN),
        r#"{"team":"steady"}"#,
    );
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("nothing of steady is broken now"), "{body}");
    let deadline = Instant::now() + Duration::from_secs(8);
    let breaks = loop {
        let (_, status) = http(&addr, "GET", "/api/admin/status", Some(ADMIN));
        let status: serde_json::Value = serde_json::from_str(&status).unwrap();
        let breaks = status["breaks"].as_array().cloned().unwrap_or_default();
        if breaks.len() >= 2 {
            break breaks;
        }
        assert!(Instant::now() < deadline, "no break and restore: {status}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let kinds: Vec<(String, String, String)> = breaks
        .iter()
        .map(|b| {
            let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
            (s(&b["kind"]), s(&b["team"]), s(&b["outcome"]["outcome"]))
        })
        .collect();
    let want = [("break", "scaler", "done"), ("restore", "scaler", "done")];
    let want: Vec<(String, String, String)> = want
        .map(|(k, t, o)| (k.to_owned(), t.to_owned(), o.to_owned()))
        .to_vec();
    assert_eq!(kinds, want, "{breaks:?}");
    let gap = breaks[1]["at_ms"].as_u64().unwrap() - breaks[0]["at_ms"].as_u64().unwrap();
    assert!((1_500..=3_000).contains(&gap), "restored after {gap} ms");
    // A freeze keeps the public board as it was while the game goes on; an unfreeze shows it
    // live again.
    let board = |addr: &str| -> serde_json::Value {
        let (status, body) = http(addr, "GET", "/api/board", None);
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    };
    let (status, body) = http(&addr, "POST", "/api/admin/freeze", Some(ADMIN));
    assert_eq!(status, 200, "{body}");
    let deadline = Instant::now() + Duration::from_secs(5);
    let kept = loop {
        let b = board(&addr);
        if b["frozen"] == true {
            break b;
        }
        assert!(Instant::now() < deadline, "the board never froze: {b}");
        std::thread::sleep(Duration::from_millis(100));
    };
    std::thread::sleep(Duration::from_secs(2));
    let later = board(&addr);
    assert!(
        later["now_ms"].as_u64() > kept["now_ms"].as_u64(),
        "{later}"
    );
    assert_eq!(later["teams"], kept["teams"], "the frozen board moved");
    let (status, body) = http(&addr, "POST", "/api/admin/unfreeze", Some(ADMIN));
    assert_eq!(status, 200, "{body}");
    let deadline = Instant::now() + Duration::from_secs(5);
    while board(&addr)["frozen"] == true {
        assert!(Instant::now() < deadline, "the board never came back");
        std::thread::sleep(Duration::from_millis(100));
    }
    // A new token and a team's name are writes of the web's: they go through the game's
    // one ledger writer, and are in the ledger when the answer comes.
    let (status, body) = http(&addr, "POST", "/api/admin/teams/steady/token", Some(ADMIN));
    assert_eq!(status, 200, "{body}");
    let token: serde_json::Value = serde_json::from_str(&body).unwrap();
    let token = token["token"].as_str().unwrap().to_owned();
    let (status, body) = http_json(
        &addr,
        "POST",
        "/api/team/name",
        Some(&token),
        r#"{"name":"Steady Eddies"}"#,
    );
    assert_eq!(status, 200, "{body}");
    // The game's projection applied it once the ledger stored it: on the board already.
    let named = board(&addr);
    let steady = named["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team"] == "steady")
        .unwrap();
    assert_eq!(steady["name"], "Steady Eddies", "{named}");

    // At 16 s the timeline freezes the public board: it keeps that moment's scores while the
    // organizer's goes on, and a replica reading the ledger shows the same frozen board.
    let deadline = Instant::now() + Duration::from_secs(20);
    let frozen = loop {
        let b = board(&addr);
        if b["frozen"] == true {
            break b;
        }
        assert!(
            Instant::now() < deadline,
            "the timeline never froze the board: {b}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(frozen["now_ms"].as_u64().unwrap() >= 16_000, "{frozen}");
    let mut frozen_replica = util::Killed(
        Command::new(env!("CARGO_BIN_EXE_gameday"))
            .args([
                "serve",
                "--web",
                "127.0.0.1:0",
                "--refresh",
                "200ms",
                "--db",
            ])
            .arg(&db)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let replica_addr = util::serve_address(&mut frozen_replica.0);
    let deadline = Instant::now() + Duration::from_secs(5);
    let replicated = loop {
        let b = board(&replica_addr);
        if b["frozen"] == true {
            break b;
        }
        assert!(Instant::now() < deadline, "the replica never froze: {b}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        replicated["teams"], frozen["teams"],
        "the replica's frozen board differs"
    );
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        board(&addr)["teams"],
        frozen["teams"],
        "the frozen board moved"
    );
    let (_, status) = http(&addr, "GET", "/api/admin/status", Some(ADMIN));
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    let score = |rows: &serde_json::Value, team: &str| -> String {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|t| t["team"] == team)
            .unwrap()["score"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_ne!(
        score(&status["teams"], "steady"),
        score(&frozen["teams"], "steady"),
        "the organizer's board froze too"
    );

    let mut stdout = String::new();
    game.stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert!(game.wait().unwrap().success(), "{stdout}");
    assert!(stdout.contains("ANNOUNCEMENT: Half time!"), "{stdout}");
    assert!(stdout.contains(", 20s of play, ledger"), "{stdout}");
    // Neither the admin token nor a wrong one that was tried appears in what gameday wrote.
    let log = log.lock().unwrap().clone();
    assert!(log.contains("web scoreboard"), "{log}");
    for secret in [ADMIN, WRONG] {
        assert!(
            !stdout.contains(secret) && !log.contains(secret),
            "{secret} was written out:\n{stdout}\n{log}"
        );
    }
    let events = Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args([
            "events",
            "--team",
            "scaler",
            "--source",
            "Organizer",
            "--db",
        ])
        .arg(&db)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&events.stderr).into_owned();
    let events = String::from_utf8_lossy(&events.stdout);
    assert!(
        events.contains("-2.5") && events.contains("Left a debug endpoint open"),
        "{events}{err}"
    );
    assert_eq!(
        events.matches("Left a debug endpoint open").count(),
        1,
        "a retried adjustment was recorded twice: {events}"
    );

    // The public report marks the freeze on its timeline.
    let report = dir.path().join("public.html");
    let written = Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args(["report", "--public", "--out"])
        .arg(&report)
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let report = std::fs::read_to_string(&report).unwrap();
    assert!(
        report.contains("the public board froze"),
        "no freeze in the public report"
    );

    let mut replica = util::Killed(
        Command::new(env!("CARGO_BIN_EXE_gameday"))
            .args(["serve", "--web", "127.0.0.1:0", "--db"])
            .arg(&db)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let addr = util::serve_address(&mut replica.0);
    let (status, board) = http(&addr, "GET", "/api/board", None);
    assert_eq!(status, 200);
    assert!(
        board.contains("\"over\":true") && board.contains("\"score\":\"+"),
        "{board}"
    );
    // Over, the frozen board is revealed: the public see the final scores, on a replica
    // started after the end and on the one that followed the freeze.
    let revealed: serde_json::Value = serde_json::from_str(&board).unwrap();
    assert_eq!(revealed["frozen"], false, "{board}");
    assert_ne!(
        score(&revealed["teams"], "steady"),
        score(&frozen["teams"], "steady")
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while self::board_of(&replica_addr)["teams"] != revealed["teams"] {
        assert!(
            Instant::now() < deadline,
            "the replica that saw the freeze never revealed it"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(frozen_replica);
    assert!(
        board.contains("Steady Eddies"),
        "the name was not stored: {board}"
    );
    // The announcement made live is on the replica's board too: from the ledger's notes.
    assert!(
        board.contains("Half time!"),
        "the replica's board lost the announcement: {board}"
    );
    // The token the live game issued is the one the ledger holds.
    let (status, me) = http(&addr, "GET", "/api/team", Some(&token));
    assert_eq!(status, 200, "{me}");
    assert!(me.contains("steady"), "{me}");
    let (status, _) = http(&addr, "POST", "/api/admin/announce", Some(ADMIN));
    assert_eq!(status, 409, "a replica refuses controls");
}

/// The public board of the web at `addr`.
fn board_of(addr: &str) -> serde_json::Value {
    let (status, body) = http(addr, "GET", "/api/board", None);
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}
