//! Crash consistency, the short form of scripts/crash-consistency.sh: `gameday play` killed
//! with SIGKILL at four moments and restarted on the same ledger each time loses nothing it
//! acknowledged, records no team's tick or billing block twice, charges every block once,
//! and a rescore of the ledger equals its stored events.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use scoreboard_domain::Source;
use scoreboard_ledger::prelude::*;
use scoreboard_ledger::{EventFilter, Recorded, SqliteLedger};

fn play(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gameday"));
    cmd.env("GAMEDAY_CACHE_DIR", dir.join("cache"))
        .arg("play")
        .arg(dir.join("billing.toml"))
        .arg("--db")
        .arg(dir.join("game.db"))
        .args(["--no-tui", "--no-web", "--board-every", "0s", "--acks"])
        .arg(dir.join("acks.txt"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// What the ledger holds: batch ids, (team, tick end) of each batch, block keys.
#[derive(Default)]
struct Held {
    batches: BTreeSet<String>,
    ticks: HashMap<(String, u64), usize>,
    blocks: BTreeSet<String>,
}

fn held(db: &Path) -> Held {
    let ledger = SqliteLedger::open_existing(db).unwrap();
    let mut h = Held::default();
    ledger
        .for_each_cause(&mut |c| match c {
            Recorded::Batch(b) => {
                let id = b.batch.id;
                h.batches.insert(format!(
                    "{} {} {} {}",
                    id.run, id.worker, id.target, id.tick
                ));
                *h.ticks
                    .entry((b.batch.target.to_string(), b.at.0))
                    .or_default() += 1;
            }
            Recorded::Block(b) => {
                h.blocks
                    .insert(format!("{} {} {}", b.team, b.instance, b.block));
            }
            _ => {}
        })
        .unwrap();
    h
}

#[test]
fn a_game_killed_four_times_loses_nothing_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = std::fs::read_to_string("scenarios/ci/billing.toml")
        .unwrap()
        .replace("duration = \"20s\"", "duration = \"25s\"");
    std::fs::write(dir.path().join("billing.toml"), scenario).unwrap();
    // Into startup, then just after the game acknowledged its first tick, its first billing
    // block, and two more ticks: moments the game reached, however slow the machine.
    let acks_file = dir.path().join("acks.txt");
    let count = |kind: &str| {
        std::fs::read_to_string(&acks_file)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with(kind))
            .count()
    };
    let moments: [(&str, usize); 4] = [("", 0), ("batch ", 1), ("block ", 1), ("batch ", 2)];
    for (kind, more) in moments {
        let mut child = play(dir.path()).spawn().unwrap();
        if kind.is_empty() {
            std::thread::sleep(Duration::from_millis(150));
        } else {
            let (before, deadline) = (count(kind), Instant::now() + Duration::from_secs(20));
            while count(kind) < before + more {
                assert!(Instant::now() < deadline, "no {kind}acknowledged in 20 s");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        assert!(child.try_wait().unwrap().is_none(), "ended before its kill");
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    let acks = std::fs::read_to_string(&acks_file).unwrap();
    let (mut acked_batches, mut acked_blocks) = (BTreeSet::new(), BTreeSet::new());
    for line in acks.lines() {
        let (kind, rest) = line.split_once(' ').unwrap();
        let key = rest.rsplit_once(" events=").unwrap().0.to_owned();
        match kind {
            "batch" => acked_batches.insert(key),
            "block" => acked_blocks.insert(key),
            _ => false,
        };
    }
    assert!(
        !acked_batches.is_empty() && !acked_blocks.is_empty(),
        "{acks}"
    );
    let status = play(dir.path()).status().unwrap();
    assert!(status.success());

    let db = dir.path().join("game.db");
    let h = held(&db);
    let lost: Vec<_> = acked_batches.difference(&h.batches).collect();
    assert!(lost.is_empty(), "acknowledged batches lost: {lost:?}");
    let lost: Vec<_> = acked_blocks.difference(&h.blocks).collect();
    assert!(lost.is_empty(), "acknowledged blocks lost: {lost:?}");
    let doubled: Vec<_> = h.ticks.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "ticks recorded twice: {doubled:?}");
    // The last run played to the end: each team's last tick is in.
    for team in ["steady", "scaler"] {
        assert!(h.ticks.contains_key(&(team.to_owned(), 25_000)), "{team}");
    }
    let ledger = SqliteLedger::open_existing(&db).unwrap();
    let charges = ledger
        .events(&EventFilter {
            source: Some(Source::Billing),
            ..EventFilter::default()
        })
        .unwrap();
    let mut per_block: HashMap<String, usize> = HashMap::new();
    for e in &charges {
        *per_block.entry(e.cause.clone()).or_default() += 1;
    }
    assert_eq!(per_block.len(), h.blocks.len(), "every block charged");
    assert!(per_block.values().all(|&n| n == 1), "{per_block:?}");
    drop(ledger);

    let out = Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args(["rescore", "--dry-run", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("no event would change"), "{text}");
}
