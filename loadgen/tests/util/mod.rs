//! Test servers for the load engine: small HTTP/1.1 servers on loopback port 0 that answer
//! right, wrong, slowly, or badly, and record what they were asked.
#![allow(dead_code)]

pub mod hostile;
pub mod tls;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hashref::{AnswerCache, AnswerTable, BuildOptions, HashParams, Keyset};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use loadgen::{Engine, EngineConfig, EngineHandle, OutcomeBatch, RunSummary, Target, TargetLimits};

/// Tests that measure the engine's own timing (late sends, arrival order) run alone; the
/// others of their binary share the machine with each other. Two cores do not run ten
/// load tests at once without making sends late.
static TIMING: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// Held by a test that measures timing: no other test of its binary runs meanwhile.
pub async fn alone() -> tokio::sync::RwLockWriteGuard<'static, ()> {
    TIMING.write().await
}

/// Held by every other test of a binary that has tests run `alone`.
pub async fn shared() -> tokio::sync::RwLockReadGuard<'static, ()> {
    TIMING.read().await
}

/// Cheap hash parameters: the tests are about the engine, not the hash.
pub fn params() -> HashParams {
    HashParams::new("unicorn.rentals", 2).unwrap()
}

pub fn answers(keys: usize) -> Arc<AnswerTable> {
    let keyset = Keyset::generate(1, keys).unwrap();
    let options = BuildOptions {
        cache: AnswerCache::Off,
        progress: None,
    };
    Arc::new(
        AnswerTable::build_with(&keyset, &params(), &options)
            .unwrap()
            .0,
    )
}

/// How a test server answers.
#[derive(Clone, Debug)]
pub enum Behaviour {
    /// The right hash, after `delay`.
    Correct { delay: Duration },
    /// A wrong hash (and a newline) for keys ending in an even digit, the right one
    /// otherwise.
    WrongForEven,
    /// This status with a short body.
    Status(u16),
    /// Reads the request, never answers.
    Hang,
    /// Headers for a 44-byte body, 10 bytes of it, then a reset.
    ResetMidBody,
    /// A 200 with a body of this many bytes.
    Body(usize),
    /// Bytes that are not HTTP.
    Garbage,
    /// Accepts the connection and closes it at once.
    AcceptAndClose,
    /// The right hash, but the whole server freezes during [from, to) after its first request.
    Freeze { from: Duration, to: Duration },
    /// A redirect to this location.
    Redirect(String),
    /// The right answer, one byte a second (slowloris).
    Slowloris,
    /// A 200 with a chunked body that never ends.
    EndlessChunked,
    /// A 200 announcing a 1 GiB body, and streaming it.
    GiantBody,
    /// A status line that is not one (`HTTP/1.1 2OO OK`).
    BadStatusLine,
    /// A TLS-only server: answers a plain request with a TLS alert record and closes.
    TlsOnly,
    /// A 200 with this many headers before the answer.
    ManyHeaders(usize),
    /// A 200 whose body is not UTF-8.
    NonUtf8Body,
    /// A 200 whose Content-Length says 10 while the whole 44-byte answer follows.
    LyingLength,
    /// The headers of a 44-byte answer, then nothing.
    HangAfterHeaders,
}

/// The bytes streamed by the servers that send without end.
static FILLER: [u8; 64 * 1024] = [b'x'; 64 * 1024];

/// A running test server; stops when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    /// The keys asked, in the order the requests arrived.
    pub seen: Arc<Mutex<Vec<String>>>,
    /// Connections accepted.
    pub connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests received so far.
    pub fn requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// A server on a runtime thread of its own, so that nothing else the test process does
    /// shares its scheduler (for latency comparisons).
    pub fn start_on_own_thread(behaviour: Behaviour) -> (TestServer, std::thread::JoinHandle<()>) {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let server = TestServer::start(behaviour).await;
                let shared = (server.addr, server.seen.clone(), server.connections.clone());
                let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
                tx.send((shared, stop_tx)).unwrap();
                let _ = stop_rx.await;
                drop(server);
            });
        });
        let ((addr, seen, connections), stop) = rx.recv().unwrap();
        let task = tokio::spawn(async move {
            // Dropping this task's handle drops `stop`, which ends the server's thread.
            let _stop = stop;
            std::future::pending::<()>().await;
        });
        let server = TestServer {
            addr,
            seen,
            connections,
            task,
        };
        (server, thread)
    }

    pub async fn start(behaviour: Behaviour) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let first: Arc<Mutex<Option<tokio::time::Instant>>> = Arc::default();
        let record = seen.clone();
        let connections = Arc::new(AtomicUsize::new(0));
        let accepted = connections.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                accepted.fetch_add(1, Ordering::SeqCst);
                let (behaviour, record, first) = (behaviour.clone(), record.clone(), first.clone());
                tokio::spawn(serve_connection(stream, behaviour, record, first));
            }
        });
        TestServer {
            addr,
            seen,
            connections,
            task,
        }
    }
}

