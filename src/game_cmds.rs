//! `gameday play`, `replay`, `check` and `completions`: the game runner's commands.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use gameday::game::{self, GameOptions, Report, check_expectations, format_results, junit_xml};
use gameday::scenario::{self, Endpoint, Scenario};

#[derive(clap::Args, Debug)]
pub struct PlayArgs {
    /// The scenario file (TOML; see scenarios/README.md).
    pub scenario: PathBuf,
    /// The ledger file. Given a ledger of this game, the game resumes where its clock is;
    /// without it, a new file `gameday-NAME-UNIXTIME.db` is created here.
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
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
    /// Where the web scoreboard listens (public board, team pages, admin, API).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub web: std::net::SocketAddr,
    /// No web scoreboard.
    #[arg(long)]
    pub no_web: bool,
}

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// The game's ledger (a finished game, or one `gameday play` is writing).
    #[arg(long, value_name = "FILE")]
    pub db: PathBuf,
    /// Where the web scoreboard listens.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub web: std::net::SocketAddr,
    /// How often the ledger is read again.
    #[arg(long, default_value = "2s", value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub refresh: Duration,
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
    let simulated = s
        .teams
        .iter()
        .filter(|t| matches!(t.endpoint, Endpoint::Simulate(_)))
        .count();
    writeln!(
        out,
        "{}: ok: game {:?}, {} long, {} teams ({simulated} simulated), {} timeline entries, {} expectations",
        path.display(),
        s.game.name,
        humantime::format_duration(s.game.duration),
        s.teams.len(),
        s.timeline.len(),
        s.expect.len()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `gameday play`: runs the game live.
pub fn play(args: PlayArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let s = match load(&args.scenario) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let db = args.db.unwrap_or_else(|| fresh_db(&s.game.name));
    let options = GameOptions {
        db: db.clone(),
        board_every: args.board_every,
        answer_cache: !args.no_cache,
    };
    let tui = !args.no_tui && std::io::stdout().is_terminal();
    let mut cockpit = None;
    let mut cockpit_error = None;
    // While the cockpit owns the terminal, the log would scribble over it.
    let mut sink = std::io::sink();
    let log: &mut dyn Write = if tui { &mut sink } else { out };
    let mut web = None;
    let outcome = game::play(&s, &options, log, |view| {
        if !args.no_web {
            web = start_web(args.web, &view, &db, s.game.allow_private_targets);
        }
        if tui {
            match gameday::views::Cockpit::start(view) {
                Ok(c) => cockpit = Some(c),
                Err(e) => cockpit_error = Some(e),
            }
        }
    })
    .with_context(|| format!("game {:?}", s.game.name));
    drop(web);
    if let Some(c) = cockpit {
        c.wait().context("terminal cockpit")?;
    }
    if let Some(e) = cockpit_error {
        return Err(e).context("terminal cockpit");
    }
    let outcome = outcome?;
    writeln!(out, "{}", format_results(&outcome.state))?;
    if !outcome.finished {
        writeln!(
            out,
            "to resume: gameday play {} --db {}",
            args.scenario.display(),
            db.display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `gameday serve`: a read-only web scoreboard of a game's ledger, until Ctrl-C.
pub fn serve(args: ServeArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let mut replica = game::Replica::new(&args.db);
    let live = scoreboard::live::LivePublisher::new(Default::default());
    replica
        .refresh(&live)
        .with_context(|| format!("reading {}", args.db.display()))?;
    let server = gameday::views::WebServer::start(args.web, live.view(), &args.db, false, true)
        .with_context(|| format!("listening on {}", args.web))?;
    writeln!(
        out,
        "read-only scoreboard of {}: http://{}/ (Ctrl-C stops it)",
        args.db.display(),
        server.addr()
    )?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut every = tokio::time::interval(args.refresh);
        loop {
            tokio::select! {
                _ = every.tick() => {
                    if let Err(e) = replica.refresh(&live) {
                        eprintln!("gameday: {e} (trying again)");
                    }
                }
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
    let options = GameOptions {
        db,
        board_every: args.board_every,
        answer_cache: !args.no_cache,
    };
    let outcome =
        game::play(&s, &options, out, |_| {}).with_context(|| format!("game {:?}", s.game.name))?;
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

/// Starts the web scoreboard and says where, with the admin token when it is new. A busy
/// address is reported, and the game goes on without the web pages.
fn start_web(
    addr: std::net::SocketAddr,
    view: &scoreboard::live::LiveView,
    db: &Path,
    allow_private: bool,
) -> Option<gameday::views::WebServer> {
    let server =
        match gameday::views::WebServer::start(addr, view.clone(), db, allow_private, false) {
            Ok(server) => server,
            Err(e) => {
                eprintln!(
                    "gameday: no web scoreboard on {addr}: {e} (choose another with --web ADDR)"
                );
                return None;
            }
        };
    eprintln!(
        "web scoreboard: http://{}/  (teams: /team, organizers: /admin)",
        server.addr()
    );
    match gameday::views::admin_token(db) {
        Ok(Some(token)) => eprintln!(
            "admin token (shown once; `gameday teams --db {} --admin` makes a new one): {token}",
            db.display()
        ),
        Ok(None) => {}
        Err(e) => eprintln!("gameday: no admin token: {e}"),
    }
    eprintln!("team tokens: gameday teams --db {}", db.display());
    Some(server)
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
