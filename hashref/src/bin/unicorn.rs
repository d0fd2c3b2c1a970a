//! `unicorn`: the reference team server that organizers hand to teams.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use hashref::HashParams;
use hashref::unicorn::{Flavor, UnicornConfig};

/// The Unicorn Rentals hash service: GET /calc?input=KEY answers the key's hash.
///
/// Slow and computationally expensive on purpose, like the `server` binary of the original
/// game: at most WORKERS hashes at once, QUEUE more requests waiting, 503 past that, and no
/// answer sooner than MIN_LATENCY. GET /healthcheck answers 200 ok.
#[derive(Parser, Debug)]
#[command(name = "unicorn", version, about, long_about)]
struct Args {
    /// Address and port to listen on.
    #[arg(long, default_value = "0.0.0.0:80", value_name = "ADDR")]
    listen: SocketAddr,
    /// v1: answers 500 to a share of requests (the bug); v2: fixed; v3: caches answers in
    /// memcached and keeps v1's bug.
    #[arg(long, default_value = "v1", value_parser = ["v1", "v2", "v3"])]
    flavor: String,
    /// Hashes computed at once.
    #[arg(long, default_value_t = 5, value_name = "N")]
    workers: usize,
    /// Requests allowed to wait for a worker; past that, 503 at once.
    #[arg(long, default_value_t = 10, value_name = "N")]
    queue: usize,
    /// No answer leaves sooner than this after a worker took the request (0, 250ms, 4s).
    #[arg(long, default_value = "4s", value_name = "DURATION", value_parser = parse_duration)]
    min_latency: Duration,
    /// PBKDF2 iterations of the hash (must match the game's).
    #[arg(long, default_value_t = HashParams::default().iterations, value_name = "N")]
    iterations: u32,
    /// PBKDF2 salt of the hash (must match the game's).
    #[arg(long, default_value_t = HashParams::default().salt, value_name = "S")]
    salt: String,
    /// v1 and v3: the share of requests answered 500 (0 to 1).
    #[arg(long, default_value_t = 0.05, value_name = "F")]
    error_rate: f64,
    /// Seed of the error draws, to make them reproducible.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// v3: the memcached server that caches answers.
    #[arg(long, value_name = "HOST:PORT")]
    memcache_server: Option<String>,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|e| format!("{e} (examples: 0, 250ms, 4s)"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let config = UnicornConfig {
        flavor: args.flavor.parse::<Flavor>().map_err(anyhow::Error::msg)?,
        workers: args.workers,
        queue: args.queue,
        min_latency: args.min_latency,
        params: HashParams {
            salt: args.salt,
            iterations: args.iterations,
        },
        error_rate: args.error_rate,
        seed: args.seed,
        memcache_server: args.memcache_server,
    };
    config.validate()?;
    if config.flavor == Flavor::V3 && config.memcache_server.is_none() {
        tracing::warn!("v3 without --memcache-server: every /calc will answer 500");
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    tracing::info!(
        "unicorn listening on {} {}",
        listener.local_addr()?,
        config.summary()
    );
    hashref::unicorn::serve(listener, config, shutdown_signal()).await?;
    tracing::info!("unicorn stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in progress");
}
