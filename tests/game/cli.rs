//! The `gameday` binary end to end: hash, keys, answers.

use std::process::Command;

use crate::util::{gameday, stdout};
use hashref::{HashParams, Keyset};

#[test]
fn hash_prints_the_reference_answer() {
    let dir = tempfile::tempdir().unwrap();
    let out = gameday(&["hash", "3615-7184-2117"], dir.path());
    assert!(out.status.success());
    let expected = HashParams::default().answer("3615-7184-2117");
    assert_eq!(stdout(&out), format!("{expected}\n"));

    let out = gameday(&["hash", "1-2-3", "--iterations", "5"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("three groups of four digits"), "{err}");

    let out = gameday(&["hash", "1234-1234-1234", "--iterations", "0"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("iterations must be at least 1"));
}

#[test]
fn keys_prints_the_keyset_one_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = gameday(&["keys", "--seed", "9", "--count", "25"], dir.path());
    assert!(out.status.success());
    let expected: Vec<String> = Keyset::generate(9, 25)
        .unwrap()
        .keys()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(stdout(&out).lines().collect::<Vec<_>>(), expected);

    let out = gameday(&["keys", "--count", "0"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("between 1 and"));
}

#[test]
fn answers_are_computed_once_then_read_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "answers",
        "--count",
        "200",
        "--iterations",
        "100",
        "--seed",
        "4",
    ];
    let first = gameday(&args, dir.path());
    assert!(first.status.success(), "{first:?}");
    assert!(stdout(&first).contains("200 answers (100 iterations)"));
    assert!(
        stdout(&first).ends_with(": computed\n"),
        "{}",
        stdout(&first)
    );
    let second = gameday(&args, dir.path());
    assert!(
        stdout(&second).contains(": read from "),
        "{}",
        stdout(&second)
    );
    assert!(stdout(&second).contains(dir.path().to_str().unwrap()));
}

#[test]
fn help_describes_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = gameday(&["--help"], dir.path());
    let help = stdout(&out);
    for word in [
        "play",
        "replay",
        "check",
        "completions",
        "hash",
        "keys",
        "answers",
        "events",
        "rescore",
        "report",
        "runbook",
    ] {
        assert!(help.contains(word), "{help}");
    }
    let out = gameday(&["replay", "--help"], dir.path());
    let help = stdout(&out);
    for flag in ["--db", "--report-json", "--junit", "exit 0"] {
        assert!(help.contains(flag), "{help}");
    }
    let out = gameday(&["frobnicate"], dir.path());
    assert_eq!(out.status.code(), Some(2));
}

/// An option that takes one of a set of words refuses any other, naming the allowed ones
/// (a typo in `--workers` used to be refused only because of a hand-kept list beside the
/// `match` that read it).
#[test]
fn a_wrong_word_for_an_option_set_is_refused_with_the_allowed_ones() {
    let dir = tempfile::tempdir().unwrap();
    for (args, allowed) in [
        (
            &["play", "scenarios/demo.toml", "--workers", "extrnal"][..],
            "[possible values: local, external]",
        ),
        (
            &["events", "--db", "game.db", "--source", "lodgen"][..],
            "[possible values: LoadGen, Billing, Organizer, Engine]",
        ),
    ] {
        let out = gameday(args, dir.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("invalid value") && err.contains(allowed),
            "{err}"
        );
    }
    // Any case names a source, as the web API's `source=` does.
    let db = dir.path().join("game.db");
    small_game(&db);
    let db = db.to_str().unwrap();
    let out = gameday(&["events", "--db", db, "--source", "billing"], dir.path());
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout(&out).lines().all(|l| l.contains("Billing")),
        "{out:?}"
    );
}

#[test]
fn completions_cover_every_command() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = gameday(&["completions", shell], dir.path());
        assert!(out.status.success(), "{shell}");
        let script = stdout(&out);
        for word in ["replay", "report-json", "completions"] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
    }
    let out = gameday(&["completions", "tcsh"], dir.path());
    assert_eq!(out.status.code(), Some(2));
}

