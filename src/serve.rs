//! Serving a game's web scoreboard: its socket bound before a live game begins, the
//! scoreboard started once the game has a view (with the tokens said), the live views of
//! `gameday play` together, and the read-only replica `gameday serve` keeps fresh from a
//! ledger until it is told to stop.

use std::future::Future;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::time::Duration;

use scoreboard::live::{LivePublisher, LiveView};
use scoreboard::notify::{Health, Hook, Notifier, Retry};
use scoreboard_ledger::LedgerAt;

use crate::game::{GameError, Replica, ReplicaNews};
use crate::ledger_names::ledger_flags;
use crate::scenario::Scenario;
use crate::views::{Cockpit, WebServer};

/// Why a web scoreboard cannot serve.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address asked for with --web is taken (or not this machine's).
    #[error(
        "the web scoreboard cannot listen on {addr}: {error} (choose another address with \
         --web ADDR, or --no-web)"
    )]
    Taken {
        addr: SocketAddr,
        error: std::io::Error,
    },
    /// The replica's web scoreboard could not start.
    #[error("listening on {addr}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// The replica's ledger could not be read the first time.
    #[error("reading {at}")]
    Ledger { at: String, source: GameError },
    /// The replica's runtime could not start, or its server did not stop cleanly.
    #[error("the web scoreboard")]
    Io(#[from] std::io::Error),
}

/// Where the web scoreboard listens unless `--web` says.
pub const DEFAULT_WEB: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8080);

/// The web scoreboard's socket for a live game, bound before the game begins.
#[derive(Debug)]
pub enum WebBinding {
    Bound(TcpListener),
    /// The default address is taken: the game goes on without the web pages (the demo runs
    /// where something else has 8080); what to tell the organizer.
    Skipped(String),
}

/// Binds the web scoreboard's socket: the address `asked` with --web, which must be free
/// ([`ServeError::Taken`]), or [`DEFAULT_WEB`], which may be taken.
pub fn bind_web(asked: Option<SocketAddr>) -> Result<WebBinding, ServeError> {
    let addr = asked.unwrap_or(DEFAULT_WEB);
    match TcpListener::bind(addr) {
        Ok(listener) => Ok(WebBinding::Bound(listener)),
        Err(error) if asked.is_some() => Err(ServeError::Taken { addr, error }),
        Err(e) => Ok(WebBinding::Skipped(format!(
            "no web scoreboard on {addr}: {e}; the game goes on without it (choose another \
             address with --web ADDR)"
        ))),
    }
}

/// Starts the web scoreboard of the live game `view` on its bound socket and says on `say`
/// where, with the admin token when it is new. One that cannot start is said, and the game
/// goes on without the web pages.
pub fn start_web(
    listener: TcpListener,
    view: &LiveView,
    (at, scenario): (&LedgerAt, &Scenario),
    hooks: Health,
    say: &mut dyn Write,
) -> Option<WebServer> {
    let allow_private = scenario.game.allow_private_targets;
    let markers = crate::debrief::markers(scenario);
    let addr = listener
        .local_addr()
        .map_or_else(|_| "its address".to_owned(), |a| a.to_string());
    let served = WebServer::serve(
        listener,
        view.clone(),
        at,
        (allow_private, false),
        markers,
        hooks,
    );
    let server = match served {
        Ok(server) => server,
        Err(e) => {
            let _ = writeln!(say, "gameday: no web scoreboard on {addr}: {e}");
            return None;
        }
    };
    // The admin token is in the ledger before the address is out: a request that follows
    // the address at once finds it.
    let admin = crate::views::admin_token(at);
    let _ = writeln!(
        say,
        "web scoreboard: http://{}/  (teams: /team, organizers: /admin)",
        server.addr()
    );
    let _ = match admin {
        Ok(Some(token)) => writeln!(
            say,
            "admin token (shown once; `gameday teams {} --admin` makes a new one): {token}",
            ledger_flags(at)
        ),
        Ok(None) => Ok(()),
        Err(e) => writeln!(say, "gameday: no admin token: {e}"),
    };
    let _ = writeln!(say, "team tokens: gameday teams {}", ledger_flags(at));
    Some(server)
}

/// The live views of `gameday play`: the web scoreboard (on the socket bound before the
/// game) and the terminal cockpit, started once the game has a view, ended after it.
pub struct GameViews<'a> {
    listener: Option<TcpListener>,
    tui: bool,
    at: &'a LedgerAt,
    scenario: &'a Scenario,
    /// The webhooks: the scenario's `[[notify]]` and `--notify`.
    hooks: Vec<Hook>,
    web: Option<WebServer>,
    cockpit: Option<std::io::Result<Cockpit>>,
    notifier: Option<std::thread::JoinHandle<()>>,
}

