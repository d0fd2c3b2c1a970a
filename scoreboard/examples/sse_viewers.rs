//! Many server-sent-event viewers of a live board, for `scripts/bench-sse.sh`: how long each
//! update takes from its first arrival at any viewer to its arrival at the last, and how much
//! CPU the serving process spends meanwhile.
//!
//! ```text
//! cargo run --release -p scoreboard --example sse_viewers -- \
//!     --addr 127.0.0.1:8080 --viewers 2000 --window 30 --pid 1234
//! ```
//!
//! Prints one JSON line. With `--viewers 0` it only measures the process's CPU over the
//! window (the baseline). Raw sockets and a hand-rolled chunked decoder keep the client cheap.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio::sync::watch;

/// What the command line asks for.
struct Options {
    addr: SocketAddr,
    path: String,
    viewers: usize,
    window: Duration,
    pid: Option<u32>,
    clock_ticks: f64,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        addr: "127.0.0.1:8080".parse().unwrap(),
        path: "/api/board/stream".into(),
        viewers: 2000,
        window: Duration::from_secs(30),
        pid: None,
        clock_ticks: 100.0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag}: needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--addr" => o.addr = value.parse().map_err(|e| bad(&e))?,
            "--path" => o.path = value,
            "--viewers" => o.viewers = value.parse().map_err(|e| bad(&e))?,
            "--window" => o.window = Duration::from_secs(value.parse().map_err(|e| bad(&e))?),
            "--pid" => o.pid = Some(value.parse().map_err(|e| bad(&e))?),
            "--clock-ticks" => o.clock_ticks = value.parse().map_err(|e| bad(&e))?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(o)
}

/// One viewer's record: each update it saw (by key) and when, in order.
type Arrivals = Vec<(u64, Instant)>;

/// Splits a chunked HTTP response into server-sent events.
#[derive(Default)]
struct Decoder {
    raw: Vec<u8>,
    headers_done: bool,
    body: Vec<u8>,
}

impl Decoder {
    /// Takes bytes off the socket; returns the complete events' keys (comments skipped).
    fn feed(&mut self, bytes: &[u8], keys: &mut Vec<u64>) -> Result<(), String> {
        self.raw.extend_from_slice(bytes);
        if !self.headers_done {
            let Some(end) = find(&self.raw, b"\r\n\r\n") else {
                return Ok(());
            };
            if !self.raw.starts_with(b"HTTP/1.1 200") {
                return Err(String::from_utf8_lossy(&self.raw[..end]).into_owned());
            }
            self.raw.drain(..end + 4);
            self.headers_done = true;
        }
        self.dechunk()?;
        while let Some(end) = find(&self.body, b"\n\n") {
            if let Some(key) = event_key(&self.body[..end]) {
                keys.push(key);
            }
            self.body.drain(..end + 2);
        }
        Ok(())
    }

    /// Moves every complete chunk from `raw` to `body`.
    fn dechunk(&mut self) -> Result<(), String> {
        let mut at = 0;
        while let Some(line) = find(&self.raw[at..], b"\r\n") {
            let size = std::str::from_utf8(&self.raw[at..at + line])
                .ok()
                .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
                .ok_or("bad chunk size")?;
            let start = at + line + 2;
            if self.raw.len() < start + size + 2 {
                break;
            }
            if size == 0 {
                return Err("the stream ended".into());
            }
            self.body.extend_from_slice(&self.raw[start..start + size]);
            at = start + size + 2;
        }
        self.raw.drain(..at);
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// An event's identity: the board's `now_ms` when it has one (each snapshot has its own),
/// else a hash of its data. Comments (keep-alives) have none.
fn event_key(event: &[u8]) -> Option<u64> {
    let data = event
        .split(|b| *b == b'\n')
        .find_map(|line| line.strip_prefix(b"data:"))?;
    let head = &data[..data.len().min(256)];
    let now_ms = find(head, b"\"now_ms\":").and_then(|at| {
        let digits: Vec<u8> = head[at + 9..]
            .iter()
            .copied()
            .take_while(u8::is_ascii_digit)
            .collect();
        std::str::from_utf8(&digits).ok()?.parse().ok()
    });
    Some(now_ms.unwrap_or_else(|| {
        let mut h = DefaultHasher::new();
        data.hash(&mut h);
        h.finish()
    }))
}

/// Reads one stream until `stop`; marks itself `ready` at its first event.
async fn viewer(
    o: Arc<Options>,
    ready: Arc<AtomicUsize>,
    mut stop: watch::Receiver<bool>,
) -> Result<Arrivals, String> {
    let socket = TcpStream::connect(o.addr)
        .await
        .map_err(|e| e.to_string())?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
        o.path, o.addr
    );
    let mut rest = request.as_bytes();
    while !rest.is_empty() {
        socket.writable().await.map_err(|e| e.to_string())?;
        match socket.try_write(rest) {
            Ok(n) => rest = &rest[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    let mut decoder = Decoder::default();
    let mut arrivals = Arrivals::new();
    let mut keys = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return Ok(arrivals),
            readable = socket.readable() => readable.map_err(|e| e.to_string())?,
        }
        let n = match socket.try_read(&mut buf) {
            Ok(0) => return Ok(arrivals),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e.to_string()),
        };
        let at = Instant::now();
        decoder.feed(&buf[..n], &mut keys)?;
        for key in keys.drain(..) {
            if arrivals.is_empty() {
                ready.fetch_add(1, Ordering::Relaxed);
            }
            // A repeat of the same update is not a new arrival.
            if arrivals.last().is_none_or(|(k, _)| *k != key) {
                arrivals.push((key, at));
            }
        }
    }
}

/// The process's CPU time so far (user + system, all threads), in seconds.
fn cpu_seconds(pid: u32, clock_ticks: f64) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / clock_ticks)
}

