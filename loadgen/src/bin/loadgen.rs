//! `loadgen`: the team test utility (the original game's `server-bang`). Points verified,
//! open-model load at a URL and says how right and how fast the answers were.

use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use hashref::{AnswerCache, HashParams, Keyset, ZipfPicker};
use indicatif::{ProgressBar, ProgressStyle};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use loadgen::{
    Engine, EngineConfig, FailIf, Interruption, LoadgenError, MAX_RATE, Pacing, RateSchedule,
    RequestShape, RunSummary, Signal, Stop, Target, TargetLimits,
};

/// Sends verified load to a team's server and reports correctness and latency.
///
/// Every answer is checked against the reference hash. With --rate (the open model) R
/// requests a second are due whatever the server does, R × D in all for --duration D, the
/// first at once; latency is measured from when each was due, so a stalled server cannot
/// hide its stall (the latency from the actual send is shown beside it). With --clients, or
/// with neither flag, closed clients (10 unless --clients says) each send their next request
/// when their answer came.
///
/// Exit codes: 0 done, with at least one correct answer; 1 not one answer was correct (a
/// wrong URL, a server down, a hash that does not match), or a --fail-if condition was met;
/// 2 bad flags or the run could not start; 130 cut short by Ctrl-C (143 by SIGTERM): the
/// summary of what ran still prints, and says where it was cut.
#[derive(Parser, Debug)]
#[command(version, about, long_about)]
struct Args {
    /// Base URL of the server (several: round robin), e.g. http://127.0.0.1:8000 or
    /// https://team.example
    #[arg(required = true, value_name = "URL")]
    urls: Vec<String>,
    #[command(flatten)]
    load: LoadArgs,
    #[command(flatten)]
    keys: KeyArgs,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    output: OutputArgs,
}

/// How much load, for how long.
#[derive(clap::Args, Debug)]
#[command(next_help_heading = "Load")]
struct LoadArgs {
    /// Open model: requests per second, whatever the server does (above 0, up to 1000000).
    /// With neither --rate nor --clients: 10 closed clients.
    #[arg(long, conflicts_with = "clients", value_name = "R", value_parser = parse_rate,
          allow_negative_numbers = true)]
    rate: Option<f64>,
    /// Closed model: clients that each wait for their answer before the next request (1 to
    /// 100000). With neither --rate nor --clients: 10 closed clients.
    #[arg(long, value_name = "C", value_parser = in_range(1usize, 100_000),
          allow_negative_numbers = true)]
    clients: Option<usize>,
    /// How long to send (above zero).
    #[arg(long, default_value = "10s", value_parser = parse_positive_duration,
          value_name = "D", allow_hyphen_values = true)]
    duration: Duration,
    /// Stop after this many requests instead of after --duration (at least 1).
    #[arg(long, value_name = "N", value_parser = parse_requests,
          allow_negative_numbers = true)]
    requests: Option<u64>,
    /// Requests in flight at most (1 to 1000000); in the open model a request due past it is
    /// `dropped`. [default: 1000, or --clients if more]
    #[arg(long, value_name = "N", value_parser = in_range(1usize, 1_000_000),
          allow_negative_numbers = true)]
    max_in_flight: Option<usize>,
    /// Load threads (each a single-threaded runtime; 1 to 1024).
    #[arg(long, default_value_t = 1, value_name = "N", hide_short_help = true,
          value_parser = in_range(1usize, 1024), allow_negative_numbers = true)]
    runtimes: usize,
    /// With several URLs: `round-robin` makes them one team's servers; `separate` makes each
    /// its own target, with its own connections, cap and timeouts (for benchmarks of many
    /// teams in one process).
    #[arg(long, value_enum, default_value_t = Targets::RoundRobin, hide_short_help = true)]
    targets: Targets,
}

/// What several URLs are.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Targets {
    /// One team's servers, taken in turn.
    RoundRobin,
    /// A target each.
    Separate,
}

