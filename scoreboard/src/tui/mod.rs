//! The organizer's terminal cockpit: the live board, what is costing the selected team
//! points, its score events and charts, and keys to pause, freeze, announce and quit.
//!
//! The cockpit only reads the [`Snapshot`](crate::live::Snapshot)s the game runner publishes
//! and sends [`Control`](crate::live::Control)s back; it never changes the game or aggregates
//! anything itself. [`App`] owns the UI state, each panel is a widget in its own file, and
//! [`run`] owns the terminal.

mod app;
mod board;
mod chart;
mod events;
mod footer;
mod header;
mod input;
mod losses;
mod text;

use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::crossterm::event::{self, Event};
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::crossterm::{cursor, execute};

pub use app::App;
pub use board::Board;
pub use chart::ScoreChart;
pub use events::EventList;
pub use footer::Footer;
pub use header::Header;
pub use input::InputMode;
pub use losses::LossPanel;

use crate::live::LiveView;

/// The longest the screen goes without a redraw, so a resize or a stalled runner still shows.
const REDRAW_EVERY: Duration = Duration::from_millis(250);

/// How long one wait for a key lasts: short enough that a new snapshot shows promptly.
const POLL_EVERY: Duration = Duration::from_millis(50);

/// Runs the cockpit in this terminal until the organizer quits (after sending
/// [`Command::Quit`](crate::live::Command::Quit)), the game is over and a key is pressed,
/// or the game is gone.
///
/// Takes over the terminal (raw mode, alternate screen) and gives it back on every exit,
/// a panic on this thread included. Blocking: call it on its own thread, not inside a tokio
/// runtime.
pub fn run(view: LiveView) -> io::Result<()> {
    let mut screen = Screen::enter()?;
    run_with(&mut screen.terminal, &view, |timeout| {
        if event::poll(timeout)? {
            event::read().map(Some)
        } else {
            Ok(None)
        }
    })
}

/// The cockpit's loop on any backend, with terminal events from `next_event` (which waits at
/// most the given time and gives `None` when nothing happened). [`run`] is this loop on the
/// real terminal; tests drive it with a `TestBackend` and scripted keys.
pub fn run_with<B, E>(
    terminal: &mut Terminal<B>,
    view: &LiveView,
    mut next_event: E,
) -> io::Result<()>
where
    B: Backend,
    E: FnMut(Duration) -> io::Result<Option<Event>>,
{
    let mut app = App::new(view.now());
    // Keys, resizes and new snapshots redraw at once; the timer catches anything else.
    let mut redraw = true;
    let mut drawn = Instant::now();
    loop {
        let latest = view.now();
        if !Arc::ptr_eq(&latest, app.snapshot()) {
            app.update(latest);
            redraw = true;
        }
        if app.poll_answers() {
            redraw = true;
        }
        if !app.finished() && view.snapshot.has_changed().is_err() {
            // The runner dropped its publisher: nothing will change or answer any more.
            app.game_gone();
            redraw = true;
        }
        if redraw || drawn.elapsed() >= REDRAW_EVERY {
            terminal.draw(|frame| app.render(frame))?;
            drawn = Instant::now();
            redraw = false;
        }
        match next_event(POLL_EVERY)? {
            Some(Event::Key(key)) => {
                if let Some(control) = app.handle_key(key)
                    && !view.send(control)
                {
                    return Ok(());
                }
                redraw = true;
            }
            Some(Event::Resize(..)) => redraw = true,
            _ => {}
        }
        if app.exit_requested() {
            return Ok(());
        }
    }
}

/// The real terminal, in raw mode on the alternate screen for as long as this lives.
struct Screen {
    terminal: Terminal<CrosstermBackend<Stdout>>,
    _restore: RestoreOnDrop,
}

/// Gives the terminal back when dropped: on return, on error and while unwinding.
struct RestoreOnDrop;

impl Drop for RestoreOnDrop {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Whether this process's terminal is in raw mode on the alternate screen because of us.
static TAKEN: AtomicBool = AtomicBool::new(false);

/// The thread that took the terminal: only its panics restore it from the panic hook, so a
/// panic caught elsewhere (a tokio task) does not pull the screen from under a running cockpit.
static OWNER: Mutex<Option<ThreadId>> = Mutex::new(None);

impl Screen {
    fn enter() -> io::Result<Screen> {
        install_panic_hook();
        enable_raw_mode()?;
        TAKEN.store(true, Ordering::SeqCst);
        *OWNER.lock().unwrap_or_else(|e| e.into_inner()) = Some(thread::current().id());
        // From here on every early return drops this and restores the terminal.
        let restore = RestoreOnDrop;
        execute!(io::stdout(), EnterAlternateScreen)?;
        let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        terminal.clear()?;
        Ok(Screen {
            terminal,
            _restore: restore,
        })
    }
}

fn restore_terminal() {
    if TAKEN.swap(false, Ordering::SeqCst) {
        // Raw mode first: it matters more than the screen if the rest fails.
        let _ = disable_raw_mode();
        let _ = execute!(io::stdout(), LeaveAlternateScreen, cursor::Show);
        *OWNER.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Restores the terminal before the panic message prints, so the message is readable.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let owner = *OWNER.lock().unwrap_or_else(|e| e.into_inner());
            if owner == Some(thread::current().id()) {
                restore_terminal();
            }
            previous(info);
        }));
    });
}
