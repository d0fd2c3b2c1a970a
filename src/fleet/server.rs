//! One simulated server: a `unicorn` app on its own thread and runtime, behind the knobs a
//! fault can turn (extra latency, a stall, bad answers, a cache in front, a flavor switch).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hashref::unicorn::{self, UnicornConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;
use tokio::time::Instant;
use tower::ServiceExt;

use super::FleetError;
use crate::scenario::{CacheKey, Misbehaviour};

/// What a `garbage` fault sends on a new connection instead of HTTP.
const GARBAGE: &[u8] = b"SSH-2.0-OpenSSH_9.6 this is not HTTP\r\n\r\n";
/// The size of an `oversize` answer: far past the engine's body cap (4 KiB by default).
const OVERSIZE: usize = 256 * 1024;

/// What a whole team's servers share: the cache in front and the faults in force.
#[derive(Debug, Default)]
pub(crate) struct TeamKnobs {
    state: Mutex<KnobState>,
    /// The cache in front of every server (CloudFront in the story): its key → answer.
    cache: RwLock<HashMap<String, axum::body::Bytes>>,
}

#[derive(Debug, Default)]
struct KnobState {
    cache_on: bool,
    /// What the cache keys on: the query string, or (a broken cache) the path alone.
    cache_key: CacheKey,
    extra: Duration,
    extra_until: Option<Instant>,
    stall_until: Option<Instant>,
    misbehave: Option<(Misbehaviour, Instant)>,
    /// A closed port: requests on open connections are cut off (the connection closes).
    refusing: bool,
}

impl TeamKnobs {
    pub(crate) fn set_cache(&self, on: bool) {
        self.lock().cache_on = on;
        if !on {
            self.cache.write().expect("cache lock").clear();
        }
    }

    pub(crate) fn set_cache_key(&self, key: CacheKey) {
        self.lock().cache_key = key;
    }

    pub(crate) fn add_latency(&self, extra: Duration, lasting: Option<Duration>) {
        let mut s = self.lock();
        s.extra = extra;
        s.extra_until = lasting.map(|l| Instant::now() + l);
    }

    pub(crate) fn stall(&self, lasting: Duration) {
        self.lock().stall_until = Some(Instant::now() + lasting);
    }

    /// Ends a stall now (a break's traffic let through again).
    pub(crate) fn lift_stall(&self) {
        self.lock().stall_until = None;
    }

    /// Cuts off (`true`) every request that reaches a server on a connection opened before
    /// the port closed, or serves them again.
    pub(crate) fn set_refusing(&self, on: bool) {
        self.lock().refusing = on;
    }

    pub(crate) fn misbehave(&self, how: Misbehaviour, lasting: Duration) {
        self.lock().misbehave = Some((how, Instant::now() + lasting));
    }

    /// The bad answers in force, if any.
    fn misbehaving(&self) -> Option<Misbehaviour> {
        let now = Instant::now();
        self.lock()
            .misbehave
            .filter(|&(_, until)| until > now)
            .map(|(how, _)| how)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, KnobState> {
        self.state.lock().expect("knob lock")
    }

    /// How long to hold a request before serving it, and the cache's key if it is on.
    fn hold(&self) -> (Option<Instant>, Duration, Option<CacheKey>) {
        let now = Instant::now();
        let s = self.lock();
        let stall = s.stall_until.filter(|&u| u > now);
        let extra = match s.extra_until {
            Some(until) if until <= now => Duration::ZERO,
            _ => s.extra,
        };
        (stall, extra, s.cache_on.then_some(s.cache_key))
    }
}

/// A running server; dropping it does not stop it, [`SimServer::kill`] does.
#[derive(Debug)]
pub(crate) struct SimServer {
    pub(crate) addr: SocketAddr,
    state: Arc<ServerState>,
    kill: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Debug)]
struct ServerState {
    team: Arc<TeamKnobs>,
    config: Mutex<UnicornConfig>,
    inner: RwLock<Router>,
}

impl SimServer {
    /// Binds a loopback port and starts serving `config` on a thread of its own (its hash
    /// work goes to that runtime's blocking pool, away from the load engine's threads).
    pub(crate) fn start(
        config: UnicornConfig,
        team: Arc<TeamKnobs>,
        name: &str,
    ) -> Result<SimServer, FleetError> {
        let inner = unicorn::app(config.clone()).map_err(|e| FleetError::Server(e.to_string()))?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let state = Arc::new(ServerState {
            team,
            config: Mutex::new(config),
            inner: RwLock::new(inner),
        });
        let (kill, killed) = oneshot::channel();
        let app = Router::new().fallback(handle).with_state(state.clone());
        let knobs = state.team.clone();
        let thread = std::thread::Builder::new()
            .name(format!("sim-{name}"))
            .spawn(move || run(listener, knobs, app, killed))?;
        Ok(SimServer {
            addr,
            state,
            kill: Some(kill),
            thread: Some(thread),
        })
    }