/// The keys asked for and the hash that answers them.
#[derive(clap::Args, Debug)]
#[command(next_help_heading = "Keys and hash")]
struct KeyArgs {
    /// Size of the keyset (the same keys as `gameday keys --seed S --count N`).
    #[arg(long, default_value_t = 1000, value_name = "N",
          value_parser = in_range(1usize, hashref::MAX_KEYSET), allow_negative_numbers = true)]
    keys: usize,
    /// Seed of the keyset and of the key picks.
    #[arg(long, default_value_t = 1, value_name = "S")]
    seed: u64,
    /// Zipf exponent of key popularity (0 is uniform, up to 5).
    #[arg(long, default_value_t = ZipfPicker::DEFAULT_EXPONENT, value_name = "X",
          value_parser = in_range(0.0, ZipfPicker::MAX_EXPONENT), allow_negative_numbers = true)]
    zipf: f64,
    /// PBKDF2 iterations of the hash (must match the server's).
    #[arg(long, default_value_t = HashParams::default().iterations, value_name = "N")]
    iterations: u32,
    /// PBKDF2 salt of the hash (must match the server's).
    #[arg(long, default_value_t = HashParams::default().salt, value_name = "S")]
    salt: String,
    /// Path and query of each request, with {key} where the key goes.
    #[arg(long, default_value = "/calc?input={key}", value_name = "TEMPLATE")]
    shape: String,
    /// Do not read or write the expected-answer cache.
    #[arg(long, hide_short_help = true)]
    no_cache: bool,
}

/// What each request may take, and whom https trusts.
#[derive(clap::Args, Debug)]
#[command(next_help_heading = "Limits")]
struct LimitArgs {
    /// Time allowed for each whole request (above zero).
    #[arg(long, default_value_t = Span(loadgen::DEFAULT_TIMEOUT),
          value_parser = parse_positive_span, value_name = "D", allow_hyphen_values = true)]
    timeout: Span,
    /// Time allowed to open a connection (above zero; the same default as a scenario's).
    #[arg(long, default_value_t = Span(loadgen::DEFAULT_CONNECT_TIMEOUT),
          value_parser = parse_positive_span, value_name = "D", allow_hyphen_values = true)]
    connect_timeout: Span,
    /// Bytes of body read at most (64 to 67108864); past it the answer is `too_large`.
    #[arg(long, default_value_t = TargetLimits::default().body_cap, value_name = "BYTES",
          value_parser = in_range(64usize, 64 << 20), allow_negative_numbers = true)]
    max_body: usize,
    /// Response headers allowed (1 to 1000; a head is also held to 64 KiB); past it the
    /// answer is `too_large`.
    #[arg(long, default_value_t = TargetLimits::default().max_headers, value_name = "N",
          value_parser = in_range(1usize, loadgen::MAX_HEADERS), allow_negative_numbers = true)]
    max_headers: usize,
    /// PEM file of a private CA to trust for https URLs, beside the system's roots (a
    /// venue's CA, or your own for a self-signed endpoint).
    #[arg(long, value_name = "FILE")]
    cacert: Option<std::path::PathBuf>,
}

/// What the run prints, and when it fails.
#[derive(clap::Args, Debug)]
#[command(next_help_heading = "Output")]
struct OutputArgs {
    /// Print one JSON object instead of the human summary.
    #[arg(long)]
    json: bool,
    /// Exit 1 when any condition holds, e.g. error_rate>0.01,p99>5s,wrong>0
    #[arg(long, value_name = "EXPR")]
    fail_if: Option<FailIf>,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|e| format!("{e} (examples: 500ms, 10s, 2m)"))
}

/// A duration above zero (clap names the flag in its message).
fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    if text.trim().starts_with('-') {
        return Err("must be above zero, not negative (examples: 500ms, 10s, 2m)".into());
    }
    match parse_duration(text)? {
        d if d.is_zero() => Err("must be above zero (examples: 500ms, 10s, 2m)".into()),
        d => Ok(d),
    }
}

