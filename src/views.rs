//! Starting the live views of a game: the terminal cockpit on a thread of its own, the web
//! scoreboard on a runtime of its own (so neither waits on the game loop's ledger writes).

use scoreboard::live::LiveView;

/// The terminal cockpit, running until the organizer leaves it.
pub struct Cockpit {
    thread: std::thread::JoinHandle<std::io::Result<()>>,
}

impl Cockpit {
    /// Takes over the terminal and draws the game from `view`.
    pub fn start(view: LiveView) -> std::io::Result<Cockpit> {
        let thread = std::thread::Builder::new()
            .name("cockpit".into())
            .spawn(move || scoreboard::tui::run(view))?;
        Ok(Cockpit { thread })
    }

    /// Waits until the organizer leaves the cockpit (after the game is over, one key).
    pub fn wait(self) -> std::io::Result<()> {
        self.thread
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the cockpit panicked")))
    }
}

/// The web scoreboard, served from a thread and runtime of its own.
pub struct WebServer {
    addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl WebServer {
    /// Serves the game `view`, whose ledger is `ledger`, on `listener` (bound by the caller,
    /// so that a busy address is known before the game begins). Team URLs changed on the
    /// team page follow the scenario's private-address rule (`allow_private`). A replica
    /// (`read_only`) refuses every control. `markers` (the scenario's faults and steps) go
    /// on the charts of `/report`; the admin page shows how the game's webhooks (`hooks`)
    /// fare.
    pub fn serve(
        listener: std::net::TcpListener,
        view: LiveView,
        ledger: &scoreboard_ledger::LedgerAt,
        (allow_private, read_only): (bool, bool),
        markers: Vec<scoreboard::debrief::Marker>,
        hooks: scoreboard::notify::Health,
    ) -> std::io::Result<WebServer> {
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let check: scoreboard::web::UrlCheck = std::sync::Arc::new(move |_team, url| {
            crate::scenario::check_team_url(url, allow_private)
        });
        let state = scoreboard::web::WebState::new(view, ledger.clone(), check)
            .read_only(read_only)
            .markers(markers)
            .hooks(hooks);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("web".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()?;
                let served = runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)?;
                    scoreboard::web::serve(listener, state, async move {
                        let _ = stopped.await;
                    })
                    .await
                });
                // Requests are done; a ledger read that still waits for a database that
                // does not answer is left behind rather than waited for.
                runtime.shutdown_background();
                served
            })?;
        Ok(WebServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// Stops serving (live streams end, requests in flight finish).
    pub fn stop(mut self) -> std::io::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the web server panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// Makes sure the game has an admin token: `GAMEDAY_ADMIN_TOKEN` when set (its digest is
/// stored), else a new one when the ledger has none. Returns a token to show once, if new.
pub fn admin_token(
    at: &scoreboard_ledger::LedgerAt,
) -> Result<Option<String>, scoreboard_ledger::LedgerError> {
    use scoreboard_domain::tokens::{ADMIN, TokenHash, generate};
    // The game may not have created its ledger yet: this creates it as the game would.
    let mut ledger = at.open()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    if let Ok(token) = std::env::var("GAMEDAY_ADMIN_TOKEN")
        && !token.is_empty()
    {
        ledger.store_token(ADMIN, &TokenHash::of(&token), now)?;
        return Ok(None);
    }
    if ledger
        .token_hashes()?
        .iter()
        .any(|(owner, _)| owner == ADMIN)
    {
        return Ok(None);
    }
    let (token, hash) = generate()?;
    ledger.store_token(ADMIN, &hash, now)?;
    Ok(Some(token))
}
