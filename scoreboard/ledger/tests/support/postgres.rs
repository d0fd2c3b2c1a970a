//! A PostgreSQL server for tests: the one at `GAMEDAY_TEST_POSTGRES_URL`, or else a private
//! one started from Debian's packages, once per test binary, and gone when the binary ends.
//! Tests share it and keep apart by game id (each game is a schema).

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// Where tests find a server they did not start.
pub const URL_VAR: &str = "GAMEDAY_TEST_POSTGRES_URL";

/// The private server runs as this Debian user when the tests run as root (PostgreSQL
/// refuses to run as root); the `postgresql` package creates it.
const SERVER_USER: &str = "postgres";

struct Server {
    url: String,
    /// Never written and never closed: when the test binary ends, however it ends, the
    /// watchdog reads end-of-file and stops the server.
    _watchdog: Option<ChildStdin>,
    /// How to stop and start the private server again (none for a server we did not start).
    control: Option<Control>,
}

/// The private server's `pg_ctl` and the arguments it was started with.
struct Control {
    root: bool,
    dir: PathBuf,
    pg_ctl: PathBuf,
    start: Vec<String>,
    data: String,
}

static SERVER: OnceLock<Server> = OnceLock::new();

/// The URL of the test server, starting the private one on first use. Panics, saying how
/// to get a server, when there is none: these tests must never pass without running.
pub fn url() -> &'static str {
    let server = SERVER.get_or_init(|| match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => Server {
            url,
            _watchdog: None,
            control: None,
        },
        _ => start_private().unwrap_or_else(|e| panic!("{e}")),
    });
    &server.url
}

/// Stops the private server at once (fast shutdown: clients are disconnected), as a crash
/// or a restart does. Panics for a server the tests did not start: a fault test must not
/// stop someone else's server, nor pass without stopping one.
#[allow(dead_code)]
pub fn stop() {
    let c = private_control();
    run(
        c.root,
        &c.dir,
        &c.pg_ctl,
        &["-D", &c.data, "-m", "fast", "-w", "stop"],
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

/// Starts the private server again after [`stop`], on the same port.
#[allow(dead_code)]
pub fn start() {
    let c = private_control();
    let args: Vec<&str> = c.start.iter().map(String::as_str).collect();
    run(c.root, &c.dir, &c.pg_ctl, &args).unwrap_or_else(|e| panic!("{e}"));
}

fn private_control() -> &'static Control {
    url();
    SERVER
        .get()
        .and_then(|s| s.control.as_ref())
        .unwrap_or_else(|| {
            panic!("this test stops and starts its PostgreSQL server: unset {URL_VAR} to let it start a private one")
        })
}

/// A game id of its own for test `test` (unique in this run, and across runs that share a
/// server through `GAMEDAY_TEST_POSTGRES_URL`).
pub fn game_id(test: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name: String = test.chars().take(24).collect();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{name}-{}-{n}", std::process::id())
}

/// `initdb` and `pg_ctl` of the newest server that Debian's packages installed.
fn server_binaries() -> Result<(PathBuf, PathBuf), String> {
    let root = Path::new("/usr/lib/postgresql");
    let newest = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .max();
    match newest {
        Some((_, bin)) => Ok((bin.join("initdb"), bin.join("pg_ctl"))),
        None => Err(format!(
            "the PostgreSQL ledger tests need a PostgreSQL server, and there is none: install \
             Debian's (`apt-get install postgresql`: the tests start a private one from \
             /usr/lib/postgresql/*/bin), or set {URL_VAR}=postgres://USER@HOST:PORT/DATABASE \
             (a user that may create schemas)"
        )),
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// `program args`, as the server user when we are root; its output on failure.
fn run(as_server_user: bool, dir: &Path, program: &Path, args: &[&str]) -> Result<(), String> {
    let mut command = if as_server_user {
        let mut c = Command::new("runuser");
        c.args(["-u", SERVER_USER, "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    let out = command
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{} {} failed ({}):\n{}{}",
        program.display(),
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// Creates a cluster in a temporary directory and starts it on a free port of 127.0.0.1.
fn start_private() -> Result<Server, String> {
    let (initdb, pg_ctl) = server_binaries()?;
    let root = is_root();
    let dir = tempfile::Builder::new()
        .prefix("gameday-pg-")
        .tempdir()
        .map_err(|e| format!("cannot make a directory for PostgreSQL: {e}"))?
        .keep();
    if root {
        let chown = Command::new("chown")
            .arg("-R")
            .arg(format!("{SERVER_USER}:"))
            .arg(&dir)
            .status();
        if !chown.is_ok_and(|s| s.success()) {
            return Err(format!(
                "running as root, the private PostgreSQL server runs as user {SERVER_USER}, \
                 which cannot be given {} (is the `postgresql` package installed?)",
                dir.display()
            ));
        }
    }
    let watchdog = watchdog(root, &dir, &pg_ctl)?;
    let data = dir.join("data");
    let (data_arg, dir_arg) = (data.to_string_lossy(), dir.to_string_lossy());
    let init_args = [
        "-D", &data_arg, "-A", "trust", "-U", "gameday", "-E", "UTF8",
    ];
    run(
        root,
        &dir,
        &initdb,
        &[&init_args[..], &["--no-locale", "--no-sync"]].concat(),
    )?;
    let log = dir.join("server.log");
    let log_arg = log.to_string_lossy();
    let mut last_error = String::new();
    // Another test binary may take the free port between our look and the server's bind.
    for _ in 0..5 {
        let port = free_port()?;
        let options = format!(
            "-p {port} -k {dir_arg} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        );
        let start = [
            "-D", &data_arg, "-l", &log_arg, "-o", &options, "-w", "-t", "60", "start",
        ];
        match run(root, &dir, &pg_ctl, &start) {
            Ok(()) => {
                return Ok(Server {
                    url: format!("postgres://gameday@127.0.0.1:{port}/postgres"),
                    _watchdog: Some(watchdog),
                    control: Some(Control {
                        root,
                        dir: dir.clone(),
                        pg_ctl: pg_ctl.clone(),
                        start: start.iter().map(|a| a.to_string()).collect(),
                        data: data_arg.to_string(),
                    }),
                });
            }
            Err(e) => {
                let mut server_log = String::new();
                let _ =
                    std::fs::File::open(&log).and_then(|mut f| f.read_to_string(&mut server_log));
                last_error = format!("{e}\nserver log:\n{server_log}");
            }
        }
    }
    Err(format!(
        "the private PostgreSQL server did not start: {last_error}"
    ))
}

/// A shell that waits for this process to end (its standard input closes), then stops the
/// server at once and removes its directory.
fn watchdog(root: bool, dir: &Path, pg_ctl: &Path) -> Result<ChildStdin, String> {
    let as_user = if root {
        format!("runuser -u {SERVER_USER} -- ")
    } else {
        String::new()
    };
    let script = format!(
        "cat >/dev/null; {as_user}'{}' -D '{}' -m immediate stop; rm -rf '{}'",
        pg_ctl.display(),
        dir.join("data").display(),
        dir.display()
    );
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the watchdog of the PostgreSQL server: {e}"))?;
    Ok(child.stdin.take().expect("stdin is piped"))
}

fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port on 127.0.0.1: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}
