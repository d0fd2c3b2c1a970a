//! The live game as views see it: a read-only [`Snapshot`] the game runner publishes after
//! every change, the score events as they are recorded, and the [`Control`]s a view may ask
//! for (pause, freeze, announce, adjust, a team's new URL). Views never change the game
//! themselves: they send a control and the runner records what follows. The views that
//! draw the game over time (the web's charts and debrief) ask for the game's projection,
//! which the runner hands over when asked ([`LiveView::projection`]).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::projection::GameProjection;
use crate::{Cents, GameTime, Points, ScoreEvent};

/// The whole game at one moment. Cheap to share (`Arc`), never changed once published.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub game: String,
    /// Game time now (it stops while the game is paused).
    pub now: GameTime,
    pub duration: Duration,
    pub paused: bool,
    /// The public board is frozen: [`Snapshot::public`] holds the board at the freeze.
    pub frozen: bool,
    /// The game reached its end, or was stopped.
    pub over: bool,
    /// What the load is now, e.g. `8.0 req/s` or `50 clients`.
    pub offered: String,
    /// The current phase of the load, e.g. `phase 2 of 4 (ramp to 20 req/s)`.
    pub phase: String,
    /// Every announcement so far, oldest first.
    pub announcements: Vec<Announcement>,
    /// Every team by rank, live (for the organizer).
    pub teams: Vec<TeamRow>,
    /// The board at the freeze while frozen; empty while not, when the public see `teams`
    /// (one copy of the rows, not two): read [`Snapshot::public_rows`].
    pub public: Vec<TeamRow>,
    /// Ledger transactions so far, and the time they took (for `/metrics`).
    pub ledger_writes: u64,
    pub ledger_write_seconds: f64,
    /// Whether the ledger takes writes, and what waits for it.
    pub ledger: LedgerHealth,
}

impl Snapshot {
    /// The board the public sees: [`Snapshot::teams`] unless frozen, then the board at the
    /// freeze.
    pub fn public_rows(&self) -> &[TeamRow] {
        if self.frozen {
            &self.public
        } else {
            &self.teams
        }
    }
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
        let secs = since / 1000;
        Some(format!(
            "ledger unavailable since {:02}:{:02}:{:02} UTC, {} events waiting",
            secs / 3600 % 24,
            secs / 60 % 60,
            secs % 60,
            self.waiting_events
        ))
    }
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
    /// Correct answers a second over the last tick.
    pub correct_per_s: f64,
    /// Share of the last tick's outcomes that were not correct, 0 to 100.
    pub error_pct: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// Instances (servers) running at the last look.
    pub instances: usize,
    pub cost: Cents,
    /// The team's endpoint URLs.
    pub urls: Vec<String>,
    /// Whether it waits to register one, when it did, its last check, since when it fails.
    pub endpoint: crate::projection::EndpointStatus,
    /// Score at the end of each tick, oldest first (a bounded window for charts).
    pub score_series: Vec<(GameTime, Points)>,
    /// p99 latency of each tick, oldest first (a bounded window for charts).
    pub p99_series: Vec<(GameTime, Duration)>,
    /// The team's latest score events, newest first (a bounded window; the ledger has all).
    /// Shared by every snapshot until the team has a new event (a few hundred bytes each,
    /// 200 of them: a copy a snapshot was most of a big game's memory).
    pub recent: Arc<Vec<ScoreEvent>>,
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

/// Teams' public names by id, shared by the publisher (which puts them in every snapshot)
/// and the views (the web, which changes them).
pub type Names = Arc<RwLock<BTreeMap<String, String>>>;

/// How often a team may have its endpoint checked on request.
pub const CHECK_EVERY: Duration = Duration::from_secs(10);

/// Why the core refused a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The command cannot be carried out as asked: why, in words.
    Invalid(String),
    /// Asked again too soon: it may be asked again after this.
    TooSoon(Duration),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Invalid(why) => f.write_str(why),
            Refusal::TooSoon(wait) => write!(
                f,
                "an endpoint is checked at most once every {} s: try again in {} s",
                CHECK_EVERY.as_secs(),
                wait.as_secs().max(1)
            ),
        }
    }
}

/// What a check of a team's endpoint answers whoever asked for it, or why there is none.
pub type CheckReply = Result<crate::projection::EndpointCheck, Refusal>;

