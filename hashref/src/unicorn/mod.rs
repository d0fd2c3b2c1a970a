//! The `unicorn` reference team server: slow, computationally expensive, and in three
//! flavors, like the `server` binary teams were handed in the original game.
//!
//! `GET /calc?input=KEY` answers the unicorn hash of `KEY`; `GET /healthcheck` answers
//! `200 ok`; anything else is `404`. At most `workers` hashes run at once, `queue` more
//! requests may wait, and past that the answer is an immediate `503`. No computed answer
//! leaves sooner than `min_latency` after its worker took it, which keeps each worker busy
//! that long: one server answers at most `workers / min_latency` requests a second.

mod admission;
mod cache;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rand_chacha::ChaCha8Rng;
use rand_core::Rng;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::{Answer, HashParams, Key};
use admission::Admission;
use cache::{AnswerCache, CacheError};

/// Which build of the server runs, as in the story.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// The original: answers `500` to a share of requests (the bug).
    V1,
    /// The bug fixed.
    V2,
    /// Caches answers in memcached, keeps v1's bug, and fails without a reachable memcached.
    V3,
}

impl std::str::FromStr for Flavor {
    type Err = String;
    fn from_str(s: &str) -> Result<Flavor, String> {
        match s {
            "v1" => Ok(Flavor::V1),
            "v2" => Ok(Flavor::V2),
            "v3" => Ok(Flavor::V3),
            other => Err(format!("unknown flavor {other:?}: expected v1, v2 or v3")),
        }
    }
}

impl std::fmt::Display for Flavor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Flavor::V1 => "v1",
            Flavor::V2 => "v2",
            Flavor::V3 => "v3",
        })
    }
}

/// Everything a `unicorn` server needs; the defaults are the story's.
#[derive(Clone, Debug)]
pub struct UnicornConfig {
    /// v1, v2 or v3.
    pub flavor: Flavor,
    /// Hashes computed at once.
    pub workers: usize,
    /// Requests allowed to wait for a worker; past that, `503` at once.
    pub queue: usize,
    /// No computed answer leaves sooner than this after its worker took the request.
    pub min_latency: Duration,
    /// Salt and iterations of the hash.
    pub params: HashParams,
    /// v1 and v3: the share of requests answered `500`.
    pub error_rate: f64,
    /// Seed of the error draws; `None` draws a fresh seed.
    pub seed: Option<u64>,
    /// v3: the memcached server, `host:port`.
    pub memcache_server: Option<String>,
}

impl Default for UnicornConfig {
    fn default() -> Self {
        UnicornConfig {
            flavor: Flavor::V1,
            workers: 5,
            queue: 10,
            min_latency: Duration::from_secs(4),
            params: HashParams::default(),
            error_rate: 0.05,
            seed: None,
            memcache_server: None,
        }
    }
}

/// What can stop a `unicorn` server from starting or serving.
#[derive(Debug, thiserror::Error)]
pub enum UnicornError {
    /// A setting out of range.
    #[error("invalid setting: {0}")]
    Config(String),
    /// The socket failed.
    #[error("serving failed: {0}")]
    Io(#[from] std::io::Error),
}

impl UnicornConfig {
    /// Checks every setting, naming the flag at fault.
    pub fn validate(&self) -> Result<(), UnicornError> {
        let bad = |msg: String| Err(UnicornError::Config(msg));
        if self.workers == 0 || self.workers > 4096 {
            return bad(format!("--workers must be 1 to 4096, not {}", self.workers));
        }
        if self.queue > 1_000_000 {
            return bad(format!(
                "--queue must be at most 1000000, not {}",
                self.queue
            ));
        }
        if !(0.0..=1.0).contains(&self.error_rate) {
            return bad(format!(
                "--error-rate must be between 0 and 1, not {}",
                self.error_rate
            ));
        }
        if self.min_latency > Duration::from_secs(3600) {
            return bad("--min-latency must be at most 1h".to_owned());
        }
        self.params
            .validate()
            .map_err(|e| UnicornError::Config(e.to_string()))
    }

