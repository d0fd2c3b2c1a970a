//! The `gameday` binary end to end: hash, keys, answers.

use std::process::{Command, Output};

use hashref::{HashParams, Keyset};

fn gameday(args: &[&str], cache_dir: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gameday"))
        .args(args)
        .env("GAMEDAY_CACHE_DIR", cache_dir)
        .output()
        .expect("gameday runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

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
    for word in ["hash", "keys", "answers"] {
        assert!(help.contains(word), "{help}");
    }
    let out = gameday(&["frobnicate"], dir.path());
    assert_eq!(out.status.code(), Some(2));
}
