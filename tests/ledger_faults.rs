//! Faults of our own parts: a game whose ledger goes away in the middle (its PostgreSQL
//! server stopped for 8 s in 18 s of play; its SQLite file's disk full for 6 s in 24 s)
//! exits 0 with "game over", keeps every team under load in all but at most 4 of its
//! seconds, tells the organizer once, and leaves a ledger whose rescore equals the live
//! score; a game split over two load workers goes through the same PostgreSQL stop. A game that ends while its
//! ledger is locked waits to write what it decided, and SIGTERM gives that wait up.

#[path = "../scoreboard/ledger/tests/support/postgres.rs"]
#[allow(dead_code)]
mod postgres;
#[path = "game/util.rs"]
mod util;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use scoreboard_ledger::LedgerAt;
use scoreboard_ledger::Recorded;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/ledger-faults.toml"
);
/// The fixture's length in seconds.
const LENGTH_S: u64 = 24;
/// The length of the games through a PostgreSQL stop (which comes earlier than a full disk).
const STOP_LENGTH_S: u64 = 18;
/// How long after its start a game's PostgreSQL server stops: long enough for the game to
/// have written to it, and early enough that the game goes on well after it is back.
const STOP_AFTER: Duration = Duration::from_secs(4);
/// How long after its start a game's disk fills up. Not earlier: a young ledger can go on
/// writing on a full disk for a while (SQLite reuses its write-ahead log's room), and the
/// fault then comes and goes (filled 4 s in, a game was told twice that its ledger was
/// unavailable, and twice that it was "back after 0s").
const DISK_FULL_AFTER: Duration = Duration::from_secs(12);

fn gameday(dir: &Path, args: &[String]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gameday"));
    cmd.env("GAMEDAY_CACHE_DIR", dir.join("cache")).args(args);
    cmd
}

/// A copy in `dir` of `fixture` (a game of `from_s` seconds), `length_s` seconds long.
fn shortened(dir: &Path, fixture: &str, from_s: u64, length_s: u64) -> String {
    let length = format!("duration = \"{length_s}s\"");
    let text = std::fs::read_to_string(fixture)
        .unwrap()
        .replace(&format!("duration = \"{from_s}s\""), &length);
    assert!(text.contains(&length), "{fixture}'s length moved");
    let path = dir.join(Path::new(fixture).file_name().unwrap());
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Starts the game of `scenario`; returns it and the moment it started.
fn play(dir: &Path, scenario: &str, ledger: &[String]) -> (Child, Instant) {
    let mut args: Vec<String> = [
        "play",
        scenario,
        "--no-tui",
        "--no-web",
        "--board-every",
        "0s",
    ]
    .map(String::from)
    .to_vec();
    args.extend_from_slice(ledger);
    let child = gameday(dir, &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, Instant::now())
}

/// Waits for the game (at most 100 s: its play, setup, and the drain) and returns its exit
/// success, stdout and stderr.
fn wait(mut child: Child) -> (bool, String, String) {
    let deadline = Instant::now() + Duration::from_secs(100);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = child.wait().unwrap();
    let (mut out, mut err) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.success(), out, err)
}

/// The score column of the final board (`  1  fleet   123.5  …`), by team.
fn board_scores(out: &str) -> BTreeMap<String, String> {
    let board = out.rsplit("game over at").next().unwrap_or_default();
    board
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let rank = words.next()?;
            rank.parse::<u32>().ok()?;
            Some((words.next()?.to_owned(), words.next()?.to_owned()))
        })
        .collect()
}

