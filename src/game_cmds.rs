//! `gameday play`, `replay`, `check` and `completions`: the game runner's commands.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use gameday::game::{self, GameOptions, Report, check_expectations, format_results, junit_xml};
use gameday::scenario::{self, Endpoint, Scenario};
use loadgen::ExecSegment;
use scoreboard::LedgerAt;

use crate::ledger_args::{LedgerArgs, game_id};

#[derive(clap::Args, Debug)]
pub struct WorkerArgs {
    /// The scenario file: the same one the coordinator plays.
    pub scenario: PathBuf,
    /// Which segment of every team's schedule this worker sends: INDEX/COUNT with INDEX
    /// from 0 (on Kubernetes: `$(JOB_COMPLETION_INDEX)/N` of an Indexed Job). The segments
    /// of one COUNT together are exactly the whole schedule.
    #[arg(long, value_name = "I/N", value_parser = parse_segment)]
    pub segment: ExecSegment,
    /// The shared ledger (`--ledger postgres://…`, or a SQLite file on one machine).
    #[command(flatten)]
    pub ledger: LedgerArgs,
    /// Neither read nor write the disk cache of expected answers.
    #[arg(long)]
    pub no_cache: bool,
}

fn parse_segment(text: &str) -> Result<ExecSegment, String> {
    text.parse()
        .map_err(|e: loadgen::LoadgenError| e.to_string())
}

#[derive(clap::Args, Debug)]
pub struct PlayArgs {
    /// The scenario file (TOML; see scenarios/README.md).
    pub scenario: PathBuf,
    /// The ledger: given one of this game, the game resumes where its clock is; without
    /// --db or --ledger, a new file `gameday-NAME-UNIXTIME.db` is created here. In a
    /// PostgreSQL ledger the game id defaults to the game's name (`Spring Day` → spring-day).
    #[command(flatten)]
    pub ledger: LedgerArgs,
    /// Who sends the load: `local` (this process) or `external` (`gameday worker`
    /// processes on the same PostgreSQL ledger; this one scores, bills, runs the timeline and
    /// the views).
    #[arg(long, default_value = "local", value_name = "WHO", value_parser = ["local", "external"])]
    pub workers: String,
    /// With external workers: how long a tick waits for a missing worker's batch before its
    /// share is voided (an Engine event; no team loses points for it).
    #[arg(long, default_value = "5s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub grace: Duration,
    /// Print the plain-text scoreboard this often (`0s`: only at the end).
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub board_every: Duration,
    /// No terminal cockpit: print the log and a plain-text board instead (the default when
    /// stdout is not a terminal).
    #[arg(long)]
    pub no_tui: bool,
    /// Neither read nor write the disk cache of expected answers.
    #[arg(long)]
    pub no_cache: bool,
    /// Where the web scoreboard listens (public board, team pages, admin, API) [default:
    /// 127.0.0.1:8080, and when that is taken the game goes on without it]. An address given
    /// here that is taken is refused before the game begins.
    #[arg(long, value_name = "ADDR")]
    pub web: Option<std::net::SocketAddr>,
    /// No web scoreboard.
    #[arg(long)]
    pub no_web: bool,
    /// Append a line to FILE for every batch, billing block, adjustment and void once the
    /// ledger has committed it (for scripts/crash-consistency.sh).
    #[arg(long, value_name = "FILE", hide = true)]
    pub acks: Option<PathBuf>,
    /// While the ledger is unavailable (PostgreSQL restarting, a full disk), up to this many
    /// causes (outcome batches, billing blocks, adjustments) wait in memory and the game goes
    /// on; when as many wait, the game pauses until the ledger is back. Nothing is lost.
    #[arg(long, default_value_t = game::DEFAULT_LEDGER_BUFFER, value_name = "CAUSES")]
    pub ledger_buffer: usize,
}

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// The game's ledger (a finished game, or one `gameday play` is writing).
    #[command(flatten)]
    pub ledger: LedgerArgs,
    /// Where the web scoreboard listens.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub web: std::net::SocketAddr,
    /// How often the ledger is read again.
    #[arg(long, default_value = "2s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub refresh: Duration,
    /// The game's scenario file: its faults and simulated teams' steps are marked on the
    /// charts of /report (the ledger holds the pauses, announcements and URL changes).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    /// The scenario file, with its `[[expect]]` entries.
    pub scenario: PathBuf,
    /// Keep the ledger in this file (by default a temporary file, removed at the end).
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Write the results and verdicts as JSON.
    #[arg(long, value_name = "FILE")]
    pub report_json: Option<PathBuf>,
    /// Write the verdicts as JUnit XML (one test case per expectation).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Print the plain-text scoreboard this often while the game runs.
    #[arg(long, default_value = "0s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub board_every: Duration,
    /// Neither read nor write the disk cache of expected answers.
    #[arg(long)]
    pub no_cache: bool,
}