    /// One line for the start-up log.
    pub fn summary(&self) -> String {
        format!(
            "flavor={} workers={} queue={} min_latency={:?} iterations={} error_rate={} memcache={}",
            self.flavor,
            self.workers,
            self.queue,
            self.min_latency,
            self.params.iterations,
            if self.flavor == Flavor::V2 {
                0.0
            } else {
                self.error_rate
            },
            self.memcache_server.as_deref().unwrap_or("none"),
        )
    }
}

struct Shared {
    config: UnicornConfig,
    admission: Admission,
    workers: Semaphore,
    errors: Mutex<ChaCha8Rng>,
    cache: Option<AnswerCache>,
}

/// The server's routes, apart from any socket (tests drive it directly).
pub fn app(config: UnicornConfig) -> Result<Router, UnicornError> {
    config.validate()?;
    let seed = config.seed.unwrap_or_else(fresh_seed);
    let cache = match (config.flavor, &config.memcache_server) {
        (Flavor::V3, Some(addr)) => Some(AnswerCache::new(addr.clone(), &config.params)),
        _ => None,
    };
    let shared = Shared {
        admission: Admission::new(config.workers + config.queue),
        workers: Semaphore::new(config.workers),
        errors: Mutex::new(crate::key::seeded_stream(seed, b"unicorn error draws v1..")),
        cache,
        config,
    };
    let not_found = || async { (StatusCode::NOT_FOUND, "not found\n") };
    Ok(Router::new()
        .route("/calc", get(calc))
        .route("/healthcheck", get(|| async { "ok\n" }))
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .with_state(Arc::new(shared)))
}

/// Serves `config` on `listener` until `shutdown` completes, then drains open requests.
pub async fn serve(
    listener: TcpListener,
    config: UnicornConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), UnicornError> {
    let router = app(config)?;
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ (u64::from(std::process::id()) << 32)
}

fn text(status: StatusCode, body: String) -> Response {
    (status, body).into_response()
}

async fn calc(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let key = match parse_input(query.as_deref()) {
        Ok(key) => key,
        Err(msg) => return text(StatusCode::BAD_REQUEST, msg),
    };
    match shared.config.flavor {
        Flavor::V1 | Flavor::V2 => match compute(&shared, key).await {
            Ok(answer) => shared.answer(answer, None),
            Err(busy) => busy,
        },
        Flavor::V3 => calc_cached(&shared, key).await,
    }
}

async fn calc_cached(shared: &Shared, key: Key) -> Response {
    let Some(cache) = &shared.cache else {
        return text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "v3 is misconfigured: no cache server given (start it with --memcache-server HOST:PORT)\n"
                .to_owned(),
        );
    };
    let unreachable = |e: CacheError| {
        text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("v3 is misconfigured: {e}\n"),
        )
    };
    match cache.get(&key).await {
        Err(e) => unreachable(e),
        Ok(Some(answer)) => shared.answer(answer, Some("hit")),
        Ok(None) => {
            let answer = match compute(shared, key).await {
                Ok(answer) => answer,
                Err(busy) => return busy,
            };
            match cache.set(&key, &answer).await {
                Ok(()) => shared.answer(answer, Some("miss")),
                Err(e) => unreachable(e),
            }
        }
    }
}

impl Shared {
    /// The final answer, through the v1 bug where the flavor has it.
    fn answer(&self, answer: Answer, cache: Option<&'static str>) -> Response {
        if self.config.flavor != Flavor::V2 && self.draw_error() {
            return text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal server error\n".to_owned(),
            );
        }
        let mut response = (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            answer.as_str().to_owned(),
        )
            .into_response();
        if let Some(state) = cache {
            response
                .headers_mut()
                .insert("x-cache", HeaderValue::from_static(state));
        }
        response
    }

    fn draw_error(&self) -> bool {
        let word = self.errors.lock().expect("error rng lock").next_u64();
        let u = (word >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        u < self.config.error_rate
    }
}

/// Computes one answer the slow way: a place in the queue, a worker, the hash off the async
/// threads, and the latency floor. A full queue is an immediate `503`.
async fn compute(shared: &Shared, key: Key) -> Result<Answer, Response> {
    let Some(_place) = shared.admission.try_enter() else {
        let msg = format!(
            "server busy: {} workers busy and {} requests queued, try again later\n",
            shared.config.workers, shared.config.queue
        );
        return Err(text(StatusCode::SERVICE_UNAVAILABLE, msg));
    };
    let _worker = shared
        .workers
        .acquire()
        .await
        .expect("semaphore never closed");
    let started = tokio::time::Instant::now();
    let params = shared.config.params.clone();
    let answer = tokio::task::spawn_blocking(move || params.answer(key.as_str()))
        .await
        .map_err(|e| {
            text(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("hash failed: {e}\n"),
            )
        })?;
    tokio::time::sleep_until(started + shared.config.min_latency).await;
    Ok(answer)
}

/// Reads `input` from the raw query string, with an explanation when it is not a key.
fn parse_input(query: Option<&str>) -> Result<Key, String> {
    let usage = "expected /calc?input=3615-7184-2117";
    let value = query
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("input="))
        .ok_or_else(|| format!("missing query parameter `input`: {usage}\n"))?;
    // Keys hold only digits and dashes, so percent-decoding is needed only for `%2D`.
    let decoded = value.replace("%2D", "-").replace("%2d", "-");
    Key::parse(&decoded).map_err(|e| format!("bad input: {e}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_is_read_from_the_query() {
        let key = Key::parse("3615-7184-2117").unwrap();
        assert_eq!(parse_input(Some("input=3615-7184-2117")), Ok(key));
        assert_eq!(parse_input(Some("a=1&input=3615%2D7184-2117")), Ok(key));
        let missing = parse_input(None).unwrap_err();
        assert!(
            missing.contains("missing query parameter `input`"),
            "{missing}"
        );
        let bad = parse_input(Some("input=12")).unwrap_err();
        assert!(bad.contains("three groups of four digits"), "{bad}");
    }

    #[test]
    fn config_is_validated() {
        let ok = UnicornConfig::default();
        ok.validate().unwrap();
        for bad in [
            UnicornConfig {
                workers: 0,
                ..ok.clone()
            },
            UnicornConfig {
                error_rate: 1.5,
                ..ok.clone()
            },
            UnicornConfig {
                params: HashParams {
                    salt: "x".into(),
                    iterations: 0,
                },
                ..ok.clone()
            },
        ] {
            assert!(matches!(bad.validate(), Err(UnicornError::Config(_))));
        }
    }

    #[test]
    fn flavors_parse_and_print() {
        for f in [Flavor::V1, Flavor::V2, Flavor::V3] {
            assert_eq!(f.to_string().parse::<Flavor>(), Ok(f));
        }
        assert!("v4".parse::<Flavor>().unwrap_err().contains("v1, v2 or v3"));
    }
}