async fn serve_connection(
    mut stream: TcpStream,
    behaviour: Behaviour,
    seen: Arc<Mutex<Vec<String>>>,
    first: Arc<Mutex<Option<tokio::time::Instant>>>,
) {
    if let Behaviour::AcceptAndClose = behaviour {
        return;
    }
    let mut buf = Vec::new();
    loop {
        let Some(key) = read_request(&mut stream, &mut buf).await else {
            return;
        };
        seen.lock().unwrap().push(key.clone());
        let answer = params().answer(&key);
        let response: Vec<u8> = match &behaviour {
            Behaviour::Correct { delay } => {
                tokio::time::sleep(*delay).await;
                ok(answer.as_str().as_bytes())
            }
            Behaviour::WrongForEven => {
                let even = key
                    .bytes()
                    .last()
                    .is_some_and(|d| (d - b'0').is_multiple_of(2));
                // The wrong answer ends in a newline: its head (Content-Length 45) differs
                // from a right one's (44) on the same connection.
                let wrong = format!("{}\n", params().answer("0000-0000-0000").as_str());
                ok(if even {
                    wrong.as_bytes()
                } else {
                    answer.as_str().as_bytes()
                })
            }
            Behaviour::Status(code) => {
                format!("HTTP/1.1 {code} Oops\r\ncontent-length: 5\r\n\r\noops\n").into_bytes()
            }
            Behaviour::Hang => {
                std::future::pending::<()>().await;
                unreachable!()
            }
            Behaviour::ResetMidBody => {
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 44\r\n\r\n0123456789")
                    .await;
                let _ = stream.set_zero_linger();
                return;
            }
            Behaviour::Body(n) => {
                let mut r = format!("HTTP/1.1 200 OK\r\ncontent-length: {n}\r\n\r\n").into_bytes();
                r.resize(r.len() + n, b'x');
                r
            }
            Behaviour::Garbage => b"SSH-2.0-OpenSSH_9.2\r\nnot http at all\r\n\r\n".to_vec(),
            Behaviour::Redirect(location) => {
                format!("HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\n\r\n")
                    .into_bytes()
            }
            Behaviour::AcceptAndClose => unreachable!(),
            Behaviour::Slowloris => {
                for byte in ok(answer.as_str().as_bytes()) {
                    if stream.write_all(&[byte]).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                continue;
            }
            Behaviour::EndlessChunked => {
                let head = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
                if stream.write_all(head).await.is_err() {
                    return;
                }
                let chunk = [b"10000\r\n".as_slice(), &FILLER, b"\r\n"].concat();
                while stream.write_all(&chunk).await.is_ok() {}
                return;
            }
            Behaviour::GiantBody => {
                let head = b"HTTP/1.1 200 OK\r\ncontent-length: 1073741824\r\n\r\n";
                if stream.write_all(head).await.is_err() {
                    return;
                }
                for _ in 0..(1 << 30) / FILLER.len() {
                    if stream.write_all(&FILLER).await.is_err() {
                        return;
                    }
                }
                continue;
            }
            Behaviour::BadStatusLine => b"HTTP/1.1 2OO OK\r\ncontent-length: 2\r\n\r\nok".to_vec(),
            Behaviour::TlsOnly => {
                // alert, TLS 1.2, length 2: fatal, protocol_version.
                let _ = stream
                    .write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46])
                    .await;
                return;
            }
            Behaviour::ManyHeaders(n) => {
                let mut r = b"HTTP/1.1 200 OK\r\n".to_vec();
                for i in 0..*n {
                    r.extend_from_slice(format!("x-header-{i}: {i}\r\n").as_bytes());
                }
                r.extend_from_slice(&ok(answer.as_str().as_bytes())[17..]);
                r
            }
            Behaviour::NonUtf8Body => ok(b"\xff\xfe\xc3\x28 not utf-8 \x80\x81"),
            Behaviour::LyingLength => {
                let mut r = b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n".to_vec();
                r.extend_from_slice(answer.as_str().as_bytes());
                r
            }
            Behaviour::HangAfterHeaders => {
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 44\r\n\r\n")
                    .await;
                std::future::pending::<()>().await;
                unreachable!()
            }
            Behaviour::Freeze { from, to } => {
                let start = *first
                    .lock()
                    .unwrap()
                    .get_or_insert_with(tokio::time::Instant::now);
                let now = tokio::time::Instant::now();
                if now >= start + *from && now < start + *to {
                    tokio::time::sleep_until(start + *to).await;
                }
                ok(answer.as_str().as_bytes())
            }
        };
        if stream.write_all(&response).await.is_err() {
            return;
        }
    }
}

