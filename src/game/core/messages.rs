//! What the shell and the core say to each other: an [`Input`] in (what happened, with the
//! time), [`Effect`]s out (what to do). An organizer's command is the views' own
//! ([`scoreboard::live::Command`]), defined once.

use std::time::Duration;

use loadgen::OutcomeBatch;
pub(crate) use scoreboard::live::Command;
use scoreboard::live::Refusal;
use scoreboard_domain::breaks::BreakOutcome;
use scoreboard_domain::{GameTime, Observation, ScoreEvent};
use scoreboard_ledger::{ClockEvent, Note, Recorded};

use super::breaks::{BreakOrder, RestoreOrder};
use super::collect::SegmentRead;
use crate::scenario::{Fault, SimStep};

/// A cause with the events derived from it, as the ledger records them.
pub(crate) type Item = (Recorded, Vec<ScoreEvent>);

/// What the shell tells the core.
#[derive(Debug)]
pub(crate) enum Input {
    /// Outcome batches of this process's engine.
    Batches(Vec<OutcomeBatch>),
    /// A read of the segment batches external load workers wrote (a split game), made off
    /// the game loop.
    Segments(SegmentRead),
    /// The game clock stands at `now`.
    Look { now: GameTime },
    /// What the inventory holds now.
    Observed(Observation),
    /// An organizer's command, at game time `at` (`now_unix_ms` names an adjustment that
    /// came without an id of its own).
    Command {
        at: GameTime,
        now_unix_ms: u64,
        command: Command,
    },
    /// The load started again as run `run`, after a pause of `pause`, at wall-clock
    /// `now_unix_ms`.
    Resumed {
        at: GameTime,
        run: u64,
        pause: Duration,
        now_unix_ms: u64,
    },
    /// The outbox holds as many causes as it may while the ledger is unavailable.
    LedgerFull {
        at: GameTime,
        waiting: u64,
        now_unix_ms: u64,
    },
    /// The ledger took what waited, `after` it went away.
    LedgerBack {
        at: GameTime,
        after: Duration,
        written: usize,
    },
    /// Ctrl-C or SIGTERM (`Some`), or the organizer's quit (`None`): the game stops for good.
    Stop {
        at: GameTime,
        signal: Option<Signal>,
    },
    /// The load is over at `at` (the game's end, or where a stop left it): the clock stands
    /// there, and a split game's last ticks are expected.
    End { at: GameTime },
    /// The ledger wrote a chunk of causes, in `took`.
    Written { took: Duration },
    /// The ledger stored a team's new public name (a view asked for it): the projection
    /// shows it from now on.
    Renamed(scoreboard_domain::names::TeamName),
    /// A probe of team `team`'s endpoint (by scenario index) finished: what it found, in
    /// words. Recorded and shown, never scored.
    Checked {
        at: GameTime,
        team: usize,
        passed: bool,
        text: String,
        now_unix_ms: u64,
    },
    /// The shell carried out break `id` (an [`Effect::Break`]) at `at`: what it changed and
    /// what was there before, or why it failed.
    Broken {
        id: String,
        at: GameTime,
        outcome: BreakOutcome,
    },
    /// The shell carried out the restore of break `id` at `at`: what it put back, that the
    /// team had mended it, or why it failed.
    Restored {
        id: String,
        at: GameTime,
        outcome: BreakOutcome,
    },
    /// A simulated team mended break `id` at `at` ([`Effect::Mend`]): what it did
    /// ([`BreakOutcome::Mended`]), or why it could not.
    Mended {
        id: String,
        at: GameTime,
        outcome: BreakOutcome,
    },
}

/// A signal that stops a game, a wait for its workers, or a worker: loadgen's, which cuts
/// its runs short the same way.
pub use loadgen::Signal;

/// What the shell is to do, in order.
#[derive(Debug, PartialEq)]
pub(crate) enum Effect {
    /// A line for the game's log.
    Say(String),
    /// Causes decided and counted in the projection: the views get their events, the
    /// ledger gets them (through the outbox).
    Record(Vec<Item>),
    /// An announcement made, for the ledger (through the outbox): what the debrief marks.
    Note(Note),
    /// A simulated team's step, or a fault done to it, due at `at`.
    Step {
        team: String,
        step: SimStep,
        at: GameTime,
    },
    Fault {
        team: String,
        fault: Fault,
        at: GameTime,
    },
    Hook {
        command: String,
        timeout: Duration,
        at: GameTime,
    },
    /// Break a team's stack (off the loop for a real team), then tell the core
    /// [`Input::Broken`].
    Break(BreakOrder),
    /// A resumed game's break of a simulated team, still in place: its new servers are broken
    /// the same way (nothing to tell the core: it is noted already).
    BreakAgain(BreakOrder),
    /// Put back what a break recorded, then tell the core [`Input::Restored`].
    Restore(RestoreOrder),
    /// A simulated team mends break `id` itself (its `mend_after` is over), then tells the
    /// core [`Input::Mended`]: no restore runs after it.
    Mend {
        id: String,
        team: String,
        at: GameTime,
    },
    /// Look at the inventory, then tell the core what it holds.
    Bill(GameTime),
    /// Print the plain-text board.
    Board,
    /// Stop the load and the clock.
    Pause,
    /// Start a new run at the paused game time, then tell the core [`Input::Resumed`].
    Resume,
    /// Stop the load for good.
    Stop,
    /// The team (by scenario index) now answers at `url`; once it does, `note` goes to the
    /// ledger (a URL the load could not take is not marked).
    SetUrl {
        team: usize,
        url: String,
        note: Note,
    },
    /// Probe the team's endpoint at `url` off the loop, then tell the core
    /// [`Input::Checked`] (and whoever asked, the result).
    Probe { team: usize, url: String },
    /// The pauses so far, for the ledger's clock, and the pause or resume that brought them
    /// there.
    StorePauses {
        paused_ms: u64,
        since_unix_ms: Option<u64>,
        event: ClockEvent,
    },
    /// The answer to the command that asked.
    Reply(Result<(), Refusal>),
}