/// A small game in a ledger: two teams, a few batches, a billing block.
fn small_game(path: &std::path::Path) {
    use loadgen::{BatchId, Outcome, OutcomeBatch};
    use scoreboard_domain::{BillingBlock, GameTime, Rules, Scorer};
    use scoreboard_ledger::{GameMeta, Recorded, RecordedBatch, SqliteLedger, prelude::*};
    let mut ledger = SqliteLedger::open(path).unwrap();
    let rules = Rules::default();
    let meta = GameMeta {
        name: "cli".into(),
        seed: 1,
        rules: rules.clone(),
        teams: vec!["alpha".into(), "bravo".into()],
        registering: Vec::new(),
        duration_ms: 0,
    };
    ledger.start_or_resume(&meta, 0).unwrap();
    let scorer = Scorer::new(rules).unwrap();
    let mut items = Vec::new();
    for (t, team) in ["alpha", "bravo"].iter().enumerate() {
        for tick in 0..3u64 {
            let id = BatchId {
                run: 1,
                worker: 0,
                target: t as u32,
                tick,
            };
            let mut b = OutcomeBatch::new(id, (*team).into());
            let key = hashref::Key::from_groups([1, 2, 3]);
            let answer = hashref::unicorn_hash(key.as_str(), "s", 1);
            let lat = std::time::Duration::from_millis(20);
            for _ in 0..(10 + t) {
                b.record(Outcome::Correct, key, answer, Some((lat, lat)));
            }
            b.record(Outcome::HttpStatus(503), key, answer, Some((lat, lat)));
            let at = GameTime((tick + 1) * 60_000);
            items.push(Recorded::Batch(Box::new(RecordedBatch { at, batch: b })));
        }
    }
    items.push(Recorded::Block(BillingBlock {
        team: "bravo".into(),
        instance: "i-0abc".into(),
        instance_type: "t2.micro".into(),
        block: 1,
        anchor: GameTime(0),
        at: GameTime(0),
    }));
    let with: Vec<_> = items
        .into_iter()
        .map(|r| {
            let e = scorer.events(&r);
            (r, e)
        })
        .collect();
    ledger.record(&with).unwrap();
}

