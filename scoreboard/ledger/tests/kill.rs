//! Kill -9 at any moment: a child process records to a ledger, is killed with SIGKILL,
//! and resumes. Every acknowledged cause is there, nothing is recorded twice, and the
//! stored events equal a full rescore.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use scoreboard_domain::{Scorer, sort_events};
use scoreboard_ledger::{EventFilter, SqliteLedger, prelude::*, rescore};

fn writer() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ledger-writer"))
}

/// Runs the writer until it has acknowledged `acks` causes, then kills it with SIGKILL.
fn run_and_kill(db: &std::path::Path, acks: usize) -> Vec<String> {
    let mut child = Command::new(writer())
        .arg(db)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut seen = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while seen.len() < acks {
        let line = lines.next().expect("the writer runs until killed").unwrap();
        seen.push(line.strip_prefix("ack ").unwrap().to_owned());
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    seen
}

#[test]
fn killed_writers_lose_nothing_acknowledged_and_double_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kill.db");
    let mut acknowledged = Vec::new();
    for (round, acks) in [37, 5, 120, 64, 9].into_iter().enumerate() {
        let got = run_and_kill(&db, acks);
        assert_eq!(got.len(), acks, "round {round}");
        acknowledged.extend(got);
    }
    let ledger = SqliteLedger::open(&db).unwrap();
    let causes = ledger.causes().unwrap();
    let keys: HashSet<String> = causes.iter().map(|c| c.cause().key()).collect();
    assert_eq!(keys.len(), causes.len(), "a cause recorded twice");
    for key in &acknowledged {
        assert!(keys.contains(key), "acknowledged {key} was lost");
    }
    // Billing blocks: one per block number, numbered without gaps.
    let mut blocks: Vec<u32> = ledger.blocks().unwrap().iter().map(|b| b.block).collect();
    blocks.sort();
    assert!(!blocks.is_empty());
    assert_eq!(blocks, (1..=blocks.len() as u32).collect::<Vec<_>>());
    // Stored events are exactly what the stored causes derive.
    let meta = ledger.meta().unwrap().unwrap();
    let mut stored = ledger.events(&EventFilter::default()).unwrap();
    sort_events(&mut stored);
    assert_eq!(
        rescore(&ledger, &Scorer::new(meta.rules).unwrap()).unwrap(),
        stored
    );
}

#[test]
fn the_writer_answers_help_and_refuses_options_without_touching_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let help = Command::new(writer())
        .arg("--help")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("usage: ledger-writer DB [TEAMS TICKS"));
    let bad = Command::new(writer())
        .arg("--teams")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown option --teams"));
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(files.is_empty(), "created {files:?}");
}
