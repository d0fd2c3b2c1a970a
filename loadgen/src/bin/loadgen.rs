//! `loadgen`: the team test utility (the original game's `server-bang`). Points verified,
//! open-model load at a URL and says how right and how fast the answers were.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use hashref::{AnswerCache, HashParams, Keyset, ZipfPicker};
use indicatif::{ProgressBar, ProgressStyle};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use loadgen::{
    Engine, EngineConfig, FailIf, Pacing, RateSchedule, RequestShape, RunSummary, Stop, Target,
    TargetLimits,
};

/// Sends verified load to a team's server and reports correctness and latency.
///
/// Every answer is checked against the reference hash. In the open model (--rate) latency
/// is measured from when each request was due, so a stalled server cannot hide its stall;
/// the latency from the actual send is shown beside it.
///
/// Exit codes: 0 done, 1 a --fail-if condition was met, 2 bad flags or the run could not start.
#[derive(Parser, Debug)]
#[command(version, about, long_about)]
struct Args {
    /// Base URL of the server (several: round robin), e.g. http://127.0.0.1:8000 or
    /// https://team.example
    #[arg(required = true, value_name = "URL")]
    urls: Vec<String>,
    /// Open model: requests per second, whatever the server does.
    #[arg(long, conflicts_with = "clients", value_name = "R")]
    rate: Option<f64>,
    /// Closed model: clients that each wait for their answer before the next request.
    #[arg(long, value_name = "C")]
    clients: Option<usize>,
    /// How long to send.
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "D")]
    duration: Duration,
    /// Stop after this many requests instead of after --duration.
    #[arg(long, value_name = "N")]
    requests: Option<u64>,
    /// Size of the keyset (the same keys as `gameday keys --seed S --count N`).
    #[arg(long, default_value_t = 1000, value_name = "N")]
    keys: usize,
    /// Seed of the keyset and of the key picks.
    #[arg(long, default_value_t = 1, value_name = "S")]
    seed: u64,
    /// Zipf exponent of key popularity (0 is uniform).
    #[arg(long, default_value_t = ZipfPicker::DEFAULT_EXPONENT, value_name = "X")]
    zipf: f64,
    /// PBKDF2 iterations of the hash (must match the server's).
    #[arg(long, default_value_t = HashParams::default().iterations, value_name = "N")]
    iterations: u32,
    /// PBKDF2 salt of the hash (must match the server's).
    #[arg(long, default_value_t = HashParams::default().salt, value_name = "S")]
    salt: String,
    /// Time allowed for each whole request.
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "D")]
    timeout: Duration,
    /// Time allowed to open a connection.
    #[arg(long, default_value = "2s", value_parser = parse_duration, value_name = "D")]
    connect_timeout: Duration,
    /// Requests in flight at most; in the open model a request due past it is `dropped`.
    /// [default: 1000, or --clients if more]
    #[arg(long, value_name = "N")]
    max_in_flight: Option<usize>,
    /// Bytes of body read at most (64 to 67108864); past it the answer is `too_large`.
    #[arg(long, default_value_t = TargetLimits::default().body_cap, value_name = "BYTES")]
    max_body: usize,
    /// Response headers allowed (1 to 1000; a head is also held to 64 KiB); past it the
    /// answer is `too_large`.
    #[arg(long, default_value_t = TargetLimits::default().max_headers, value_name = "N")]
    max_headers: usize,
    /// PEM file of a private CA to trust for https URLs, beside the system's roots (a
    /// venue's CA, or your own for a self-signed endpoint).
    #[arg(long, value_name = "FILE")]
    cacert: Option<std::path::PathBuf>,
    /// Path and query of each request, with {key} where the key goes.
    #[arg(long, default_value = "/calc?input={key}", value_name = "TEMPLATE")]
    shape: String,
    /// Print one JSON object instead of the human summary.
    #[arg(long)]
    json: bool,
    /// Exit 1 when any condition holds, e.g. error_rate>0.01,p99>5s,wrong>0
    #[arg(long, value_name = "EXPR")]
    fail_if: Option<FailIf>,
    /// Load threads (each a single-threaded runtime).
    #[arg(long, default_value_t = 1, value_name = "N", hide_short_help = true)]
    runtimes: usize,
    /// With several URLs: `round-robin` makes them one team's servers; `separate` makes each
    /// its own target, with its own connections, cap and timeouts (for benchmarks of many
    /// teams in one process).
    #[arg(long, default_value = "round-robin", value_parser = ["round-robin", "separate"], hide_short_help = true)]
    targets: String,
    /// Do not read or write the expected-answer cache.
    #[arg(long, hide_short_help = true)]
    no_cache: bool,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|e| format!("{e} (examples: 500ms, 10s, 2m)"))
}