#[test]
fn events_prints_what_teams_see() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("game.db");
    small_game(&db);
    let db_arg = db.to_str().unwrap();
    let out = gameday(&["events", "--db", db_arg, "--team", "bravo"], dir.path());
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert!(
        text.contains("EC2 i-0abc (t2.micro) running: 15-minute block #1 started ($8)"),
        "{text}"
    );
    assert!(
        text.contains("+11  LoadGen    11 correct answers"),
        "{text}"
    );
    assert!(!text.contains("alpha"));
    // A team is found by the public name it chose too; an unknown one is an error that
    // lists the game's teams, not an empty answer.
    {
        use scoreboard_ledger::prelude::*;
        let mut ledger = scoreboard_ledger::SqliteLedger::open(&db).unwrap();
        let name = scoreboard_domain::names::TeamName {
            team: "bravo".into(),
            name: "Red Pandas".into(),
            by_team: true,
        };
        ledger.store_team_name(&name).unwrap();
    }
    let named = gameday(
        &["events", "--db", db_arg, "--team", "Red Pandas"],
        dir.path(),
    );
    assert_eq!(stdout(&named), text);
    let out = gameday(&["events", "--db", db_arg, "--team", "nosuch"], dir.path());
    assert!(!out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(r#"no team "nosuch""#) && err.contains(r#"bravo ("Red Pandas")"#),
        "{err}"
    );
    assert_eq!(err.matches("no team").count(), 1, "{err}");
    let out = gameday(
        &[
            "events", "--db", db_arg, "--since", "2m", "--json", "--source", "loadgen",
        ],
        dir.path(),
    );
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 8, "2 teams × 2 ticks × (correct, 503)");
    assert!(
        lines
            .iter()
            .all(|l| l["at_ms"].as_u64().unwrap() >= 120_000 && l["source"] == "LoadGen")
    );
    // The web API's shape: points as text and as milli-points, the team, the seq.
    let first = &lines[0];
    let milli = first["points_milli"].as_i64().unwrap();
    assert_eq!(
        first["points"],
        scoreboard_domain::Points(milli).to_string()
    );
    assert!(
        first["team"].is_string() && first["seq"].is_u64(),
        "{first}"
    );
    assert!(first.get("milli_points").is_none(), "{first}");
    let out = gameday(&["events", "--db", "/nonexistent/game.db"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no ledger at"));
}

#[test]
fn rescore_under_new_rules_shows_the_difference() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("game.db");
    small_game(&db);
    let db_arg = db.to_str().unwrap();
    // Same rules: nothing changes.
    let out = gameday(&["rescore", "--db", db_arg, "--dry-run"], dir.path());
    let text = stdout(&out);
    assert!(text.contains("no event would change"), "{text}");
    assert!(text.contains("alpha") && text.contains("+28.5"), "{text}");
    // 503s cost 2 points instead of 0.5: alpha loses 4.5 more, bravo too.
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "status_5xx = -2\n[billing]\npoints_per_dollar = 10\n",
    )
    .unwrap();
    let out = gameday(
        &[
            "rescore",
            "--db",
            db_arg,
            "--rules",
            rules.to_str().unwrap(),
        ],
        dir.path(),
    );
    let text = stdout(&out);
    assert!(out.status.success(), "{out:?}");
    let bravo = text.lines().find(|l| l.starts_with("bravo")).unwrap();
    // bravo: 33 correct − 3 × 0.5 − 400 = −368.5 before; 33 − 6 − 80 = −53 after.
    assert_eq!(
        bravo.split_whitespace().collect::<Vec<_>>(),
        ["bravo", "-368.5", "-53", "+315.5"]
    );
    let out = gameday(
        &[
            "events", "--db", db_arg, "--team", "bravo", "--source", "billing",
        ],
        dir.path(),
    );
    assert!(stdout(&out).contains("-80"), "{}", stdout(&out));
    // A bad rules file names the file and the field.
    std::fs::write(&rules, "status_5xx = 3\n").unwrap();
    let out = gameday(
        &[
            "rescore",
            "--db",
            db_arg,
            "--rules",
            rules.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rules.toml") && err.contains("status_5xx is a penalty"),
        "{err}"
    );
}

#[test]
fn teams_hands_out_tokens_once_and_keeps_only_digests() {
    use scoreboard_domain::Rules;
    use scoreboard_ledger::{GameMeta, SqliteLedger, prelude::*};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("game.db");
    let mut ledger = SqliteLedger::open(&db).unwrap();
    let meta = GameMeta {
        name: "tokens".into(),
        seed: 1,
        rules: Rules::default(),
        teams: vec!["red".into(), "blue, ltd".into()],
        registering: Vec::new(),
        duration_ms: 0,
    };
    ledger.start_or_resume(&meta, 1).unwrap();
    drop(ledger);
    let db_arg = db.to_str().unwrap();
    let out = gameday(&["teams", "--db", db_arg, "--csv"], dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = stdout(&out);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "team,token");
    let red = lines[1].strip_prefix("red,").unwrap().to_owned();
    let blue = lines[2].strip_prefix("\"blue, ltd\",").unwrap().to_owned();
    let stored = SqliteLedger::open_existing(&db)
        .unwrap()
        .token_hashes()
        .unwrap();
    let digest = |who: &str| stored.iter().find(|(o, _)| o == who).unwrap().1;
    assert!(digest("red").verify(&red) && digest("blue, ltd").verify(&blue));
    // One team again: its old token stops working, the other team's does not.
    let out = gameday(&["teams", "--db", db_arg, "--team", "red"], dir.path());
    let text = stdout(&out);
    let new_red = text
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .to_owned();
    let stored = SqliteLedger::open_existing(&db)
        .unwrap()
        .token_hashes()
        .unwrap();
    let digest = |who: &str| stored.iter().find(|(o, _)| o == who).unwrap().1;
    assert!(digest("red").verify(&new_red) && !digest("red").verify(&red));
    assert!(digest("blue, ltd").verify(&blue));
    assert!(text.contains("Shown once"), "{text}");
    let out = gameday(&["teams", "--db", db_arg, "--team", "green"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no team \"green\"") && err.contains("red"),
        "{err}"
    );
}

