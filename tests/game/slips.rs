//! `gameday teams --slips` end to end: the real binary writes the printable page from a
//! game's ledger (one card per team, a fresh token each, the ledger keeping only digests),
//! a real `gameday serve` signs each team in with its slip's token, running it again
//! replaces the tokens, and a missing or wrong `--url` is refused naming the flag.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::util::gameday;
use crate::util::{Killed, http};

/// A game's ledger with `teams`, one of which named itself.
fn ledger(db: &Path, teams: &[&str]) {
    use scoreboard_domain::Rules;
    use scoreboard_domain::names::TeamName;
    use scoreboard_ledger::{GameMeta, SqliteLedger, prelude::*};
    let mut ledger = SqliteLedger::open(db).unwrap();
    let meta = GameMeta {
        name: "Slip <Day>".into(),
        seed: 1,
        rules: Rules::default(),
        teams: teams.iter().map(|t| t.to_string()).collect(),
        registering: Vec::new(),
        duration_ms: 0,
    };
    ledger.start_or_resume(&meta, 1).unwrap();
    ledger
        .store_team_name(&TeamName {
            team: teams[1].into(),
            name: "Night Owls".into(),
            by_team: true,
        })
        .unwrap();
}

/// Each card's (team, token), read from the page.
fn cards(html: &str) -> Vec<(String, String)> {
    let between = |text: &str, open: &str, close: &str| -> String {
        let from = text.find(open).unwrap() + open.len();
        text[from..][..text[from..].find(close).unwrap()].to_owned()
    };
    html.split("<article class=\"card\">")
        .skip(1)
        .map(|card| {
            (
                between(card, "<div class=\"team\">", "</div>"),
                between(card, "<code class=\"token\">", "</code>"),
            )
        })
        .collect()
}

/// `gameday serve` on the ledger; its address.
fn serve(db: &Path) -> (Killed, String) {
    let mut child = Killed(
        Command::new(env!("CARGO_BIN_EXE_gameday"))
            .args(["serve", "--web", "127.0.0.1:0", "--db"])
            .arg(db)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.split("http://").nth(1).unwrap().split('/').next();
    (child, addr.unwrap().to_owned())
}

#[test]
fn slips_hold_fresh_tokens_that_sign_each_team_in() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("game.db");
    let teams = [
        "t01", "t02", "t03", "t04", "t05", "t06", "t07", "t08", "t09",
    ];
    ledger(&db, &teams);
    let slips = dir.path().join("slips.html");
    let (db_arg, slips_arg) = (db.to_str().unwrap(), slips.to_str().unwrap());
    let args = [
        "teams",
        "--db",
        db_arg,
        "--slips",
        slips_arg,
        "--url",
        "https://board.example/",
    ];
    let out = gameday(&args, dir.path());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("Wrote 9 slips") && said.contains("Shown once"),
        "{said}"
    );
    let html = std::fs::read_to_string(&slips).unwrap();
    let first = cards(&html);
    let names: Vec<&str> = first.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(names, teams);
    assert_eq!(html.matches("<section class=\"sheet\">").count(), 2);
    assert!(html.contains("<title>Slips · Slip &lt;Day&gt;</title>"));
    assert!(html.contains("<div class=\"name\">Night Owls</div>"));
    assert!(html.contains("https://board.example/team</div>"));
    // The tokens are not printed to the terminal: the page holds them.
    assert!(
        first
            .iter()
            .all(|(_, token)| !said.contains(token.as_str()))
    );

    let (server, addr) = serve(&db);
    for (team, token) in &first {
        let (status, body) = http(&addr, "GET", "/api/team", Some(token));
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(&format!("\"team\":\"{team}\"")), "{body}");
    }
    let (status, _) = http(&addr, "GET", "/api/team", Some("not-from-a-slip"));
    assert_eq!(status, 401);
    drop(server);

    // Running it again replaces every token: the first slips stop working.
    let out = gameday(&args, dir.path());
    assert!(out.status.success());
    let second = cards(&std::fs::read_to_string(&slips).unwrap());
    let (server, addr) = serve(&db);
    let (status, _) = http(&addr, "GET", "/api/team", Some(&first[0].1));
    assert_eq!(status, 401, "an old slip's token");
    let (status, _) = http(&addr, "GET", "/api/team", Some(&second[0].1));
    assert_eq!(status, 200, "a new slip's token");
    drop(server);
}

#[test]
fn slips_need_an_http_board_address_and_a_page_written_before_tokens_change() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("game.db");
    ledger(&db, &["red", "blue"]);
    let slips = dir.path().join("slips.html");
    let (db, slips_arg) = (db.to_str().unwrap(), slips.to_str().unwrap());
    for (args, words) in [
        (vec!["--slips", slips_arg], vec!["--url"]),
        (
            vec!["--slips", slips_arg, "--url", "ftp://board.example"],
            vec!["--url", "not http or https"],
        ),
        (
            vec!["--slips", slips_arg, "--url", "board.example"],
            vec!["--url", "https://board.example"],
        ),
        (vec!["--url", "https://board.example"], vec!["--slips"]),
        (
            vec!["--slips", slips_arg, "--url", "https://b.example", "--csv"],
            vec!["--csv"],
        ),
    ] {
        let out = gameday(&[&["teams", "--db", db][..], &args].concat(), dir.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        for w in words {
            assert!(err.contains(w), "{args:?}: {err}");
        }
        assert!(!slips.exists(), "{args:?} wrote slips");
    }

    // A page that cannot be written leaves the tokens already handed out working.
    use scoreboard_ledger::prelude::*;
    let out = gameday(
        &[
            "teams",
            "--db",
            db,
            "--slips",
            slips_arg,
            "--url",
            "http://b.example",
        ],
        dir.path(),
    );
    assert!(out.status.success());
    let handed_out = cards(&std::fs::read_to_string(&slips).unwrap());
    let nowhere = dir.path().join("no-such-folder/slips.html");
    let args = [
        "--slips",
        nowhere.to_str().unwrap(),
        "--url",
        "http://b.example",
    ];
    let out = gameday(&[&["teams", "--db", db][..], &args].concat(), dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("writing") && err.contains("no-such-folder"),
        "{err}"
    );
    let stored = scoreboard_ledger::SqliteLedger::open_existing(Path::new(db))
        .unwrap()
        .token_hashes()
        .unwrap();
    for (team, token) in handed_out {
        let digest = stored.iter().find(|(o, _)| *o == team).unwrap().1;
        assert!(digest.verify(&token), "{team}'s slip stopped working");
    }
}
