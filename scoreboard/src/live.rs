//! The live game as views see it: a read-only [`Snapshot`] the game runner publishes after
//! every change, the score events as they are recorded, and the [`Control`]s a view may ask
//! for (pause, freeze, announce, adjust, a team's new URL). Views never change the game
//! themselves: they send a control and the runner records what follows. The views that
//! draw the game over time (the web's charts and debrief) ask for the game's projection,
//! which the runner hands over when asked ([`LiveView::projection`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, mpsc, oneshot, watch};

use scoreboard_domain::projection::GameProjection;
use scoreboard_domain::{Points, ScoreEvent};
// The snapshot's plain data is the domain's; the channels that carry it are here.
pub use scoreboard_domain::snapshot::{
    Announcement, LedgerHealth, LedgerWrites, LoadNow, Snapshot, TeamRow,
};

/// How often a team may have its endpoint checked on request.
pub const CHECK_EVERY: Duration = Duration::from_secs(10);

/// Why the core refused a command: each kind is a status of the web's (no such team 404,
/// invalid 422, conflict 409, too soon 429), its words the reason shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The command names a team the game does not have.
    NoSuchTeam(String),
    /// The command cannot be carried out as asked: why, in words.
    Invalid(String),
    /// The command is well formed but not for this team or not now (a simulated team's
    /// URL): why, in words.
    Conflict(String),
    /// Asked again too soon: it may be asked again after this.
    TooSoon(Duration),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NoSuchTeam(team) => write!(f, "no team is called {team:?}"),
            Refusal::Invalid(why) | Refusal::Conflict(why) => f.write_str(why),
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
pub type CheckReply = Result<scoreboard_domain::projection::EndpointCheck, Refusal>;

/// An organizer's (or a team's) command, as data: what the views ask and the game's core
/// decides, defined once for both.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
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
    },
    /// A team's new endpoint URL, checked as a scenario URL is (the SSRF rule applies): its
    /// registration if it had none. Answered with the probe of the new endpoint.
    SetUrl {
        team: String,
        url: String,
    },
    /// Probes the team's endpoint now ("check my endpoint"), at most once every
    /// [`CHECK_EVERY`] a team; answered with what the probe found.
    Check {
        team: String,
    },
    /// Breaks a team's stack as the instructor does (`"*"`: every team the game can
    /// reach), put back after `lasting` or when asked; `tell`: the team reads it.
    Break {
        team: String,
        action: scoreboard_domain::breaks::BreakAction,
        lasting: Option<Duration>,
        tell: bool,
    },
    /// Puts back what the breaks of `team` (`None`: of every team) changed and is still in
    /// place.
    Restore {
        team: Option<String>,
    },
    /// Ends the game cleanly, as Ctrl-C does.
    Quit,
}

/// Who waits for the answer to a command, and what answer.
#[derive(Debug)]
pub enum Reply {
    /// No one (pause, freeze, announce…).
    None,
    /// A yes, or the refusal (an adjustment).
    Done(oneshot::Sender<Result<(), Refusal>>),
    /// What the probe of the team's endpoint found, or the refusal (a URL, a check).
    Check(oneshot::Sender<CheckReply>),
}

/// What a view may ask the game to do.
#[derive(Debug)]
pub enum Control {
    /// A command for the game, and who waits for its answer.
    Command(Command, Reply),
    /// A write to the ledger a view makes (a new token, a team's name), through the game's
    /// one writer; answered when it is stored or has failed.
    Write {
        request: scoreboard_ledger::WriteRequest,
        reply: oneshot::Sender<scoreboard_ledger::WriteDone>,
    },
}

impl Control {
    /// The command asked, if this is one.
    pub fn command(&self) -> Option<&Command> {
        match self {
            Control::Command(command, _) => Some(command),
            Control::Write { .. } => None,
        }
    }
}

/// A command no one waits for.
impl From<Command> for Control {
    fn from(command: Command) -> Control {
        Control::Command(command, Reply::None)
    }
}

/// The runner's side: publishes snapshots and events, receives controls.
#[derive(Debug)]
pub struct LivePublisher {
    snapshot: watch::Sender<Arc<Snapshot>>,
    events: broadcast::Sender<ScoreEvent>,
    controls: Option<mpsc::UnboundedReceiver<Control>>,
    control_tx: mpsc::UnboundedSender<Control>,
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
            handoff: Arc::default(),
        }
    }

    /// A handle for a view.
    pub fn view(&self) -> LiveView {
        LiveView {
            snapshot: self.snapshot.subscribe(),
            events: self.events.clone(),
            controls: self.control_tx.clone(),
            handoff: Arc::clone(&self.handoff),
        }
    }

    /// Publishes `snapshot` (each team's public name is the projection's, as every fact).
    pub fn publish(&self, snapshot: Snapshot) {
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

    /// Asks the game for something; `false` when the game is gone.
    pub fn send(&self, control: Control) -> bool {
        self.controls.send(control).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scoreboard_domain::{Cents, GameTime};

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