/// Loads a scenario; an invalid one is reported as it is and exits with 2.
fn load(path: &Path) -> Result<Scenario, ExitCode> {
    scenario::load(path).map_err(|e| {
        eprintln!("gameday: {e}");
        ExitCode::from(2)
    })
}

/// `gameday check`: validates without running and says what the game is.
pub fn check(path: &Path, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let s = match load(path) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    // What `play` would refuse, check refuses too.
    if let Err(e) = game::billing_supported(&s.billing) {
        eprintln!("gameday: {}: {e}", path.display());
        return Ok(ExitCode::from(2));
    }
    let count = |simulated: bool| {
        s.teams
            .iter()
            .filter(|t| matches!(t.endpoint, Endpoint::Simulate(_)) == simulated)
            .count()
    };
    let registering = s
        .teams
        .iter()
        .filter(|t| t.endpoint == Endpoint::Registers)
        .count();
    let registers = match registering {
        0 => String::new(),
        1 => ", 1 team registers its own endpoint".to_owned(),
        n => format!(", {n} teams register their own endpoint"),
    };
    writeln!(
        out,
        "{}: ok: game {:?}, {} long, {} ({} simulated, {} real{registers}), {}, {}",
        path.display(),
        s.game.name,
        humantime::format_duration(s.game.duration),
        counted(s.teams.len(), "team", "teams"),
        count(true),
        count(false),
        counted(s.timeline.len(), "timeline entry", "timeline entries"),
        counted(s.expect.len(), "expectation", "expectations")
    )?;
    let needs = gameday::capacity::Needs::of(&s, 1);
    writeln!(
        out,
        "memory: about {} to play it in one process",
        gameday::capacity::size(needs.total())
    )?;
    if let Some(Err(why)) = gameday::capacity::Machine::this().map(|m| needs.judge(m)) {
        writeln!(out, "warning: on this machine, {why}")?;
    }
    let ledger = gameday::disk::estimate(&s);
    let free = gameday::disk::free_bytes(Path::new("."));
    writeln!(
        out,
        "ledger: about {} ({} teams × {} ticks; a SQLite file here has {} free)",
        gameday::capacity::size(ledger),
        s.teams.len(),
        gameday::disk::ticks(&s, s.game.duration),
        free.map_or_else(|| "unknown".to_owned(), gameday::capacity::size)
    )?;
    if let Some(Err(why)) = free.map(|f| gameday::disk::judge(ledger, f, Path::new("."))) {
        writeln!(out, "warning: {why}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `gameday play`: runs the game live.
pub fn play(args: PlayArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let s = match load(&args.scenario) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let at = match args.ledger.at(Some(&game_id(&s.game.name)))? {
        Some(at) => at,
        None => LedgerAt::File(fresh_db(&s.game.name)),
    };
    let workers = match args.workers.as_str() {
        "external" => game::Workers::External { grace: args.grace },
        _ => game::Workers::Local,
    };
    // With external workers this process sends no load.
    let segments = u32::from(workers == game::Workers::Local);
    if let Err(code) = fits_machine(&s, segments, out)? {
        return Ok(code);
    }
    if let Err(code) = fits_disk(&s, &at, out)? {
        return Ok(code);
    }
    if segments > 0 {
        raise_open_files(&s, 1, out)?;
    }
    // Before the answers are built or the web bound: a second player of the game refuses
    // at once.
    let _lock = game::PlayLock::take(&at).with_context(|| format!("game {:?}", s.game.name))?;
    let mut listener = match web_listener(&args) {
        Ok(listener) => listener,
        Err(code) => return Ok(code),
    };
    let options = GameOptions {
        ledger: at.clone(),
        workers,
        board_every: args.board_every,
        answer_cache: !args.no_cache,
        acks: args.acks.clone(),
        ledger_buffer: args.ledger_buffer,
    };
    let tui = !args.no_tui && std::io::stdout().is_terminal();
    let mut cockpit = None;
    let mut cockpit_error = None;
    // While the cockpit owns the terminal, the log would scribble over it.
    let mut sink = std::io::sink();
    let log: &mut dyn Write = if tui { &mut sink } else { out };
    let mut web = None;
    let outcome = game::play(&s, &options, log, |view| {
        if let Some(listener) = listener.take() {
            web = start_web(listener, &view, &at, &s);
        }
        if tui {
            match gameday::views::Cockpit::start(view) {
                Ok(c) => cockpit = Some(c),
                Err(e) => cockpit_error = Some(e),
            }
        }
    });
    drop(web);
    if let Some(c) = cockpit {
        c.wait().context("terminal cockpit")?;
    }
    if let Some(e) = cockpit_error {
        return Err(e).context("terminal cockpit");
    }
    let outcome = match outcome {
        Ok(outcome) => outcome,
        // Stopped before it began: the organizer's choice, as a stop during the game is.
        Err(e @ game::GameError::NotStarted { .. }) => {
            writeln!(out, "{e}")?;
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => return Err(e).with_context(|| format!("game {:?}", s.game.name)),
    };
    writeln!(out, "{}", format_results(&outcome.state))?;
    if !outcome.finished {
        say_resume(&args.scenario, &at, out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The command that resumes a stopped game.
fn say_resume(scenario: &Path, at: &LedgerAt, out: &mut dyn Write) -> std::io::Result<()> {
    let again = match at {
        LedgerAt::File(db) => format!("--db {}", db.display()),
        LedgerAt::Postgres { game, .. } => format!("--ledger URL --game {game}"),
    };
    writeln!(
        out,
        "to resume: gameday play {} {again}",
        scenario.display()
    )
}

/// `gameday serve`: a read-only web scoreboard of a game's ledger, until Ctrl-C.
pub fn serve(args: ServeArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let at = args.ledger.required()?;
    let markers = match &args.scenario {
        Some(path) => match load(path) {
            Ok(s) => gameday::debrief::markers(&s),
            Err(code) => return Ok(code),
        },
        None => Vec::new(),
    };
    let mut replica = game::Replica::new(at.clone());
    let live = scoreboard::live::LivePublisher::new(Default::default());
    replica
        .refresh(&live)
        .with_context(|| format!("reading {at}"))?;
    let server = std::net::TcpListener::bind(args.web)
        .and_then(|listener| {
            gameday::views::WebServer::serve(listener, live.view(), &at, false, true, markers)
        })
        .with_context(|| format!("listening on {}", args.web))?;
    writeln!(
        out,
        "read-only scoreboard of {at}: http://{}/ (Ctrl-C stops it)",
        server.addr()
    )?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // The replica reads the ledger on a thread of its own: a ledger that stops answering
    // never holds up Ctrl-C. A ledger that fails is said once, and again when it is back.
    let mut news = replica.follow(live, args.refresh)?;
    runtime.block_on(async {
        loop {
            tokio::select! {
                Some(news) = news.recv() => match news {
                    game::ReplicaNews::Failed(e) => eprintln!(
                        "gameday: {} (the board shows what was read before; trying again every {})",
                        loadgen::error_chain(&e),
                        humantime::format_duration(args.refresh)
                    ),
                    game::ReplicaNews::Back => eprintln!("gameday: the ledger answers again"),
                },
                _ = tokio::signal::ctrl_c() => break,
            }
        }
    });
    server.stop()?;
    Ok(ExitCode::SUCCESS)
}

/// `gameday replay`: plays headless, then checks the expectations: 0 all hold, 1 one
/// fails (or the game was stopped), 2 the scenario is invalid.
pub fn replay(args: ReplayArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let s = match load(&args.scenario) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let temp = tempfile::Builder::new()
        .prefix("gameday-replay")
        .suffix(".db")
        .tempfile()?;
    let db = args.db.clone().unwrap_or_else(|| temp.path().to_owned());
    if let Err(code) = fits_machine(&s, 1, out)? {
        return Ok(code);
    }
    if let Err(code) = fits_disk(&s, &LedgerAt::File(db.clone()), out)? {
        return Ok(code);
    }
    raise_open_files(&s, 1, out)?;
    let lock = game::PlayLock::take(&LedgerAt::File(db.clone()))
        .with_context(|| format!("game {:?}", s.game.name))?;
    let options = GameOptions {
        ledger: LedgerAt::File(db),
        workers: game::Workers::Local,
        board_every: args.board_every,
        answer_cache: !args.no_cache,
        acks: None,
        ledger_buffer: game::DEFAULT_LEDGER_BUFFER,
    };
    let outcome = game::play(&s, &options, out, |_| {});
    drop(lock);
    if args.db.is_none() {
        // The temporary ledger's lock file goes with it (no other process knows of it).
        let _ = std::fs::remove_file(game::lock_path(temp.path()));
    }
    let outcome = outcome.with_context(|| format!("game {:?}", s.game.name))?;
    let verdicts = check_expectations(&s.expect, &outcome.state);
    writeln!(out, "\n{}", format_results(&outcome.state))?;
    for v in &verdicts {
        writeln!(out, "{v}")?;
    }
    let report = Report::new(
        &args.scenario.display().to_string(),
        &s.game.name,
        &outcome.state,
        verdicts,
        outcome.hooks,
        outcome.finished,
    );
    if let Some(path) = &args.report_json {
        let json = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.junit {
        std::fs::write(path, junit_xml(&report))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let failed = report.expectations.iter().filter(|v| !v.ok).count();
    let summary = match (outcome.finished, failed) {
        (false, _) => "the game was stopped before its end: not a pass".to_owned(),
        (true, 0) => format!("all {} expectations hold", report.expectations.len()),
        (true, n) => format!("{n} of {} expectations failed", report.expectations.len()),
    };
    writeln!(out, "{}: {summary}", args.scenario.display())?;
    Ok(if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Where the web scoreboard listens unless `--web` says.
const DEFAULT_WEB: std::net::SocketAddr =
    std::net::SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8080);

/// The web scoreboard's socket, bound before the game begins: none with --no-web. An address
/// given with --web that is taken is refused (exit 2); the default one taken is said, and the
/// game goes on without the web pages (the demo runs where something else has 8080).
fn web_listener(args: &PlayArgs) -> Result<Option<std::net::TcpListener>, ExitCode> {
    if args.no_web {
        return Ok(None);
    }
    let addr = args.web.unwrap_or(DEFAULT_WEB);
    match std::net::TcpListener::bind(addr) {
        Ok(listener) => Ok(Some(listener)),
        Err(e) if args.web.is_some() => {
            eprintln!(
                "gameday: the web scoreboard cannot listen on {addr}: {e} (choose another \
                 address with --web ADDR, or --no-web)"
            );
            Err(ExitCode::from(2))
        }
        Err(e) => {
            eprintln!(
                "gameday: no web scoreboard on {addr}: {e}; the game goes on without it \
                 (choose another address with --web ADDR)"
            );
            Ok(None)
        }
    }
}

/// Starts the web scoreboard on its bound socket and says where, with the admin token when
/// it is new. One that cannot start is reported, and the game goes on without the web pages.
fn start_web(
    listener: std::net::TcpListener,
    view: &scoreboard::live::LiveView,
    at: &LedgerAt,
    scenario: &Scenario,
) -> Option<gameday::views::WebServer> {
    let allow_private = scenario.game.allow_private_targets;
    let markers = gameday::debrief::markers(scenario);
    let addr = listener
        .local_addr()
        .map_or_else(|_| "its address".to_owned(), |a| a.to_string());
    let server = match gameday::views::WebServer::serve(
        listener,
        view.clone(),
        at,
        allow_private,
        false,
        markers,
    ) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("gameday: no web scoreboard on {addr}: {e}");
            return None;
        }
    };
    // The admin token is in the ledger before the address is out: a request that follows
    // the address at once finds it.
    let admin = gameday::views::admin_token(at);
    eprintln!(
        "web scoreboard: http://{}/  (teams: /team, organizers: /admin)",
        server.addr()
    );
    match admin {
        Ok(Some(token)) => eprintln!(
            "admin token (shown once; `gameday teams {} --admin` makes a new one): {token}",
            ledger_flags(at)
        ),
        Ok(None) => {}
        Err(e) => eprintln!("gameday: no admin token: {e}"),
    }
    eprintln!("team tokens: gameday teams {}", ledger_flags(at));
    Some(server)
}

/// The options that name a ledger, for a command to suggest (a URL is not repeated: it may
/// hold a password; GAMEDAY_LEDGER carries it).
fn ledger_flags(at: &LedgerAt) -> String {
    match at {
        LedgerAt::File(db) => format!("--db {}", db.display()),
        LedgerAt::Postgres { game, .. } => format!("--game {game} (with GAMEDAY_LEDGER set)"),
    }
}

/// `gameday worker`: sends one segment of a split game's load until the game ends.
pub fn worker(args: WorkerArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let s = match load(&args.scenario) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    if let Err(code) = fits_machine(&s, args.segment.count(), out)? {
        return Ok(code);
    }
    let Some(at) = args.ledger.at(Some(&game_id(&s.game.name)))? else {
        anyhow::bail!(
            "a worker needs the game's shared ledger: --ledger postgres://… (or GAMEDAY_LEDGER)"
        );
    };
    let ledger = at.open().with_context(|| format!("opening {at}"))?;
    writeln!(out, "segment {} of {:?} on {at}", args.segment, s.game.name)?;
    raise_open_files(&s, args.segment.count(), out)?;
    game::work(&s, args.segment, at, ledger, !args.no_cache, out)
        .with_context(|| format!("worker {} of {:?}", args.segment, s.game.name))?;
    Ok(ExitCode::SUCCESS)
}

/// Refuses a game that cannot fit this machine's memory (exit 2, saying what would happen)
/// and warns about one that takes more than half of it; `segments` is the share of the
/// load this process sends (0: none).
fn fits_machine(
    s: &Scenario,
    segments: u32,
    out: &mut dyn Write,
) -> anyhow::Result<Result<(), ExitCode>> {
    let Some(machine) = gameday::capacity::Machine::this() else {
        return Ok(Ok(()));
    };
    judged(
        gameday::capacity::Needs::of(s, segments).judge(machine),
        out,
    )
}

/// A SQLite ledger's disk must hold what the game will write (less what a resumed ledger
/// already holds): refused when it cannot, warned when it is tight.
fn fits_disk(
    s: &Scenario,
    at: &LedgerAt,
    out: &mut dyn Write,
) -> anyhow::Result<Result<(), ExitCode>> {
    let Some(file) = at.file() else {
        return Ok(Ok(()));
    };
    let Some(free) = gameday::disk::free_bytes(file) else {
        return Ok(Ok(()));
    };
    let held = std::fs::metadata(file).map_or(0, |m| m.len());
    let need = gameday::disk::estimate(s).saturating_sub(held);
    let place = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    judged(gameday::disk::judge(need, free, place), out)
}

/// A capacity verdict acted on: a refusal is printed and exits 2, a warning goes to `out`.
fn judged(
    verdict: Result<Option<String>, String>,
    out: &mut dyn Write,
) -> anyhow::Result<Result<(), ExitCode>> {
    match verdict {
        Err(why) => {
            eprintln!("gameday: {why}");
            Ok(Err(ExitCode::from(2)))
        }
        Ok(warning) => {
            if let Some(warning) = warning {
                writeln!(out, "{warning}")?;
            }
            Ok(Ok(()))
        }
    }
}

/// Files a process needs besides its team connections: the ledger, the web, the fleet's
/// listeners, stdio.
const OPEN_FILES_SPARE: u64 = 256;

/// Raises the soft open-files limit to the hard one (Kubernetes has no per-pod ulimit; a
/// shell's soft 1024 is far too few for a game), and says so when even that is below what
/// the scenario may hold open: every team at its in-flight cap, shared by `segments`.
fn raise_open_files(s: &Scenario, segments: u32, out: &mut dyn Write) -> anyhow::Result<()> {
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0);
    let connections =
        (s.teams.len() as u64 * s.load.max_in_flight as u64).div_ceil(segments.max(1) as u64);
    let need = connections + OPEN_FILES_SPARE;
    if limit != 0 && limit < need {
        writeln!(
            out,
            "warning: open files are limited to {limit}, and this game may hold {connections} \
             connections at once ({} teams × load.max_in_flight {}{}): past the limit, \
             requests fail as connect errors. Raise the hard limit (ulimit -Hn, or the \
             container runtime's), lower load.max_in_flight, or split the load over more workers.",
            s.teams.len(),
            s.load.max_in_flight,
            if segments > 1 {
                format!(", over {segments} workers")
            } else {
                String::new()
            },
        )?;
    }
    Ok(())
}

/// A new ledger file in the current directory, named after the game and the time.
fn fresh_db(name: &str) -> PathBuf {
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    PathBuf::from(format!("gameday-{slug}-{secs}.db"))
}

/// `1 team`, `2 teams`.
fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