fn main() -> ExitCode {
    no_huge_pages();
    let args = Args::parse();
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("loadgen: {}", loadgen::error_chain(e.as_ref()));
            ExitCode::from(2)
        }
    }
}

/// No transparent huge pages for this process. mimalloc asks for them on its arenas, and
/// the kernel's khugepaged collapsing one into a 2 MiB page stepped the RSS of a 10-minute
/// soak by 2 MiB (+14 %) at a random minute, in every loadgen running at the time; a heap of
/// 15 MiB gains no speed from them.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integers only and touches none of our memory; it
    // fails harmlessly on kernels without it.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn run(args: Args) -> anyhow::Result<ExitCode> {
    let pacing = match (args.rate, args.clients) {
        (Some(rate), _) => Pacing::Open(RateSchedule::constant(rate)?),
        (None, clients) => Pacing::Closed {
            clients: clients.unwrap_or(10),
        },
    };
    let stop = match args.requests {
        Some(n) => Stop::Count(n),
        None => Stop::After(args.duration),
    };
    let shape = RequestShape::new(&args.shape)?;
    let limits = TargetLimits {
        max_in_flight: max_in_flight(&args, &pacing)?,
        connect_timeout: args.connect_timeout,
        timeout: args.timeout,
        body_cap: args.max_body,
        max_headers: args.max_headers,
        ..TargetLimits::default()
    };
    let targets: Vec<Target> = match args.targets.as_str() {
        "separate" => args
            .urls
            .iter()
            .map(|u| Target::new(u.clone(), vec![u.clone()]))
            .collect(),
        _ => vec![Target::new("target", args.urls.clone())],
    };
    let targets: Vec<Target> = targets
        .into_iter()
        .map(|t| Target {
            limits: limits.clone(),
            shape: shape.clone(),
            ca_cert: args.cacert.clone(),
            ..t
        })
        .collect();
    for t in &targets {
        t.check()?;
    }
    let keyset = Keyset::generate(args.seed, args.keys)?;
    let params = HashParams::new(args.salt.clone(), args.iterations)?;
    let cache = if args.no_cache {
        AnswerCache::Off
    } else {
        AnswerCache::Default
    };
    let (answers, _) = loadgen::progress::build_answers(&keyset, &params, cache)?;
    let config = EngineConfig {
        pacing,
        stop,
        seed: args.seed,
        zipf: args.zipf,
        runtimes: args.runtimes,
        ..EngineConfig::default()
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let handle = Engine::start(config, &targets, Arc::new(answers), tx)?;
    cancel_on_signal(handle.canceller());
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
    report(&args, &summary)
}

/// The cap of requests in flight. Closed clients each hold one: an explicit cap below
/// them is refused (naming both flags), and the default rises to meet them.
fn max_in_flight(args: &Args, pacing: &Pacing) -> anyhow::Result<usize> {
    let clients = match pacing {
        Pacing::Closed { clients } => *clients,
        Pacing::Open(_) => 0,
    };
    match args.max_in_flight {
        Some(cap) if cap > 0 && cap < clients => anyhow::bail!(
            "--clients {clients} is above --max-in-flight {cap}: each closed client holds one \
             request in flight; raise --max-in-flight to at least {clients} or lower --clients"
        ),
        Some(cap) => Ok(cap),
        None => Ok(clients.max(1000)),
    }
}

fn report(args: &Args, summary: &RunSummary) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &summary.to_json())?;
        writeln!(out)?;
    } else {
        summary
            .write_human(&mut out)
            .context("writing the summary")?;
    }
    let Some(fail_if) = &args.fail_if else {
        return Ok(ExitCode::SUCCESS);
    };
    let met = fail_if.met(summary);
    if met.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    let names: Vec<&str> = met.iter().map(|c| c.text.as_str()).collect();
    eprintln!("loadgen: failing: {}", names.join(", "));
    Ok(ExitCode::from(1))
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
/// [`loadgen::CANCEL_GRACE`]); the summary still prints.
fn cancel_on_signal(cancel: impl Fn() + Send + 'static) {
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
            tokio::select! {
                Ok(()) = tokio::signal::ctrl_c() => {}
                _ = terminate => {}
            }
        });
        cancel();
    });
}