#[test]
fn a_worker_raises_open_files_and_says_when_the_hard_limit_is_too_low() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("game.db");
    // The demo may hold 4 teams × 200 connections: past a hard limit of 300. The worker then
    // waits for a coordinator that never comes, and is stopped.
    let script = format!(
        "ulimit -n 300; exec timeout -s INT 3 {} worker scenarios/demo.toml --segment 0/1 --db {}",
        env!("CARGO_BIN_EXE_gameday"),
        db.display()
    );
    let run = |script: &str| {
        let out = Command::new("sh")
            .args(["-c", script])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("GAMEDAY_CACHE_DIR", dir.path())
            .output()
            .unwrap();
        format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr))
    };
    let text = run(&script);
    assert!(
        text.contains("warning: open files are limited to 300,")
            && text.contains("may hold 800 connections"),
        "{text}"
    );
    // A low soft limit alone is raised to the hard one: never left at 100.
    let text = run(&script.replace("ulimit -n 300", "ulimit -S -n 100"));
    assert!(text.contains("segment 0/1"), "{text}");
    assert!(!text.contains("limited to 100,"), "{text}");
}

#[test]
fn a_game_too_big_for_the_machine_is_refused_before_anything_is_built() {
    let dir = tempfile::tempdir().unwrap();
    // A million requests in flight for each of 200 teams × 16 servers: terabytes.
    let mut text = String::from(
        "[game]\nname = \"huge\"\nduration = \"1m\"\nallow_private_targets = true\n\
         [keyset]\ncount = 1000000\n[load]\nclients = 1\nmax_in_flight = 1000000\n",
    );
    for t in 0..200 {
        let urls: Vec<String> = (0..16).map(|s| format!("http://10.1.{t}.{s}")).collect();
        text.push_str(&format!("[[team]]\nname = \"t{t}\"\nurl = {urls:?}\n"));
    }
    let path = dir.path().join("huge.toml");
    std::fs::write(&path, text).unwrap();
    let path = path.to_str().unwrap();
    let cache = dir.path().join("cache");
    for command in ["replay", "play"] {
        let out = gameday(&[command, path], &cache);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {err}");
        assert!(
            err.contains("would be killed for want of memory")
                && err.contains("once the teams are slow")
                && err.contains("up to 200000000 connections"),
            "{command}: {err}"
        );
        // Refused before the answers were computed: none were cached.
        let cached = std::fs::read_dir(&cache).map_or(0, |d| d.count());
        assert_eq!(cached, 0, "{command}");
    }
    let out = gameday(&["check", path], dir.path());
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("memory: about "), "{}", stdout(&out));
}

