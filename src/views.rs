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
