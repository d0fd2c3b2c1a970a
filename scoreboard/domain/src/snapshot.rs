//! The live game as views see it, as plain data: the read-only [`Snapshot`] the game runner
//! publishes after every change, each team's [`TeamRow`], the announcements and the
//! ledger's health. The projection builds them; the views' live channel carries them.

use std::sync::Arc;
use std::time::Duration;

use crate::{Cents, GameTime, Points, ScoreEvent};

/// The whole game at one moment. Cheap to share (`Arc`), never changed once published.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub game: String,
    /// Game time now (it stops while the game is paused).
    pub now: GameTime,
    pub duration: Duration,
    pub paused: bool,
    /// When the public board froze, while it is frozen: [`Snapshot::public`] holds the board
    /// at the freeze (revealed, `None`, once the game is over).
    pub frozen: Option<GameTime>,
    /// The game reached its end, or was stopped.
    pub over: bool,
    pub load: LoadNow,
    /// Every announcement so far, oldest first.
    pub announcements: Vec<Announcement>,
    /// Every team by rank, live (for the organizer).
    pub teams: Vec<TeamRow>,
    /// The board at the freeze while frozen; empty while not, when the public see `teams`
    /// (one copy of the rows, not two): read [`Snapshot::public_rows`].
    pub public: Vec<TeamRow>,
    pub writes: LedgerWrites,
    /// Whether the ledger takes writes, and what waits for it.
    pub ledger: LedgerHealth,
    /// The instructor's breaks and restores so far, oldest first: the organizer's alone
    /// (no public view reads them; a team reads those it is told of on its endpoint).
    /// Shared by the snapshots (a new break copies the list once).
    pub breaks: Arc<Vec<crate::breaks::BreakNote>>,
}

/// The load now, as the game runner knows it (empty where it is not known: a replica).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadNow {
    /// What the load is now, e.g. `8.0 req/s` or `50 clients`.
    pub offered: String,
    /// The current phase of the load, e.g. `phase 2 of 4 (ramp to 20 req/s)`.
    pub phase: String,
}

/// Ledger transactions so far, and the seconds they took (for `/metrics`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LedgerWrites {
    pub count: u64,
    pub seconds: f64,
}

/// The ledger as the game runner sees it: what waits to be written, and since when the
/// ledger has failed, if it has.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LedgerHealth {
    /// When (wall clock, Unix ms) the ledger began to fail; `None` while it takes writes.
    pub down_since_unix_ms: Option<u64>,
    /// The last failure, with its causes.
    pub error: Option<String>,
    /// Causes and score events decided but not yet written.
    pub waiting_causes: u64,
    pub waiting_events: u64,
    /// How many causes may wait before the game pauses itself.
    pub capacity: u64,
}

impl LedgerHealth {
    /// `ledger unavailable since 14:02:11 UTC, 1,234 events waiting`, or `None` when it is
    /// fine.
    pub fn warning(&self) -> Option<String> {
        let since = self.down_since_unix_ms?;
        Some(format!(
            "ledger unavailable since {}, {} events waiting",
            utc_clock(since),
            self.waiting_events
        ))
    }
}

/// A wall-clock moment (Unix ms) as the organizer reads it: `14:02:11 UTC`.
pub fn utc_clock(unix_ms: u64) -> String {
    let secs = unix_ms / 1000;
    format!(
        "{:02}:{:02}:{:02} UTC",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

/// A message to everyone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announcement {
    pub at: GameTime,
    pub text: String,
}

/// One team's line on the board, and what the organizer's cockpit shows of it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TeamRow {
    /// 1 for the best; equal scores share a rank.
    pub rank: u32,
    /// The team's id (stable: tokens, the ledger and URLs use it).
    pub team: String,
    /// The team's public name, set when published (empty: the id is the name).
    pub name: String,
    pub score: Points,
    /// Points over the last five minutes of game time.
    pub trend: Points,
    /// The last tick: its rate of correct answers, its errors, its latency.
    pub tick: TickHealth,
    /// Instances (servers) running at the last look.
    pub instances: usize,
    pub cost: Cents,
    /// The team's endpoint URLs.
    pub urls: Vec<String>,
    /// Whether it waits to register one, when it did, its last check, since when it fails.
    pub endpoint: crate::projection::EndpointStatus,
    /// The live charts, drawn from the team's history when first read (they deref to a
    /// [`crate::projection::ChartWindow`]): `score`, the score at the end of each second of
    /// the last five minutes that had points or answers, and `p99`, the p99 latency of each
    /// second that had answers (the highest of its ticks', to the millisecond), oldest
    /// first. Shared by every snapshot until the team's history changes.
    pub charts: crate::projection::Charts,
    /// The team's latest score events, newest first (a bounded window; the ledger has all).
    /// Shared by every snapshot until the team has a new event (a few hundred bytes each:
    /// a copy a snapshot was most of a big game's memory), and each event by every list
    /// that holds it (a new event copies the list's pointers, not its events).
    pub recent: Arc<Vec<Arc<ScoreEvent>>>,
    /// How many score events the team has in all (`recent` holds every one when equal).
    pub event_count: u64,
    /// Requests due for this team so far, and how many of them the engine sent late.
    pub sends: u64,
    pub late_sends: u64,
    /// Outcomes so far by kind name (`correct`, `http_status`, …), every kind listed.
    pub outcomes: Vec<(String, u64)>,
    /// What is costing the team points: the last five minutes' losses by kind, worst first.
    pub losses: Vec<crate::projection::LossLine>,
}

/// A team's last tick as the board shows it (all zero before its first).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TickHealth {
    /// Correct answers a second over the tick.
    pub correct_per_s: f64,
    /// Share of the tick's outcomes that were not correct, 0 to 100.
    pub error_pct: f64,
    pub p50: Duration,
    pub p99: Duration,
}

impl TeamRow {
    /// What people see the team called: its public name, or its id.
    pub fn public_name(&self) -> &str {
        if self.name.is_empty() {
            &self.team
        } else {
            &self.name
        }
    }
}

impl Snapshot {
    /// The board the public sees: [`Snapshot::teams`] unless frozen, then the board at the
    /// freeze.
    pub fn public_rows(&self) -> &[TeamRow] {
        if self.frozen.is_some() {
            &self.public
        } else {
            &self.teams
        }
    }
}