/// A scenario whose options would hang is refused at once by check and replay (exit 2,
/// naming the keys); one that runs honours SIGTERM within 5 s, even against a team that
/// never answers and a long request timeout.
#[test]
fn no_scenario_hangs_and_sigterm_ends_a_replay_in_time() {
    let dir = tempfile::tempdir().unwrap();
    // A team that accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = accepted.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(stream);
        }
    });
    let scenario = |load: &str| {
        format!(
            "[game]\nname = \"hang\"\nduration = \"10m\"\nallow_private_targets = true\n\
             [keyset]\ncount = 20\n[hash]\niterations = 1\n[load]\n{load}\ntimeout = \"5m\"\n\
             [[team]]\nname = \"a\"\nurl = \"http://127.0.0.1:{port}\"\n"
        )
    };
    let over = dir.path().join("over.toml");
    std::fs::write(&over, scenario("clients = 50\nmax_in_flight = 10")).unwrap();
    for command in ["check", "replay"] {
        let out = gameday(&[command, over.to_str().unwrap()], dir.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {err}");
        assert!(
            err.contains("load.max_in_flight") && err.contains("load.clients"),
            "{command}: {err}"
        );
    }
    let hang = dir.path().join("hang.toml");
    std::fs::write(&hang, scenario("clients = 5")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args(["replay", hang.to_str().unwrap()])
        .env("GAMEDAY_CACHE_DIR", dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let waited = std::time::Instant::now();
    while accepted.load(std::sync::atomic::Ordering::SeqCst) < 5 {
        assert!(
            waited.elapsed() < std::time::Duration::from_secs(60),
            "no load came"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // SAFETY: kill sends a signal to our own child; no memory is touched.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let sent = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if sent.elapsed() > std::time::Duration::from_secs(5) {
            child.kill().unwrap();
            panic!("gameday replay still ran 5 s after SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(
        status.code().is_some(),
        "ended by a signal: {status:?}, {err}"
    );
}

/// `check` refuses what `play` would: a scenario billed from the AWS API, in a gameday built
/// without it (with it, both go on).
#[test]
fn check_refuses_aws_billing_as_play_does_without_the_aws_feature() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/real-game.toml");
    let check = gameday(&["check", scenario], dir.path());
    let err = String::from_utf8_lossy(&check.stderr);
    if cfg!(feature = "aws") {
        assert!(check.status.success(), "{err}");
        return;
    }
    assert_eq!(check.status.code(), Some(2), "{}", stdout(&check));
    assert!(
        err.contains("real-game.toml: this scenario bills from the AWS API, but this gameday was built without it"),
        "{err}"
    );
    assert!(!stdout(&check).contains(": ok"), "{}", stdout(&check));
    let db = dir.path().join("real.db");
    let play = gameday(
        &[
            "play",
            scenario,
            "--no-tui",
            "--no-web",
            "--db",
            db.to_str().unwrap(),
        ],
        dir.path(),
    );
    let played = String::from_utf8_lossy(&play.stderr);
    assert_eq!(play.status.code(), Some(2), "{played}");
    assert!(
        played.contains("this gameday was built without it"),
        "{played}"
    );
}

#[test]
fn check_says_how_many_teams_register_their_own_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/ci/register.toml");
    let out = gameday(&["check", scenario], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let said = stdout(&out);
    assert!(
        said.contains("2 teams (1 simulated, 1 real, 1 team registers its own endpoint)"),
        "{said}"
    );
}

/// `gameday runbook`: the handout of a scenario, written whole; a bad board address or an
/// invalid scenario is refused with exit 2, saying what is wrong, and writes nothing.
#[test]
fn runbook_writes_the_handout_of_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/real-game.toml");
    let html = dir.path().join("runbook.html");
    let html_arg = html.to_str().unwrap();
    let args = [
        "runbook",
        scenario,
        "--url",
        "https://board.example/",
        "--out",
        html_arg,
    ];
    let out = gameday(&args, dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout(&out).starts_with(&format!("wrote {html_arg} (")),
        "{}",
        stdout(&out)
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!doctype html>"), "{page}");
    assert!(
        page.contains("<a href=\"https://board.example/team\">"),
        "{page}"
    );
    assert!(page.contains(HashParams::default().answer("3615-7184-2117").as_str()));
    assert!(!dir.path().join("runbook.html.part").exists());

    let out = gameday(
        &[
            "runbook",
            scenario,
            "--url",
            "https://board.example",
            "--markdown",
            "--out",
            "-",
        ],
        dir.path(),
    );
    assert!(out.status.success());
    assert!(
        stdout(&out).starts_with("# Unicorn Rentals GameDay: the runbook\n"),
        "{}",
        stdout(&out)
    );

    // A bad board address and an invalid scenario: exit 2, what is wrong, nothing written.
    let other = dir.path().join("other.html");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[game]\nname = \"x\"\nduration = \"soon\"\n").unwrap();
    let refusals = [
        (
            scenario,
            "board.example",
            &["--url board.example: not an http:// or https:// address"][..],
        ),
        (
            bad.to_str().unwrap(),
            "https://b.example",
            &["bad.toml:3:", "game.duration"][..],
        ),
    ];
    for (file, url, said) in refusals {
        let args = [
            "runbook",
            file,
            "--url",
            url,
            "--out",
            other.to_str().unwrap(),
        ];
        let out = gameday(&args, dir.path());
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(said.iter().all(|part| err.contains(part)), "{err}");
        assert!(!other.exists());
    }
}