/// Checks what the game of `length_s` seconds printed and what its ledger holds.
fn check_game(
    dir: &Path,
    ledger: &[String],
    at: &LedgerAt,
    length_s: u64,
    played: (bool, String, String),
) {
    let (ok, out, err) = played;
    eprintln!("{out}{err}");
    assert!(ok, "the game failed:\n{out}\n{err}");
    let over = format!("game over at 00:{length_s}");
    assert!(out.contains(&over), "{out}\n{err}");
    // Told once that the ledger went away, and once that it came back.
    assert_eq!(
        out.matches("the ledger is unavailable").count(),
        1,
        "{out}\n{err}"
    );
    assert_eq!(out.matches("ledger back after").count(), 1, "{out}\n{err}");
    assert!(out.contains("none lost or doubled"), "{out}");
    // Every team had load in all but at most 4 of the seconds (the fault lasts longer).
    let held = at.open_existing().unwrap();
    let mut seconds: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    held.for_each_cause(&mut |c| {
        if let Recorded::Batch(b) = c
            && b.batch.sends > 0
        {
            seconds
                .entry(b.batch.target.to_string())
                .or_default()
                .insert(b.at.0 / 1000);
        }
    })
    .unwrap();
    assert_eq!(seconds.len(), 3, "{seconds:?}");
    for (team, s) in &seconds {
        assert!(
            s.len() as u64 >= length_s - 4,
            "{team} had load in only {} seconds: {s:?}",
            s.len()
        );
    }
    // A rescore of the ledger changes nothing, and its totals are the live board's.
    let mut args = vec!["rescore".to_owned(), "--dry-run".to_owned()];
    args.extend_from_slice(ledger);
    let rescore = gameday(dir, &args).output().unwrap();
    let text = String::from_utf8_lossy(&rescore.stdout);
    assert!(
        rescore.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&rescore.stderr)
    );
    assert!(text.contains("no event would change"), "{text}");
    let live = board_scores(&out);
    assert_eq!(live.len(), 3, "{out}");
    for (team, score) in &live {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(team))
            .unwrap_or_else(|| panic!("{team} missing from the rescore:\n{text}"));
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            cols[1], score,
            "{team}: stored {} but the live board said {score}",
            cols[1]
        );
        assert_eq!(cols[3], "0", "{line}");
    }
}