/// What a view may ask the game to do.
#[derive(Debug)]
pub enum Control {
    /// Stops the clock and the load; the end of the game moves by the pause.
    Pause,
    Resume,
    /// Freezes the public board (the organizer's views stay live).
    Freeze,
    Unfreeze,
    Announce(String),
    /// Gives or takes points, recorded as an `Organizer` score event.
    Adjust {
        team: String,
        points: Points,
        reason: String,
        /// Who asked (recorded for the audit).
        by: String,
        /// The asker's id for this adjustment: the same id twice is recorded once.
        request: Option<String>,
        reply: oneshot::Sender<Result<(), String>>,
    },
    /// A team's new endpoint URL, checked as a scenario URL is (the SSRF rule applies): its
    /// registration if it had none. Answered with the probe of the new endpoint.
    SetUrl {
        team: String,
        url: String,
        reply: oneshot::Sender<CheckReply>,
    },
    /// Probes the team's endpoint now ("check my endpoint"), at most once every
    /// [`CHECK_EVERY`] a team; answered with what the probe found.
    Check {
        team: String,
        reply: oneshot::Sender<CheckReply>,
    },
    /// A write to the ledger a view makes (a new token, a team's name), through the game's
    /// one writer; answered when it is stored or has failed.
    Write {
        request: crate::ledger::WriteRequest,
        reply: oneshot::Sender<crate::ledger::WriteDone>,
    },
    /// Ends the game cleanly, as Ctrl-C does.
    Quit,
}

/// The runner's side: publishes snapshots and events, receives controls.
#[derive(Debug)]
pub struct LivePublisher {
    snapshot: watch::Sender<Arc<Snapshot>>,
    events: broadcast::Sender<ScoreEvent>,
    controls: Option<mpsc::UnboundedReceiver<Control>>,
    control_tx: mpsc::UnboundedSender<Control>,
    names: Names,
    handoff: Arc<Handoff>,
}

/// The game's projection for the views that draw the game over time: asked for by a view,
/// copied by the runner at its next publish ([`GameProjection::for_history`]: the teams'
/// histories are shared, not copied), so the game keeps one history and a view never holds
/// up the game loop while it draws.
#[derive(Debug, Default)]
struct Handoff {
    /// A runner hands its projection over (else a view reads the ledger's).
    serves: AtomicBool,
    wanted: AtomicBool,
    latest: Mutex<Option<Handed>>,
    ready: tokio::sync::Notify,
}

/// A projection handed over, with the snapshot published with it and when.
#[derive(Clone, Debug)]
struct Handed {
    projection: Arc<GameProjection>,
    snapshot: Arc<Snapshot>,
    at: Instant,
}

/// How long a view waits for the runner to hand its projection over before it draws the
/// last one it had (a runner publishes at least every quarter second while it runs).
const HANDOFF_WAIT: Duration = Duration::from_secs(2);

/// A view's side: reads snapshots, follows events, sends controls. Clone one per view.
#[derive(Clone, Debug)]
pub struct LiveView {
    pub snapshot: watch::Receiver<Arc<Snapshot>>,
    events: broadcast::Sender<ScoreEvent>,
    controls: mpsc::UnboundedSender<Control>,
    names: Names,
    handoff: Arc<Handoff>,
}

/// Score events a slow view may fall behind by before it misses some (it can re-read the
/// ledger).
const EVENT_BACKLOG: usize = 4096;

impl LivePublisher {
    pub fn new(first: Snapshot) -> LivePublisher {
        let (snapshot, _) = watch::channel(Arc::new(first));
        let (events, _) = broadcast::channel(EVENT_BACKLOG);
        let (control_tx, controls) = mpsc::unbounded_channel();
        LivePublisher {
            snapshot,
            events,
            controls: Some(controls),
            control_tx,
            names: Names::default(),
            handoff: Arc::default(),
        }
    }

    /// A handle for a view.
    pub fn view(&self) -> LiveView {
        LiveView {
            snapshot: self.snapshot.subscribe(),
            events: self.events.clone(),
            controls: self.control_tx.clone(),
            names: self.names.clone(),
            handoff: Arc::clone(&self.handoff),
        }
    }

    /// Publishes `snapshot`, each team with its public name.
    pub fn publish(&self, mut snapshot: Snapshot) {
        name_rows(&self.names, &mut snapshot);
        self.snapshot.send_replace(Arc::new(snapshot));
    }

    /// Hands `projection` (the one the latest snapshot was drawn from) to the views that
    /// asked for it since the last time: a copy sharing the teams' histories, made only
    /// when asked, and at every publish once the game is over (so that what the views draw
    /// after the end is the end). Call it after each publish.
    pub fn hand_over(&self, projection: &GameProjection) {
        let h = &self.handoff;
        h.serves.store(true, Ordering::Release);
        if !h.wanted.swap(false, Ordering::AcqRel) && !self.snapshot.borrow().over {
            return;
        }
        let handed = Handed {
            projection: Arc::new(projection.for_history()),
            snapshot: self.snapshot.borrow().clone(),
            at: Instant::now(),
        };
        *h.latest.lock().unwrap_or_else(|e| e.into_inner()) = Some(handed);
        h.ready.notify_waiters();
    }