/// A duration flag whose default comes from the library, shown as humantime writes it.
#[derive(Clone, Copy, Debug)]
struct Span(Duration);

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

fn parse_positive_span(text: &str) -> Result<Span, String> {
    parse_positive_duration(text).map(Span)
}

fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of requests per second"))?;
    if rate.is_finite() && rate > 0.0 && rate <= MAX_RATE {
        Ok(rate)
    } else {
        Err(format!(
            "must be above 0 and at most {MAX_RATE} requests per second"
        ))
    }
}

/// A parser of numbers from `lo` to `hi`.
fn in_range<T>(lo: T, hi: T) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy + Send + Sync + 'static,
{
    move |text: &str| match text.trim().parse::<T>() {
        Ok(v) if lo <= v && v <= hi => Ok(v),
        _ => Err(format!("must be a number from {lo} to {hi}")),
    }
}

fn parse_requests(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("must be a whole number, at least 1".into()),
    }
}

fn main() -> ExitCode {
    loadgen::no_huge_pages();
    let args = Args::parse();
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("loadgen: {}", loadgen::error_chain(e.as_ref()));
            ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> anyhow::Result<ExitCode> {
    let load = &args.load;
    let pacing = match (load.rate, load.clients) {
        (Some(rate), _) => Pacing::Open(RateSchedule::constant(rate)?),
        (None, clients) => Pacing::Closed {
            clients: clients.unwrap_or(10),
        },
    };
    let stop = match load.requests {
        Some(n) => Stop::Count(n),
        None => Stop::After(load.duration),
    };
    let targets = targets(&args, &pacing)?;
    let keys = &args.keys;
    let keyset = Keyset::generate(keys.seed, keys.keys)?;
    let params = HashParams::new(keys.salt.clone(), keys.iterations)?;
    let cache = if keys.no_cache {
        AnswerCache::Off
    } else {
        AnswerCache::Default
    };
    let (answers, _) = loadgen::progress::build_answers(&keyset, &params, cache)?;
    let config = EngineConfig {
        pacing,
        stop,
        seed: keys.seed,
        zipf: keys.zipf,
        runtimes: load.runtimes,
        ..EngineConfig::default()
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let handle = Engine::start(config, &targets, Arc::new(answers), tx).map_err(without_target)?;
    let signalled = cancel_on_signal(handle.canceller());
    let live = live_line(&stop);
    let mut summary = RunSummary::default();
    while let Some(batch) = rx.blocking_recv() {
        summary.add(&batch);
        let elapsed = handle.started().elapsed();
        live.set_position(elapsed.as_millis() as u64);
        live.set_message(summary.status_line(elapsed));
    }
    live.finish_and_clear();
    let started = handle.started();
    handle.join()?;
    summary.duration = started.elapsed();
    summary.interrupted = signalled.get().map(|&(signal, at)| Interruption {
        at: at.saturating_duration_since(started),
        planned: stop,
        signal,
    });
    report(&args, &summary)
}

/// The targets the URLs make (one, or one each), each with the flags' limits, shape and CA,
/// checked.
fn targets(args: &Args, pacing: &Pacing) -> anyhow::Result<Vec<Target>> {
    let l = &args.limits;
    let limits = TargetLimits {
        max_in_flight: max_in_flight(&args.load, pacing)?,
        connect_timeout: l.connect_timeout.0,
        timeout: l.timeout.0,
        body_cap: l.max_body,
        max_headers: l.max_headers,
        ..TargetLimits::default()
    };
    let shape = RequestShape::new(&args.keys.shape)?;
    let targets = match args.load.targets {
        Targets::Separate => args
            .urls
            .iter()
            .map(|u| Target::new(u.clone(), vec![u.clone()]))
            .collect(),
        Targets::RoundRobin => vec![Target::new("target", args.urls.clone())],
    };
    targets
        .into_iter()
        .map(|t| {
            let t = Target {
                limits: limits.clone(),
                shape: shape.clone(),
                ca_cert: l.cacert.clone(),
                ..t
            };
            t.check().map_err(without_target)?;
            Ok(t)
        })
        .collect()
}

/// The library names the target of a bad URL (a game's team); here the target is the URL
/// itself, so the message names the URL alone.
fn without_target(e: LoadgenError) -> anyhow::Error {
    match e {
        LoadgenError::BadUrl { url, reason, .. } => anyhow::anyhow!("bad URL {url:?}: {reason}"),
        e => e.into(),
    }
}

/// The cap of requests in flight. Closed clients each hold one: an explicit cap below
/// them is refused (naming both flags), and the default rises to meet them.
fn max_in_flight(load: &LoadArgs, pacing: &Pacing) -> anyhow::Result<usize> {
    let clients = match pacing {
        Pacing::Closed { clients } => *clients,
        Pacing::Open(_) => 0,
    };
    match load.max_in_flight {
        Some(cap) if cap < clients => anyhow::bail!(
            "--clients {clients} is above --max-in-flight {cap}: each closed client holds one \
             request in flight; raise --max-in-flight to at least {clients} or lower --clients"
        ),
        Some(cap) => Ok(cap),
        None => Ok(clients.max(1000)),
    }
}

fn report(args: &Args, summary: &RunSummary) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if args.output.json {
        serde_json::to_writer_pretty(&mut out, &summary.to_json())?;
        writeln!(out)?;
    } else {
        summary
            .write_human(&mut out)
            .context("writing the summary")?;
    }
    Ok(exit_code(args, summary))
}

/// 130 (143) when Ctrl-C (SIGTERM) cut the run, as shells report a command a signal ended;
/// 1 when not one answer was correct or a --fail-if condition was met; else 0.
fn exit_code(args: &Args, summary: &RunSummary) -> ExitCode {
    if let Some(cut) = &summary.interrupted {
        eprintln!("loadgen: interrupted {cut}");
        return ExitCode::from(cut.signal.exit_code());
    }
    let mut failing = Vec::new();
    if summary.counts.get(loadgen::OutcomeKind::Correct) == 0 {
        failing.push("not one answer was correct");
    }
    if let Some(fail_if) = &args.output.fail_if {
        failing.extend(fail_if.met(summary).iter().map(|c| c.text.as_str()));
    }
    if failing.is_empty() {
        return ExitCode::SUCCESS;
    }
    eprintln!("loadgen: failing: {}", failing.join(", "));
    ExitCode::from(1)
}

/// The live status line on stderr (hidden when stderr is not a terminal).
fn live_line(stop: &Stop) -> ProgressBar {
    let (len, template) = match stop {
        Stop::After(d) => (
            d.as_millis() as u64,
            "{bar:20} {elapsed}/{duration_precise} {msg}",
        ),
        _ => (0, "{spinner} {elapsed} {msg}"),
    };
    ProgressBar::new(len)
        .with_style(ProgressStyle::with_template(template).expect("valid template"))
}

/// Ctrl-C or SIGTERM ends the run early (answers still out get
/// [`loadgen::CANCEL_GRACE`]); the summary still prints. Returns where the signal's name
/// and time will be once one came.
fn cancel_on_signal(
    cancel: impl Fn() + Send + 'static,
) -> Arc<OnceLock<(Signal, std::time::Instant)>> {
    let signalled = Arc::new(OnceLock::new());
    let record = signalled.clone();
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async {
            #[cfg(unix)]
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            #[cfg(unix)]
            let terminate = async {
                match &mut term {
                    Some(term) => term.recv().await,
                    None => std::future::pending().await,
                }
            };
            #[cfg(not(unix))]
            let terminate = std::future::pending::<Option<()>>();
            let signal = tokio::select! {
                Ok(()) = tokio::signal::ctrl_c() => Signal::Interrupt,
                _ = terminate => Signal::Terminate,
            };
            let _ = record.set((signal, std::time::Instant::now()));
        });
        cancel();
    });
    signalled
}