impl<'a> GameViews<'a> {
    /// The views of the game `scenario` in the ledger `at`: the web on `listener` (none:
    /// no web) and the cockpit when `tui`.
    pub fn new(
        listener: Option<TcpListener>,
        tui: bool,
        at: &'a LedgerAt,
        scenario: &'a Scenario,
    ) -> GameViews<'a> {
        GameViews {
            listener,
            tui,
            at,
            scenario,
            hooks: scenario.notify.clone(),
            web: None,
            cockpit: None,
            notifier: None,
        }
    }

    /// More webhooks than the scenario's (`--notify`).
    pub fn notify(mut self, hooks: impl IntoIterator<Item = Hook>) -> GameViews<'a> {
        self.hooks.extend(hooks);
        self
    }

    /// Starts the views on the game's `view` (the web's addresses and tokens go to stderr,
    /// which the cockpit leaves alone).
    pub fn start(&mut self, view: LiveView) {
        let mut health = Health::default();
        if !self.hooks.is_empty() {
            match start_notifier(std::mem::take(&mut self.hooks), view.clone()) {
                Ok((thread, h)) => (self.notifier, health) = (Some(thread), h),
                Err(e) => eprintln!("gameday: no webhooks: {e}"),
            }
        }
        if let Some(listener) = self.listener.take() {
            let game = (self.at, self.scenario);
            self.web = start_web(listener, &view, game, health, &mut std::io::stderr());
        }
        if self.tui {
            self.cockpit = Some(Cockpit::start(view));
        }
    }

    /// Stops the web, waits until the organizer leaves the cockpit, and gives the webhooks
    /// their last words (at most [`LAST_WORDS`]).
    pub fn finish(mut self) -> std::io::Result<()> {
        drop(self.web.take());
        let left = match self.cockpit.take() {
            Some(cockpit) => cockpit?.wait(),
            None => Ok(()),
        };
        if let Some(notifier) = self.notifier.take() {
            let _ = notifier.join();
        }
        left
    }
}

/// How long the end of a game waits for its webhooks' last messages.
pub const LAST_WORDS: Duration = Duration::from_secs(10);

/// The webhooks' thread: tells `hooks` what each snapshot of `view` changes until the game
/// is over (or its publisher gone), then waits for their last messages, at most
/// [`LAST_WORDS`]. Returns it with the hooks' health, for the admin page.
fn start_notifier(
    hooks: Vec<Hook>,
    view: LiveView,
) -> std::io::Result<(std::thread::JoinHandle<()>, Health)> {
    let (health_tx, health_rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("notify".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                let notifier = Notifier::start(hooks, Retry::default());
                let _ = health_tx.send(notifier.health());
                let _ = notifier.follow(view).await;
                notifier.drain(LAST_WORDS).await;
            });
        })?;
    let health = health_rx
        .recv()
        .map_err(|_| std::io::Error::other("the webhooks' runtime did not start"))?;
    Ok((thread, health))
}

/// `gameday serve`: a read-only web scoreboard of a game's ledger (finished, or being played
/// by another process), its controls refused.
pub struct ReplicaBoard {
    at: LedgerAt,
    replica: Replica,
    live: LivePublisher,
    server: WebServer,
}

