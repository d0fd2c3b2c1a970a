//! The game loop never waits on the database: two 20-second games on one PostgreSQL server,
//! one played in one process and one split over two load workers, while the server stops
//! answering for 8 s (its processes stopped with SIGSTOP, so connections hang instead of
//! being refused). During the freeze each coordinator's board clock goes on and an admin
//! control answers; each game ends on time; its ledger holds every batch once, and a rescore
//! equals the live board. The split game's workers go on too: their loops notice the freeze
//! while their reads hang, and every batch of the freeze's seconds is scored, none voided.
//! Then, while the server is frozen again, a read-only replica of the split game stops at
//! Ctrl-C at once, and so does a game that gives up its end-of-game wait for the frozen
//! server at SIGTERM (its writer's request on hand never holds the exit).

#[path = "game/util.rs"]
mod util;

#[path = "../scoreboard/ledger/tests/support/postgres.rs"]
#[allow(dead_code)]
mod postgres;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use scoreboard_domain::Source;
use scoreboard_ledger::{EventFilter, LedgerAt, Recorded};

const SCENARIO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/frozen-ledger.toml"
);
const ADMIN: &str = "tok-frozen-ledger-admin";
/// The scenario's length, its teams and its ticks.
const LENGTH_MS: u64 = 20_000;
const TEAMS: [&str; 2] = ["fleet", "cached"];
const FREEZE: Duration = Duration::from_secs(8);

fn gameday(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gameday"));
    cmd.env("GAMEDAY_CACHE_DIR", dir.join("cache"))
        .env("GAMEDAY_ADMIN_TOKEN", ADMIN)
        .env_remove("GAMEDAY_LEDGER");
    cmd
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// The processes of the PostgreSQL server listening on `port` (the postmaster first, then
/// its children), found in /proc: the postmaster is the `postgres` started with `-p PORT`.
fn server_processes(port: &str) -> Vec<u32> {
    let pids: Vec<u32> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    let args = |pid: u32| -> Vec<String> {
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|b| {
                b.split(|c| *c == 0)
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let postmaster = pids
        .iter()
        .copied()
        .find(|pid| {
            let a = args(*pid);
            a.first().is_some_and(|p| p.ends_with("postgres"))
                && a.windows(2).any(|w| w[0] == "-p" && w[1] == port)
        })
        .unwrap_or_else(|| panic!("no PostgreSQL server on port {port} in /proc"));
    let parent = |pid: u32| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        stat.rsplit_once(')')?
            .1
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    let mut all = vec![postmaster];
    all.extend(pids.into_iter().filter(|p| parent(*p) == Some(postmaster)));
    all
}

/// The server's processes stopped with SIGSTOP; continued when dropped (a failed assertion
/// never leaves the shared server frozen).
struct Frozen(Vec<u32>);

impl Frozen {
    fn freeze(port: &str) -> Frozen {
        let pids = server_processes(port);
        signal("-STOP", &pids);
        Frozen(pids)
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        let mut pids = self.0.clone();
        pids.reverse();
        signal("-CONT", &pids);
    }
}

fn signal(sig: &str, pids: &[u32]) {
    let status = Command::new("kill")
        .arg(sig)
        .args(pids.iter().map(u32::to_string))
        .status()
        .unwrap();
    assert!(status.success(), "kill {sig} {pids:?} failed");
}

/// One game's coordinator: its process, web address, log and ledger.
struct Coordinator {
    child: Child,
    addr: String,
    log: Arc<Mutex<String>>,
    args: Vec<String>,
    at: LedgerAt,
    /// When it exited, in Unix ms.
    exited_unix_ms: Option<u64>,
}

fn ledger_args(game: &str) -> Vec<String> {
    let url = postgres::url().to_owned();
    vec!["--ledger".into(), url, "--game".into(), game.into()]
}

fn spawn(cmd: &mut Command) -> Child {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// A request to the game at `addr`, given up after 5 s: its status and body, or why not.
fn ask(addr: &str, method: &'static str, path: &'static str) -> Result<(u16, String), String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let addr = addr.to_owned();
    std::thread::spawn(move || {
        let token = (method == "POST").then_some(ADMIN);
        let _ = tx.send(util::http(&addr, method, path, token));
    });
    rx.recv_timeout(Duration::from_secs(5))
        .map_err(|_| format!("{method} {path}: no answer within 5 s"))
}

/// The board clock of the game at `addr`, in game milliseconds.
fn board_clock(addr: &str) -> Result<u64, String> {
    let (status, body) = ask(addr, "GET", "/api/board")?;
    assert_eq!(status, 200, "{body}");
    let board: serde_json::Value = serde_json::from_str(&body).unwrap();
    Ok(board["now_ms"].as_u64().unwrap())
}

/// The score column of the final board (`  1  fleet   123.5  …`), by team.
fn board_scores(out: &str) -> BTreeMap<String, String> {
    let board = out.rsplit("game over at").next().unwrap_or_default();
    board
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            words.next()?.parse::<u32>().ok()?;
            Some((words.next()?.to_owned(), words.next()?.to_owned()))
        })
        .collect()
}

fn read_all(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut text).unwrap();
    }
    if let Some(mut err) = child.stderr.take() {
        err.read_to_string(&mut text).unwrap();
    }
    text
}