pub fn ok(body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

/// Reads one request head and returns its `input` key (empty for a request without one,
/// such as `/healthcheck`); `None` when the peer closed.
pub async fn read_request<S: tokio::io::AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
) -> Option<String> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            buf.drain(..end + 4);
            let target = head.split_whitespace().nth(1)?;
            let key = target.split("input=").nth(1).unwrap_or_default();
            return Some(key.split('&').next().unwrap_or_default().to_owned());
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A target for `server` with this total timeout and a short connect timeout.
pub fn target(name: &str, server: &TestServer, timeout: Duration) -> Target {
    let mut t = Target::new(name, vec![server.url()]);
    t.limits = TargetLimits {
        timeout,
        connect_timeout: Duration::from_millis(300),
        ..TargetLimits::default()
    };
    t
}

/// Runs the engine to its end and returns every batch.
pub async fn run(
    config: EngineConfig,
    targets: Vec<Target>,
    answers: Arc<AnswerTable>,
) -> Vec<OutcomeBatch> {
    let (handle, batches) = start(config, targets, answers);
    finish(handle, batches).await
}

/// Starts the engine; the task gathers every batch until the run is over.
pub fn start(
    config: EngineConfig,
    targets: Vec<Target>,
    answers: Arc<AnswerTable>,
) -> (EngineHandle, tokio::task::JoinHandle<Vec<OutcomeBatch>>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let handle = Engine::start(config, &targets, answers, tx).unwrap();
    let gather = tokio::spawn(async move {
        let mut batches = Vec::new();
        while let Some(b) = rx.recv().await {
            batches.push(b);
        }
        batches
    });
    (handle, gather)
}

/// Waits for a run started by [`start`] to end, and returns its batches.
pub async fn finish(
    handle: EngineHandle,
    batches: tokio::task::JoinHandle<Vec<OutcomeBatch>>,
) -> Vec<OutcomeBatch> {
    let batches = batches.await.unwrap();
    tokio::task::spawn_blocking(move || handle.join())
        .await
        .unwrap()
        .unwrap();
    batches
}

/// Every batch of one target merged.
pub fn summary_of(batches: &[OutcomeBatch], target: &str) -> RunSummary {
    let mut s = RunSummary::default();
    for b in batches.iter().filter(|b| &*b.target == target) {
        s.add(b);
    }
    s
}

/// The medians of alternated rounds' p99s, solo and beside a neighbour, and the relative
/// change between them (the machine's noise is not the engine's: compare medians).
pub fn median_change(solo: &[Duration], beside: &[Duration]) -> (Duration, Duration, f64) {
    let median = |v: &[Duration]| {
        let mut v = v.to_vec();
        v.sort();
        v[v.len() / 2]
    };
    let (solo, beside) = (median(solo), median(beside));
    let change = beside.as_secs_f64() / solo.as_secs_f64() - 1.0;
    (solo, beside, change)
}