    /// The teams' public names (as the ledger holds them), for every snapshot from now on.
    pub fn set_names(&self, names: impl IntoIterator<Item = (String, String)>) {
        let mut map = self.names.write().unwrap_or_else(|e| e.into_inner());
        map.extend(names);
    }

    /// Sends a recorded event to every view following events (none following is fine).
    pub fn event(&self, event: &ScoreEvent) {
        let _ = self.events.send(event.clone());
    }

    /// The next control a view sent (`None` once every view is gone, or after
    /// [`LivePublisher::take_controls`]).
    pub async fn control(&mut self) -> Option<Control> {
        match &mut self.controls {
            Some(controls) => controls.recv().await,
            None => None,
        }
    }

    /// The controls' receiving end, for a loop that selects over it apart from `self`.
    pub fn take_controls(&mut self) -> Option<mpsc::UnboundedReceiver<Control>> {
        self.controls.take()
    }
}

impl LiveView {
    /// The latest snapshot.
    pub fn now(&self) -> Arc<Snapshot> {
        self.snapshot.borrow().clone()
    }

    /// Follows score events recorded from now on.
    pub fn follow(&self) -> broadcast::Receiver<ScoreEvent> {
        self.events.subscribe()
    }

    /// The game's projection as of the latest snapshot, or of one at most `fresh` old; `None`
    /// when no runner in this process hands one over (a view then reads the ledger). Waits
    /// for the runner's next publish when the one it has is older, and gives the last one
    /// if the runner does not publish within [`HANDOFF_WAIT`] (a game over, or paused).
    pub async fn projection(&self, fresh: Duration) -> Option<Arc<GameProjection>> {
        let h = &self.handoff;
        if !h.serves.load(Ordering::Acquire) {
            return None;
        }
        let latest = || h.latest.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let now = self.now();
        if let Some(l) = latest()
            && (Arc::ptr_eq(&l.snapshot, &now) || l.at.elapsed() < fresh)
        {
            return Some(l.projection);
        }
        let ready = h.ready.notified();
        h.wanted.store(true, Ordering::Release);
        let _ = tokio::time::timeout(HANDOFF_WAIT, ready).await;
        latest().map(|l| l.projection)
    }

    /// Gives a team a public name, shown from the next snapshot the game publishes on.
    pub fn set_name(&self, team: &str, name: &str) {
        self.names
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(team.to_owned(), name.to_owned());
    }

    /// Asks the game for something; `false` when the game is gone.
    pub fn send(&self, control: Control) -> bool {
        self.controls.send(control).is_ok()
    }
}

/// Puts each team's public name on its rows.
fn name_rows(names: &Names, snapshot: &mut Snapshot) {
    let names = names.read().unwrap_or_else(|e| e.into_inner());
    if names.is_empty() {
        return;
    }
    for row in snapshot.teams.iter_mut().chain(snapshot.public.iter_mut()) {
        if let Some(name) = names.get(&row.team) {
            row.name.clone_from(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Cents;

    fn projection(now: u64) -> GameProjection {
        let mut p = GameProjection::new(&["a".to_owned()], Cents(800), None);
        p.now = GameTime(now);
        p
    }

    #[tokio::test]
    async fn the_projection_is_handed_over_when_asked_and_at_the_end() {
        let publisher = LivePublisher::new(Snapshot::default());
        let view = publisher.view();
        // No runner hands one over: the view reads the ledger.
        assert!(view.projection(Duration::ZERO).await.is_none());
        // A runner that publishes but is not asked copies nothing.
        publisher.hand_over(&projection(1_000));
        let asked = tokio::spawn({
            let view = view.clone();
            async move { view.projection(Duration::ZERO).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Asked: the next publish hands it over.
        publisher.publish(Snapshot::default());
        publisher.hand_over(&projection(2_000));
        let handed = asked.await.unwrap().expect("handed over");
        assert_eq!(handed.now, GameTime(2_000));
        // Fresh enough: no wait, the same one.
        let again = view.projection(Duration::from_secs(60)).await.unwrap();
        assert!(Arc::ptr_eq(&handed, &again));
        // Over: the last publish hands over unasked, and a view gets it at once.
        publisher.publish(Snapshot {
            over: true,
            ..Snapshot::default()
        });
        publisher.hand_over(&projection(3_000));
        let start = Instant::now();
        let end = view.projection(Duration::ZERO).await.unwrap();
        assert_eq!(end.now, GameTime(3_000));
        assert!(start.elapsed() < HANDOFF_WAIT / 2, "{:?}", start.elapsed());
    }
}