impl ReplicaBoard {
    /// Reads the ledger `at` once (it must hold a game) and serves it on `web`, with
    /// `markers` (a scenario's faults and steps) on the report's charts.
    pub fn start(
        at: LedgerAt,
        web: SocketAddr,
        markers: Vec<scoreboard::debrief::Marker>,
    ) -> Result<ReplicaBoard, ServeError> {
        let mut replica = Replica::new(at.clone());
        let live = LivePublisher::new(Default::default());
        replica
            .refresh(&live)
            .map_err(|source| ServeError::Ledger {
                at: at.to_string(),
                source,
            })?;
        let server = TcpListener::bind(web)
            .and_then(|listener| {
                WebServer::serve(
                    listener,
                    live.view(),
                    &at,
                    (false, true),
                    markers,
                    Default::default(),
                )
            })
            .map_err(|source| ServeError::Listen { addr: web, source })?;
        Ok(ReplicaBoard {
            at,
            replica,
            live,
            server,
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// What to tell the organizer once it serves.
    pub fn banner(&self) -> String {
        format!(
            "read-only scoreboard of {}: http://{}/ (Ctrl-C stops it)",
            self.at,
            self.addr()
        )
    }

    /// Reads the ledger again every `refresh` until `shutdown` completes, then stops
    /// serving. The replica reads on a thread of its own (`Replica::follow`), so a ledger
    /// that stops answering never holds up the shutdown. A ledger that fails is said on
    /// `log` once (the board shows what was read before), and again when it answers.
    pub fn run(
        self,
        refresh: Duration,
        log: &mut dyn Write,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), ServeError> {
        let ReplicaBoard {
            replica,
            live,
            server,
            ..
        } = self;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let mut news = replica.follow(live, refresh)?;
        runtime.block_on(async {
            tokio::pin!(shutdown);
            loop {
                tokio::select! {
                    Some(news) = news.recv() => say(&news, refresh, log),
                    _ = &mut shutdown => break,
                }
            }
        });
        server.stop()?;
        Ok(())
    }
}

/// Tells the organizer what the replica's reads found.
fn say(news: &ReplicaNews, every: Duration, log: &mut dyn Write) {
    let said = match news {
        ReplicaNews::Failed(e) => writeln!(
            log,
            "gameday: {} (the board shows what was read before; trying again every {})",
            loadgen::error_chain(e),
            humantime::format_duration(every)
        ),
        ReplicaNews::Back => writeln!(log, "gameday: the ledger answers again"),
    };
    // The log is stderr: nothing to do when even that is gone.
    let _ = said;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// A GET on `addr`, the whole response as text.
    fn get(addr: SocketAddr, path: &str) -> String {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn a_replica_serves_the_ledgers_board_until_told_to_stop() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("game.db");
        crate::test_ledger::small_game(&db);
        let at = LedgerAt::File(db.clone());
        let (admin, digest) = scoreboard_domain::tokens::generate().unwrap();
        let mut ledger = at.open_existing().unwrap();
        ledger
            .store_token(scoreboard_domain::tokens::ADMIN, &digest, 0)
            .unwrap();
        drop(ledger);
        let board = ReplicaBoard::start(at, "127.0.0.1:0".parse().unwrap(), Vec::new()).unwrap();
        let addr = board.addr();
        assert!(board.banner().contains(&format!("http://{addr}/")));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = std::thread::spawn(move || {
            board.run(Duration::from_millis(50), &mut std::io::sink(), async {
                let _ = stopped.await;
            })
        });
        let response = get(addr, "/api/board");
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(
            response.contains(r#""team":"alpha""#) && response.contains(r#""team":"bravo""#),
            "{response}"
        );
        // Read-only: even the organizer's control is refused, as a conflict.
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "POST /api/admin/pause HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Authorization: Bearer {admin}\r\nContent-Length: 0\r\n\r\n"
        )
        .unwrap();
        let mut refused = String::new();
        stream.read_to_string(&mut refused).unwrap();
        assert!(refused.starts_with("HTTP/1.1 409"), "{refused}");
        // The replica follows the ledger: a tick written by another process reaches the board.
        let before = get(addr, "/api/board");
        crate::test_ledger::record_tick(&db, 3);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while get(addr, "/api/board") == before {
            assert!(
                std::time::Instant::now() < deadline,
                "the board never moved"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(get(addr, "/api/board").contains(r#""score":"+38""#));
        // A team's name written meanwhile reaches the board through the projection.
        let mut ledger = LedgerAt::File(db.clone()).open_existing().unwrap();
        let name = scoreboard_domain::names::TeamName {
            team: "bravo".into(),
            name: "Night Owls".into(),
            by_team: true,
        };
        ledger.store_team_name(&name).unwrap();
        drop(ledger);
        while !get(addr, "/api/board").contains(r#""name":"Night Owls""#) {
            assert!(
                std::time::Instant::now() < deadline,
                "the name never reached the board"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        stop.send(()).unwrap();
        serving.join().unwrap().unwrap();
        assert!(std::net::TcpStream::connect(addr).is_err(), "still serving");
    }

    #[test]
    fn a_replica_of_no_ledger_is_refused_before_it_listens() {
        let dir = tempfile::tempdir().unwrap();
        let at = LedgerAt::File(dir.path().join("none.db"));
        let err = ReplicaBoard::start(at, "127.0.0.1:0".parse().unwrap(), Vec::new())
            .err()
            .unwrap();
        assert!(matches!(err, ServeError::Ledger { .. }), "{err:?}");
        assert!(
            loadgen::error_chain(&err).contains("no ledger at"),
            "{}",
            loadgen::error_chain(&err)
        );
    }

    #[test]
    fn a_taken_address_is_refused_when_asked_for() {
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap();
        let err = bind_web(Some(addr)).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("the web scoreboard cannot listen on {addr}: ")),
            "{err}"
        );
        assert!(err.to_string().ends_with("--no-web)"), "{err}");
    }
}