    /// Deploys another build (flavor) on this server; requests in flight finish on the old.
    pub(crate) fn redeploy(
        &self,
        change: impl FnOnce(&mut UnicornConfig),
    ) -> Result<(), FleetError> {
        let mut config = self.state.config.lock().expect("config lock");
        let mut next = config.clone();
        change(&mut next);
        let app = unicorn::app(next.clone()).map_err(|e| FleetError::Server(e.to_string()))?;
        *self.state.inner.write().expect("router lock") = app;
        *config = next;
        Ok(())
    }

    /// Stops the server at once, as a terminated instance: open connections drop and new
    /// ones are refused.
    pub(crate) fn kill(&mut self) {
        if let Some(kill) = self.kill.take() {
            let _ = kill.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn run(
    listener: std::net::TcpListener,
    team: Arc<TeamKnobs>,
    app: Router,
    killed: oneshot::Receiver<()>,
) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime starts");
    runtime.block_on(async move {
        let Ok(inner) = tokio::net::TcpListener::from_std(listener) else {
            return;
        };
        let listener = FaultyListener { inner, team };
        tokio::select! {
            result = axum::serve(listener, app) => {
                if let Err(e) = result {
                    tracing::warn!("simulated server stopped: {e}");
                }
            }
            _ = killed => {}
        }
    });
    // Dropping the runtime drops every connection task: clients see their sockets close.
    runtime.shutdown_timeout(Duration::ZERO);
}

/// The server's listener: while a `garbage` fault is in force, it answers new connections
/// itself, with bytes that are not HTTP, and hands only the others to the app.
struct FaultyListener {
    inner: tokio::net::TcpListener,
    team: Arc<TeamKnobs>,
}

impl axum::serve::Listener for FaultyListener {
    type Io = tokio::net::TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (stream, addr) = axum::serve::Listener::accept(&mut self.inner).await;
            if self.team.misbehaving() != Some(Misbehaviour::Garbage) {
                return (stream, addr);
            }
            tokio::spawn(garbage(stream));
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// Reads the request (so closing sends no reset), answers with garbage, closes.
async fn garbage(mut stream: tokio::net::TcpStream) {
    let mut request = [0u8; 2048];
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.read(&mut request)).await;
    let _ = stream.write_all(GARBAGE).await;
    let _ = stream.shutdown().await;
}

/// An answer whose body breaks off after a few bytes: the connection is dropped mid-body.
fn cut_short() -> Response {
    let parts: [Result<axum::body::Bytes, std::io::Error>; 2] = [
        Ok(axum::body::Bytes::from_static(b"yh/6pgzlbX")),
        Err(std::io::Error::other(
            "the reset fault cuts the answer short",
        )),
    ];
    Response::new(Body::from_stream(futures_util::stream::iter(parts)))
}

/// Every request: the faults in force, the cache in front, then the unicorn app.
async fn handle(State(state): State<Arc<ServerState>>, request: Request) -> Response {
    if state.team.lock().refusing {
        return cut_short();
    }
    let (stall, extra, cache) = state.team.hold();
    if let Some(until) = stall {
        tokio::time::sleep_until(until).await;
    }
    if !extra.is_zero() {
        tokio::time::sleep(extra).await;
    }
    match state.team.misbehaving() {
        Some(Misbehaviour::Oversize) => return Response::new(Body::from(vec![b'x'; OVERSIZE])),
        Some(Misbehaviour::Reset) => return cut_short(),
        Some(Misbehaviour::Garbage) => {
            // Connections opened before the fault are closed after this answer: the next
            // request comes on a new one, which gets the garbage.
            let mut response = serve(&state, request, cache).await;
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
        None => {}
    }
    serve(&state, request, cache).await
}

/// The cache in front (keyed on `cache`, if on), then the unicorn app.
async fn serve(state: &ServerState, request: Request, cache: Option<CacheKey>) -> Response {
    let uri = request.uri();
    let cache_key = cache
        .filter(|_| uri.path() == "/calc")
        .map(|key| match key {
            CacheKey::Query => uri.query().unwrap_or("").to_owned(),
            // A cache that ignores the query string: one answer for every key.
            CacheKey::Path => uri.path().to_owned(),
        });
    if let Some(key) = &cache_key
        && let Some(hit) = state
            .team
            .cache
            .read()
            .expect("cache lock")
            .get(key)
            .cloned()
    {
        return answer(hit, "hit");
    }
    let inner = state.inner.read().expect("router lock").clone();
    let response = match inner.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    match cache_key {
        Some(key) if response.status() == StatusCode::OK => {
            let body = match axum::body::to_bytes(response.into_body(), 4096).await {
                Ok(body) => body,
                Err(e) => {
                    return (StatusCode::BAD_GATEWAY, format!("cache: {e}\n")).into_response();
                }
            };
            state
                .team
                .cache
                .write()
                .expect("cache lock")
                .insert(key, body.clone());
            answer(body, "miss")
        }
        _ => response,
    }
}

fn answer(body: axum::body::Bytes, cache: &'static str) -> Response {
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert("x-cache", HeaderValue::from_static(cache));
    response
}
