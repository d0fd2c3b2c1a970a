//! Shared helpers of hashref's integration tests: in-process servers and a real memcached.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener as StdListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hashref::unicorn::UnicornConfig;

/// A `unicorn` served in-process on a free loopback port; stops when dropped.
pub struct Server {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Server {
    pub async fn start(config: UnicornConfig) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            hashref::unicorn::serve(listener, config, shutdown)
                .await
                .unwrap();
        });
        Server {
            addr,
            stop: Some(stop),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A client without connection reuse limits that could queue our own test requests.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap()
}

/// A port that nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A real memcached from the installed package on a free loopback port; killed on drop.
pub struct Memcached {
    pub addr: String,
    child: Child,
}

impl Memcached {
    pub fn start() -> Memcached {
        let bin = ["/usr/bin/memcached", "/usr/local/bin/memcached"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or_else(|| {
                panic!(
                    "memcached is not installed: these tests need a real one \
                     (apt-get install -y memcached; .ci/run does it)"
                )
            });
        // Parallel tests may be handed the same free port: the one whose memcached answers
        // `stats` with another pid lost the race and starts again on a new port.
        for _ in 0..10 {
            let port = free_port();
            let mut child = Command::new(bin)
                .args([
                    "-l",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                    "-U",
                    "0",
                    "-m",
                    "16",
                ])
                .args(["-u", "root"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("memcached starts");
            let addr = format!("127.0.0.1:{port}");
            if serving_pid(&addr) == Some(child.id()) {
                return Memcached { addr, child };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("memcached did not start on a free port in 10 tries");
    }
}

/// The pid of the memcached answering at `addr`, once it answers (up to 10 s).
fn serving_pid(addr: &str) -> Option<u32> {
    use std::io::{BufRead, BufReader, Write};
    let deadline = Instant::now() + Duration::from_secs(10);
    let stream = loop {
        match TcpStream::connect(addr) {
            Ok(s) => break s,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => return None,
        }
    };
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    (&stream).write_all(b"stats\r\n").ok()?;
    for line in BufReader::new(&stream).lines() {
        let line = line.ok()?;
        if let Some(pid) = line.strip_prefix("STAT pid ") {
            return pid.trim().parse().ok();
        }
        if line.starts_with("END") {
            return None;
        }
    }
    None
}

impl Drop for Memcached {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