/// Two games on one PostgreSQL server that is stopped for 8 s in their middle (one stop for
/// both: the tests take turns with no other test for the server): one played in one
/// process, checked as every game of this file; and one split over two load workers, whose
/// workers say so once, keep their load going, write every batch once it is back, and end
/// with the game, which the coordinator ends with "game over".
#[test]
fn a_postgres_restart_mid_game_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = postgres::url().to_owned();
    let game = postgres::game_id("ledger_faults");
    let ledger = vec![
        "--ledger".to_owned(),
        url.clone(),
        "--game".to_owned(),
        game.clone(),
    ];
    let at = LedgerAt::parse(&url, Some(&game)).unwrap();
    let scenario = shortened(dir.path(), FIXTURE, LENGTH_S, STOP_LENGTH_S);
    let (child, started) = play(dir.path(), &scenario, &ledger);
    let split = SplitGame::start(dir.path(), &url);
    // The answers take a moment to build: wait until the ledger holds the one game and the
    // other's clock started (once both workers joined), then the server goes away.
    let deadline = Instant::now() + Duration::from_secs(60);
    while at.open_existing().is_err() || !split.started() {
        assert!(
            Instant::now() < deadline,
            "the games never started on their ledger"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(STOP_AFTER);
    postgres::stop();
    std::thread::sleep(Duration::from_secs(8));
    postgres::start();
    let played = wait(child);
    eprintln!("game took {:?}", started.elapsed());
    check_game(dir.path(), &ledger, &at, STOP_LENGTH_S, played);
    split.check();
}

/// A game split over two load workers, as long as the other game through the stop.
struct SplitGame {
    at: LedgerAt,
    coordinator: Child,
    workers: Vec<Child>,
}

impl SplitGame {
    fn start(dir: &Path, url: &str) -> SplitGame {
        let game = postgres::game_id("split_faults");
        let at = LedgerAt::parse(url, Some(&game)).unwrap();
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/split.toml");
        let split = &shortened(dir, fixture, 12, STOP_LENGTH_S);
        let start = |args: &[&str]| {
            let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            args.extend(["--ledger".into(), url.into(), "--game".into(), game.clone()]);
            let mut cmd = gameday(dir, &args);
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
            cmd.spawn().unwrap()
        };
        let coordinator = start(
            &["play", split, "--workers", "external", "--grace", "2s"]
                .into_iter()
                .chain(["--no-tui", "--no-web", "--board-every", "0s"])
                .collect::<Vec<_>>(),
        );
        let workers: Vec<Child> = ["0/2", "1/2"]
            .map(|s| start(&["worker", split, "--segment", s]))
            .into();
        SplitGame {
            at,
            coordinator,
            workers,
        }
    }

    /// Whether its clock started.
    fn started(&self) -> bool {
        let session = self.at.open_existing().and_then(|l| l.session());
        session.ok().flatten().is_some()
    }

    /// Waits for its processes and checks what they said and what the ledger holds.
    fn check(self) {
        let (ok, out, err) = wait(self.coordinator);
        assert!(
            ok && out.contains("game over"),
            "coordinator:\n{out}\n{err}"
        );
        let mut said = 0;
        for (i, worker) in self.workers.into_iter().enumerate() {
            let (ok, out, err) = wait(worker);
            assert!(ok, "worker {i} failed:\n{out}\n{err}");
            assert_eq!(
                out.matches("ledger unavailable").count(),
                1,
                "said once: {out}"
            );
            assert!(out.contains("ledger back after"), "{out}");
            assert!(out.contains("the game is over"), "{out}");
            said += util::worker_batches(&out);
        }
        let held = self
            .at
            .open_existing()
            .unwrap()
            .segment_batches_after(0, 1_000_000)
            .unwrap();
        assert_eq!(
            held.len(),
            said,
            "every batch the workers wrote is in the ledger, once"
        );
    }
}

/// A tmpfs of its own, unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    /// Mounts a small tmpfs (root only); `Err` says why it cannot.
    fn mount(dir: &Path) -> Result<SmallDisk, String> {
        SmallDisk::mount_sized(dir, "24m")
    }

    fn mount_sized(dir: &Path, size: &str) -> Result<SmallDisk, String> {
        let at = dir.join("disk");
        std::fs::create_dir(&at).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&at)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(SmallDisk(at))
    }

    /// Fills every free byte with one file, and returns it.
    fn fill(&self) -> std::path::PathBuf {
        let filler = self.0.join("filler");
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        while std::io::Write::write_all(&mut f, &block).is_ok() {}
        // The last bytes, smaller than a block.
        while std::io::Write::write_all(&mut f, &[0u8; 512]).is_ok() {}
        let _ = f.sync_all();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A game on a small disk that is full for 6 s in its middle; returns what it printed.
fn full_disk_game(test: &str, extra: &[&str]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let disk = match SmallDisk::mount(dir.path()) {
        Ok(disk) => disk,
        Err(why) => {
            // Stated, not silent: this machine cannot make a small disk to fill.
            eprintln!("SKIPPED {test}: {why} (needs root for a tmpfs)");
            return None;
        }
    };
    let db = disk.0.join("game.db");
    let mut ledger = vec!["--db".to_owned(), db.display().to_string()];
    let (child, started) = play(
        dir.path(),
        FIXTURE,
        &[
            &ledger[..],
            &extra.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        ]
        .concat(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while !db.exists() {
        assert!(
            Instant::now() < deadline,
            "the game never opened its ledger"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(DISK_FULL_AFTER);
    let filler = disk.fill();
    std::thread::sleep(Duration::from_secs(6));
    std::fs::remove_file(filler).unwrap();
    let played = wait(child);
    eprintln!("game took {:?}", started.elapsed());
    let out = played.1.clone();
    ledger.truncate(2);
    check_game(dir.path(), &ledger, &LedgerAt::File(db), LENGTH_S, played);
    Some(out)
}

/// Two games side by side (no test thread waits for the other), each on a small disk that
/// fills up in its middle: one goes on and loses nothing; the other, with room for only a
/// few causes in memory, pauses itself when they fill it and resumes when the ledger is
/// back: the clock stands still meanwhile, nothing is lost.
#[test]
fn a_full_disk_mid_game_loses_nothing_and_a_full_buffer_pauses_the_game() {
    let test = "a_full_disk_mid_game_loses_nothing_and_a_full_buffer_pauses_the_game";
    let buffered = std::thread::scope(|s| {
        let buffered = s.spawn(|| full_disk_game(test, &["--ledger-buffer", "6"]));
        full_disk_game(test, &[]);
        buffered
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    });
    let Some(out) = buffered else {
        return;
    };
    assert!(
        out.contains("as many as may: the game pauses until it is back"),
        "{out}"
    );
    assert!(
        out.contains("paused: no load, the clock stands still"),
        "{out}"
    );
    assert!(out.contains("resumed after a pause of"), "{out}");
}

/// A game whose ledger cannot fit the free space is refused before it starts, saying how
/// much it needs and what to do.
#[test]
fn a_ledger_that_cannot_fit_the_disk_is_refused_before_the_game() {
    let dir = tempfile::tempdir().unwrap();
    let disk = match SmallDisk::mount_sized(dir.path(), "4m") {
        Ok(disk) => disk,
        Err(why) => {
            eprintln!("SKIPPED a_ledger_that_cannot_fit_the_disk_is_refused: {why}");
            return;
        }
    };
    // Two hours of three teams: about 21 MiB of ledger.
    let text = std::fs::read_to_string(FIXTURE)
        .unwrap()
        .replace(&format!("duration = \"{LENGTH_S}s\""), "duration = \"2h\"");
    assert!(
        text.contains("duration = \"2h\""),
        "the fixture's length moved"
    );
    let scenario = dir.path().join("long.toml");
    std::fs::write(&scenario, text).unwrap();
    let db = disk.0.join("game.db");
    let out = gameday(dir.path(), &[])
        .arg("play")
        .arg(&scenario)
        .args(["--no-tui", "--no-web", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("this game's ledger needs about 21.1 MiB"),
        "{err}"
    );
    assert!(err.contains("Free some space"), "{err}");
    assert!(!db.exists(), "nothing is written before the refusal");
    let check = gameday(dir.path(), &[])
        .arg("check")
        .arg(&scenario)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        text.contains("ledger: about 21.1 MiB (3 teams × 7200 ticks"),
        "{text}"
    );
}

/// A game that ends while another process holds its SQLite ledger's write lock waits at its
/// end to write what it decided; SIGTERM (as Ctrl-C) gives that wait up, saying how much is
/// lost. (The process then waits for the write the ledger's writer has on hand, up to
/// SQLite's busy timeout of 5 s.)
#[test]
fn sigterm_gives_up_the_end_of_game_wait_for_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(FIXTURE)
        .unwrap()
        .replace(&format!("duration = \"{LENGTH_S}s\""), "duration = \"4s\"");
    assert!(
        text.contains("duration = \"4s\""),
        "the fixture's length moved"
    );
    let scenario = dir.path().join("short.toml");
    std::fs::write(&scenario, text).unwrap();
    let db = dir.path().join("game.db");
    let mut child = gameday(dir.path(), &[])
        .arg("play")
        .arg(&scenario)
        .args(["--no-tui", "--no-web", "--board-every", "0s", "--db"])
        .arg(&db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = util::Said::read(&mut child);
    assert!(
        out.said("started", Duration::from_secs(60)),
        "{}",
        out.text()
    );
    let lock = rusqlite::Connection::open(&db).unwrap();
    lock.busy_timeout(Duration::from_secs(10)).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    // The game is over and waits for its ledger (said every 5 s).
    let waiting = out.said("waiting to write them", Duration::from_secs(30));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let status = child.wait().unwrap();
    drop(lock);
    let log = out.finish();
    assert!(waiting, "the game never waited for its ledger:\n{log}");
    assert_eq!(
        status.code(),
        Some(2),
        "SIGTERM during the end's wait: {status}\n{log}"
    );
    assert!(
        log.contains("stopped by SIGTERM before the ledger took"),
        "{log}"
    );
}