/// Waits for every process (at most `within`), noting when each ended.
fn wait_all(children: &mut [&mut Child], ended: &mut [Option<u64>], within: Duration) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline && ended.iter().any(Option::is_none) {
        for (child, ended) in children.iter_mut().zip(ended.iter_mut()) {
            if ended.is_none() && child.try_wait().unwrap().is_some() {
                *ended = Some(unix_ms());
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What the game's ledger holds is what its board said, each batch once.
fn check_ledger(dir: &std::path::Path, c: &Coordinator, out: &str, split: bool) {
    let ledger = c.at.open_existing().unwrap();
    let mut seen = HashSet::new();
    let mut per_tick: HashMap<(String, u64), u32> = HashMap::new();
    ledger
        .for_each_cause(&mut |cause| {
            if let Recorded::Batch(b) = cause {
                let id = &b.batch.id;
                assert!(
                    seen.insert((id.run, id.worker, id.target, id.tick)),
                    "doubled {id}"
                );
                *per_tick
                    .entry((b.batch.target.to_string(), id.tick))
                    .or_default() += 1;
            }
        })
        .unwrap();
    for team in TEAMS {
        for tick in 0..LENGTH_MS / 1000 {
            assert_eq!(
                per_tick.get(&(team.to_owned(), tick)),
                Some(&1),
                "{team}'s tick {tick} is not scored once\n{out}"
            );
        }
    }
    if split {
        // A frozen ledger is our fault, not a lost worker: no share is voided.
        let voids: Vec<_> = ledger
            .events(&EventFilter {
                source: Some(Source::Engine),
                ..EventFilter::default()
            })
            .unwrap()
            .into_iter()
            .filter(|e| e.reason.contains("load worker"))
            .collect();
        assert!(voids.is_empty(), "shares voided: {voids:?}\n{out}");
    }
    // A rescore of the ledger changes nothing, and its totals are the live board's.
    let mut args = vec!["rescore".to_owned(), "--dry-run".to_owned()];
    args.extend_from_slice(&c.args);
    let rescore = gameday(dir).args(&args).output().unwrap();
    let text = String::from_utf8_lossy(&rescore.stdout);
    assert!(rescore.status.success(), "{text}");
    assert!(text.contains("no event would change"), "{text}");
    let live = board_scores(out);
    assert_eq!(live.len(), TEAMS.len(), "{out}");
    for (team, score) in &live {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(team))
            .unwrap_or_else(|| panic!("{team} missing from the rescore:\n{text}"));
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            cols[1], score,
            "{team}: stored {line} but the board said {score}"
        );
    }
}

/// What the games' names are in the test's words.
const NAMES: [&str; 2] = ["one-process game", "split game"];

#[test]
fn a_frozen_postgres_never_stops_the_game_loop() {
    let dir = tempfile::tempdir().unwrap();
    let url = postgres::url().to_owned();
    let port = url
        .rsplit_once(':')
        .and_then(|(_, rest)| rest.split('/').next())
        .unwrap()
        .to_owned();
    let (mut games, mut workers) = start_games(dir.path());
    // Both clocks past 4 s of play: then the server stops answering.
    let deadline = Instant::now() + Duration::from_secs(90);
    while games
        .iter()
        .any(|g| board_clock(&g.addr).is_ok_and(|t| t < 4_000))
    {
        assert!(Instant::now() < deadline, "the games never got going");
        std::thread::sleep(Duration::from_millis(200));
    }
    // The organizer's page is open (its token known to the web) before the freeze.
    for g in &games {
        let (status, body) = ask(&g.addr, "POST", "/api/admin/announce").unwrap();
        assert_eq!(status, 200, "{body}");
    }
    let frozen = Frozen::freeze(&port);
    watch_the_freeze(&games);
    drop(frozen);
    // Each game ends on time: within a few seconds of its length after its start.
    {
        let [single, split] = &mut games;
        let mut children: Vec<&mut Child> = vec![&mut single.child, &mut split.child];
        children.extend(workers.iter_mut());
        let mut ended = vec![None; children.len()];
        wait_all(&mut children, &mut ended, Duration::from_secs(60));
        single.exited_unix_ms = ended[0];
        split.exited_unix_ms = ended[1];
        for (i, e) in ended.iter().enumerate() {
            if e.is_none() {
                children[i].kill().unwrap();
            }
        }
    }
    let said = workers_said(&mut workers);
    for (i, g) in games.iter_mut().enumerate() {
        let status = g.child.wait().unwrap();
        let out = format!("{}\n{}", read_all(&mut g.child), g.log.lock().unwrap());
        assert!(status.success(), "the {} failed:\n{out}", NAMES[i]);
        assert!(out.contains("game over at 00:20"), "{out}");
        assert!(out.contains("ANNOUNCEMENT: Half time!"), "{out}");
        let session = g.at.open_existing().unwrap().session().unwrap().unwrap();
        let exited = g.exited_unix_ms.expect("exited");
        let late = exited.saturating_sub(session.started_unix_ms + LENGTH_MS);
        assert!(
            late < 8_000,
            "the {} exited {late} ms after its end\n{out}",
            NAMES[i]
        );
        check_ledger(dir.path(), g, &out, i == 1);
    }
    let held = games[1]
        .at
        .open_existing()
        .unwrap()
        .segment_batches_after(0, 1_000_000)
        .unwrap();
    assert_eq!(
        held.len(),
        said,
        "every worker batch is in the ledger, once"
    );
    nothing_waits_for_a_frozen_ledger_at_exit(dir.path(), &games[1].args, &port);
}

/// Starts the one-process game, the split game and its two workers; returns the
/// coordinators once their web boards answer, and the workers.
fn start_games(dir: &std::path::Path) -> ([Coordinator; 2], Vec<Child>) {
    let start = |game: &str, extra: &[&str]| {
        let args = ledger_args(&postgres::game_id(game));
        let mut cmd = gameday(dir);
        cmd.args(["play", SCENARIO, "--no-tui", "--web", "127.0.0.1:0"])
            .args(["--board-every", "0s"])
            .args(extra)
            .args(&args);
        (spawn(&mut cmd), args)
    };
    let (single, single_args) = start("frozen-single", &[]);
    let (split, split_args) = start("frozen-split", &["--workers", "external", "--grace", "2s"]);
    let workers: Vec<Child> = ["0/2", "1/2"]
        .map(|s| {
            spawn(
                gameday(dir)
                    .args(["worker", SCENARIO, "--segment", s])
                    .args(&split_args),
            )
        })
        .into();
    let coordinator = |mut child: Child, args: Vec<String>| {
        let (addr, log) = util::web_address(child.stderr.take().unwrap());
        let at = LedgerAt::parse(&args[1], Some(&args[3])).unwrap();
        Coordinator {
            child,
            addr,
            log,
            args,
            at,
            exited_unix_ms: None,
        }
    };
    let games = [
        coordinator(single, single_args),
        coordinator(split, split_args),
    ];
    (games, workers)
}

/// During the freeze: each board's clock moves on by at least 5 s, and an admin
/// announcement answers within 2 s.
fn watch_the_freeze(games: &[Coordinator; 2]) {
    let froze = Instant::now();
    let mut clocks: Vec<Vec<Result<u64, String>>> = vec![Vec::new(); games.len()];
    let mut answered = vec![None; games.len()];
    while froze.elapsed() < FREEZE {
        for (i, g) in games.iter().enumerate() {
            clocks[i].push(board_clock(&g.addr));
        }
        if answered[0].is_none() && froze.elapsed() > Duration::from_secs(3) {
            for (i, g) in games.iter().enumerate() {
                let asked = Instant::now();
                let reply = ask(&g.addr, "POST", "/api/admin/announce");
                answered[i] = Some((reply, asked.elapsed()));
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    for (i, readings) in clocks.iter().enumerate() {
        let read: Vec<u64> = readings
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .copied()
            .collect();
        let moved = read.last().unwrap_or(&0) - read.first().unwrap_or(&0);
        assert!(
            moved >= 5_000,
            "the {}'s board clock moved {moved} ms in an {FREEZE:?} freeze: {readings:?}",
            NAMES[i]
        );
        let (reply, took) = answered[i].clone().expect("asked");
        assert!(
            reply.as_ref().is_ok_and(|(status, _)| *status == 200) && took < Duration::from_secs(2),
            "the {}'s admin control during the freeze answered {reply:?} after {took:?}",
            NAMES[i]
        );
    }
}

/// Waits for the workers; the batches they said they wrote, in all. Each worker's loop went
/// on during the freeze: it said, 3 s into it while its read hung, that the ledger did not
/// answer (a loop waiting on that read could only have said so once it came back, 8 s in).
fn workers_said(workers: &mut [Child]) -> usize {
    let mut said = 0;
    for (i, w) in workers.iter_mut().enumerate() {
        let status = w.wait().unwrap();
        let out = read_all(w);
        assert!(status.success(), "worker {i} failed:\n{out}");
        // Said at 3 s, when the loop is free (a second or two late on a loaded machine).
        let noticed = out.lines().find_map(|l| {
            let rest = l.split_once("the ledger has not answered for ")?.1;
            rest.split_once('s')?.0.parse::<u64>().ok()
        });
        assert!(
            noticed.is_some_and(|s| s <= 5) && out.contains("the ledger answered again after"),
            "worker {i}'s loop did not go on during the freeze:\n{out}"
        );
        said += util::worker_batches(&out);
    }
    said
}

/// Under one more freeze: a read-only replica (`gameday serve`) of the split game reads its
/// ledger off its loop, so Ctrl-C stops it at once even while the ledger does not answer;
/// and a game whose server froze before its end waits for it at the end, SIGTERM gives
/// that wait up, and the process exits while the server is still frozen (the writer, stuck
/// in its request on hand, is left behind, not joined).
fn nothing_waits_for_a_frozen_ledger_at_exit(dir: &std::path::Path, ledger: &[String], port: &str) {
    use std::io::BufRead;
    let mut serve = spawn(
        gameday(dir)
            .args(["serve", "--web", "127.0.0.1:0", "--refresh", "200ms"])
            .args(ledger),
    );
    // The replica serves before the game starts: the game must not end before the freeze.
    let mut line = String::new();
    std::io::BufReader::new(serve.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("http://"), "{line}");
    let scenario = dir.join("short.toml");
    let text = std::fs::read_to_string(SCENARIO)
        .unwrap()
        .replace("duration = \"20s\"", "duration = \"5s\"");
    assert!(
        text.contains("duration = \"5s\""),
        "the fixture's length moved"
    );
    std::fs::write(&scenario, text).unwrap();
    let mut game = spawn(
        gameday(dir)
            .arg("play")
            .arg(&scenario)
            .args(["--no-tui", "--no-web", "--board-every", "0s"])
            .args(ledger_args(&postgres::game_id("frozen-give-up"))),
    );
    let out = util::Said::read(&mut game);
    assert!(
        out.said("started", Duration::from_secs(60)),
        "{}",
        out.text()
    );
    let frozen = Frozen::freeze(port);
    // A refresh is under way by now, waiting for the ledger.
    std::thread::sleep(Duration::from_secs(1));
    signal("-INT", &[serve.id()]);
    let asked = Instant::now();
    let mut ended = [None];
    wait_all(&mut [&mut serve], &mut ended, Duration::from_secs(5));
    let took = asked.elapsed();
    if ended[0].is_none() {
        serve.kill().unwrap();
    }
    let status = serve.wait().unwrap();
    assert!(
        ended[0].is_some() && took < Duration::from_secs(3),
        "the replica took {took:?} to stop at Ctrl-C while the ledger was frozen ({status})"
    );
    // The game is over and waits for its ledger (said every 5 s).
    assert!(
        out.said("waiting to write them", Duration::from_secs(30)),
        "{}",
        out.text()
    );
    signal("-TERM", &[game.id()]);
    let mut ended = [None];
    wait_all(&mut [&mut game], &mut ended, Duration::from_secs(10));
    drop(frozen);
    if ended[0].is_none() {
        game.kill().unwrap();
    }
    let status = game.wait().unwrap();
    let out = out.finish();
    assert!(
        ended[0].is_some(),
        "the game gave up its wait but did not exit while the ledger was frozen ({status})\n{out}"
    );
    assert!(
        out.contains("stopped by SIGTERM before the ledger took"),
        "{out}"
    );
}