/// Per update first seen in `[from, to]`: the spread from first to last arrival, and how
/// many viewers saw it.
fn spreads(all: &[Arrivals], from: Instant, to: Instant) -> Vec<(Duration, usize)> {
    let mut updates: HashMap<u64, (Instant, Instant, usize)> = HashMap::new();
    for arrivals in all {
        for &(key, at) in arrivals {
            let u = updates.entry(key).or_insert((at, at, 0));
            u.0 = u.0.min(at);
            u.1 = u.1.max(at);
            u.2 += 1;
        }
    }
    updates
        .into_values()
        .filter(|(first, _, _)| *first >= from && *first <= to)
        .map(|(first, last, seen)| (last - first, seen))
        .collect()
}

/// The `p` quantile in milliseconds, as JSON (`null` without updates).
fn percentile(sorted: &[Duration], p: f64) -> String {
    if sorted.is_empty() {
        return "null".into();
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    format!("{:.1}", sorted[i].as_secs_f64() * 1e3)
}

/// Opens the viewers a hundred at a time (the listener's backlog is small), then waits up
/// to 60 s for each to have its first event.
async fn open_viewers(
    o: &Arc<Options>,
    ready: &Arc<AtomicUsize>,
    stop: &watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<Result<Arrivals, String>>> {
    let mut tasks = Vec::with_capacity(o.viewers);
    for i in 0..o.viewers {
        tasks.push(tokio::spawn(viewer(o.clone(), ready.clone(), stop.clone())));
        if i % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while ready.load(Ordering::Relaxed) < o.viewers && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tasks
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let o = Arc::new(options()?);
    let ready = Arc::new(AtomicUsize::new(0));
    let (stop_tx, stop) = watch::channel(false);
    let tasks = open_viewers(&o, &ready, &stop).await;
    let ready_at_start = ready.load(Ordering::Relaxed);
    let cpu_before = o.pid.and_then(|p| cpu_seconds(p, o.clock_ticks));
    let from = Instant::now();
    tokio::time::sleep(o.window).await;
    let to = Instant::now();
    let cpu_after = o.pid.and_then(|p| cpu_seconds(p, o.clock_ticks));
    // Updates of the window's end still reach the slow viewers.
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop_tx.send_replace(true);
    let (mut all, mut failed, mut first_error) = (Vec::new(), 0, String::new());
    for task in tasks {
        match task.await.map_err(|e| e.to_string()).and_then(|r| r) {
            Ok(arrivals) => all.push(arrivals),
            Err(e) => {
                failed += 1;
                first_error = e;
            }
        }
    }
    let window = (to - from).as_secs_f64();
    let cpu = match (cpu_before, cpu_after) {
        (Some(a), Some(b)) => format!("{:.3}", (b - a) / window),
        _ => "null".into(),
    };
    let updates = spreads(&all, from, to);
    let everyone = updates
        .iter()
        .filter(|(_, seen)| *seen == all.len())
        .count();
    let mut sorted: Vec<Duration> = updates.iter().map(|(d, _)| *d).collect();
    sorted.sort();
    let frames: usize = all.iter().map(Vec::len).sum();
    println!(
        "{{\"viewers\":{},\"ready\":{ready_at_start},\"failed\":{failed},\"first_error\":{:?},\
         \"window_s\":{window:.3},\"cpu_share\":{cpu},\"updates\":{},\"updates_to_all\":{everyone},\
         \"frames\":{frames},\"p50_ms\":{},\"p99_ms\":{},\"max_ms\":{}}}",
        o.viewers,
        first_error,
        updates.len(),
        percentile(&sorted, 0.50),
        percentile(&sorted, 0.99),
        percentile(&sorted, 1.0),
    );
    Ok(())
}
