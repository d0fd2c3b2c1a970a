//! What a game records, as plain data: outcome batches placed on the game clock, billing
//! blocks, adjustments and voids (the causes score events derive from), the game itself, its
//! clock and its notes. The ledger stores these; the scorer and the projection read them.

use serde::{Deserialize, Serialize};

use crate::{Adjustment, BillingBlock, Cause, GameTime, Rules, ScoreEvent, Scorer, SegmentVoid};

/// An outcome batch placed on the game clock (its tick's end).
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedBatch {
    pub at: GameTime,
    pub batch: loadgen_outcome::OutcomeBatch,
}

/// Something the ledger records, from which score events derive.
#[derive(Clone, Debug, PartialEq)]
pub enum Recorded {
    Batch(Box<RecordedBatch>),
    Block(BillingBlock),
    Adjustment(Adjustment),
    Void(SegmentVoid),
}

/// What the scorer reads of a recorded batch: all of it but the histograms of every answer
/// (the board's), and the correct answers' latencies as stored pairs, not a histogram.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchFacts {
    pub at: GameTime,
    pub id: loadgen_outcome::BatchId,
    pub team: String,
    pub counts: loadgen_outcome::OutcomeCounts,
    pub correct_latency: loadgen_outcome::LatencyPairs,
    pub wrong_samples: Vec<loadgen_outcome::WrongAnswerSample>,
    pub error_samples: Vec<loadgen_outcome::ErrorSample>,
    pub sends: u64,
    pub late_sends: u64,
}

impl BatchFacts {
    /// The facts of a whole batch.
    pub fn of(recorded: &RecordedBatch) -> BatchFacts {
        let b = &recorded.batch;
        BatchFacts {
            at: recorded.at,
            id: b.id,
            team: b.target.to_string(),
            counts: b.counts.clone(),
            correct_latency: b.correct_latency.pairs(),
            wrong_samples: b.wrong_samples.clone(),
            error_samples: b.error_samples.clone(),
            sends: b.sends,
            late_sends: b.late_sends,
        }
    }
}

/// A recorded cause as the scorer reads it: what a rescore walks.
#[derive(Clone, Debug, PartialEq)]
pub enum ScoringCause {
    Batch(BatchFacts),
    Block(BillingBlock),
    Adjustment(Adjustment),
    Void(SegmentVoid),
}

impl From<Recorded> for ScoringCause {
    fn from(recorded: Recorded) -> ScoringCause {
        match recorded {
            Recorded::Batch(b) => ScoringCause::Batch(BatchFacts::of(&b)),
            Recorded::Block(b) => ScoringCause::Block(b),
            Recorded::Adjustment(a) => ScoringCause::Adjustment(a),
            Recorded::Void(v) => ScoringCause::Void(v),
        }
    }
}

/// A load worker's batch as the ledger holds it, with its place in the order of arrival.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentBatch {
    /// Increases with every batch written: read on after the last one seen.
    pub seq: u64,
    pub recorded: RecordedBatch,
}

/// A load worker that joined the game, and when it was last heard of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkerSeen {
    pub segment: loadgen_outcome::ExecSegment,
    pub joined_unix_ms: u64,
    pub seen_unix_ms: u64,
}

impl Recorded {
    /// The cause's idempotency key.
    pub fn cause(&self) -> Cause {
        match self {
            Recorded::Batch(b) => Cause::Batch(b.batch.id.to_string()),
            Recorded::Block(b) => Cause::Block {
                team: b.team.clone(),
                instance: b.instance.clone(),
                block: b.block,
            },
            Recorded::Adjustment(a) => Cause::Adjustment(a.id.clone()),
            Recorded::Void(v) => Cause::Void {
                team: v.team.clone(),
                run: v.run,
                tick: v.tick,
            },
        }
    }

    /// When it happened on the game clock.
    pub fn at(&self) -> GameTime {
        match self {
            Recorded::Batch(b) => b.at,
            Recorded::Block(b) => b.at,
            Recorded::Adjustment(a) => a.at,
            Recorded::Void(v) => v.at,
        }
    }
}

impl Scorer {
    /// The events of any recorded cause.
    pub fn events(&self, recorded: &Recorded) -> Vec<ScoreEvent> {
        match recorded {
            Recorded::Batch(b) => self.batch_events(b),
            Recorded::Block(b) => self.block_events(b),
            Recorded::Adjustment(a) => self.adjustment_events(a),
            Recorded::Void(v) => self.void_events(v),
        }
    }

    /// The events of a cause as a rescore reads it: the same as [`Scorer::events`] of the
    /// cause it was read from.
    pub fn scoring_events(&self, cause: &ScoringCause) -> Vec<ScoreEvent> {
        match cause {
            ScoringCause::Batch(b) => self.facts_events(b),
            ScoringCause::Block(b) => self.block_events(b),
            ScoringCause::Adjustment(a) => self.adjustment_events(a),
            ScoringCause::Void(v) => self.void_events(v),
        }
    }
}

/// What a game is, as the ledger remembers it: a resumed game must be the same game.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GameMeta {
    pub name: String,
    pub seed: u64,
    pub rules: Rules,
    /// The teams, in scenario order (for token lists and read-only boards).
    #[serde(default)]
    pub teams: Vec<String>,
    /// The teams that register their own endpoint during the game (no URL in the scenario).
    #[serde(default)]
    pub registering: Vec<String>,
    /// How long the game lasts (0 when not known).
    #[serde(default)]
    pub duration_ms: u64,
}

/// A pause or a resume of the game clock, as it happened: the game time the clock stood at,
/// and the wall clock. Recorded once each (by kind and wall-clock time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockEvent {
    pub at: GameTime,
    pub unix_ms: u64,
    /// A pause began (else the game resumed).
    pub paused: bool,
}

/// What a [`Note`] says happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NoteKind {
    /// The organizer's word to every team (from the scenario's timeline or made live).
    Announcement,
    /// A team's new endpoint URL (set by the team on its page, or by the organizer).
    UrlChange,
    /// A team that registers its own endpoint gave its first one (the load begins).
    Registration,
    /// A check of a team's endpoint that passed, in words (never scored).
    CheckPassed,
    /// A check of a team's endpoint that failed, in words: what broke and what to try.
    CheckFailed,
    /// A team's new public name (it named itself, or the organizer renamed it): the name is
    /// the text. Not a moment of the game (its time is 0): the board shows it from then on.
    TeamName,
    /// A team's URLs as the scenario gives them (`url = …`), one a line: recorded once when
    /// the game starts (and again only if the scenario's change), so that every reader's
    /// projection knows the URL of every team. Not a moment of the game (its time is 0); a
    /// URL the team registers or changes later stands over it.
    ScenarioUrls,
    /// The public board froze (the organizer, or the timeline): the text holds the board
    /// the public see until the end or an [`NoteKind::Unfreeze`], as JSON.
    Freeze,
    /// The public board is live again.
    Unfreeze,
    /// The instructor broke a team's stack (or tried): the text is a
    /// [`crate::breaks::BreakRecord`] as JSON, with what was there before. An organizer's
    /// event of 0 points; the team reads it only when the break tells it.
    Break,
    /// A break put back (or found mended by the team, or failing): a
    /// [`crate::breaks::BreakRecord`] as JSON.
    Restore,
}

impl NoteKind {
    /// Every kind, as stored.
    pub const ALL: [NoteKind; 11] = [
        NoteKind::Announcement,
        NoteKind::UrlChange,
        NoteKind::Registration,
        NoteKind::CheckPassed,
        NoteKind::CheckFailed,
        NoteKind::TeamName,
        NoteKind::ScenarioUrls,
        NoteKind::Freeze,
        NoteKind::Unfreeze,
        NoteKind::Break,
        NoteKind::Restore,
    ];

    /// The kind as the ledger stores it.
    pub fn name(self) -> &'static str {
        match self {
            NoteKind::Announcement => "announcement",
            NoteKind::UrlChange => "url_change",
            NoteKind::Registration => "registration",
            NoteKind::CheckPassed => "check_passed",
            NoteKind::CheckFailed => "check_failed",
            NoteKind::TeamName => "team_name",
            NoteKind::ScenarioUrls => "scenario_urls",
            NoteKind::Freeze => "freeze",
            NoteKind::Unfreeze => "unfreeze",
            NoteKind::Break => "break",
            NoteKind::Restore => "restore",
        }
    }

    /// The kind a stored name stands for.
    pub fn parse(name: &str) -> Option<NoteKind> {
        NoteKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Something said or changed during a game that scores nothing but the debrief marks: an
/// announcement, a team's new URL. Recorded once under its id (a note sent again after a
/// lost answer lands once).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// Its idempotency key.
    pub id: String,
    pub at: GameTime,
    pub kind: NoteKind,
    /// The team it concerns (a URL change's, a check's), or `None` for every team.
    pub team: Option<String>,
    /// The announcement's words, the team's new URL, a check's result in words, or the
    /// team's new name.
    pub text: String,
}

/// A game opened on a ledger: when it started and which run of it this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GameSession {
    /// Wall-clock start, in milliseconds since the Unix epoch.
    pub started_unix_ms: u64,
    /// 1 for a fresh game; each resume adds one (batch ids stay unique across runs).
    pub run: u64,
    pub resumed: bool,
    /// Time the game spent paused, in milliseconds (the game clock stood still).
    pub paused_ms: u64,
    /// When the current pause began (wall clock), if the game was paused when it stopped.
    pub paused_since_unix_ms: Option<u64>,
}

impl GameSession {
    /// Game time at wall-clock `now_unix_ms`: time since the start, less the pauses (a pause
    /// in force counts up to now).
    pub fn game_time(&self, now_unix_ms: u64) -> std::time::Duration {
        let paused = self.paused_ms
            + self
                .paused_since_unix_ms
                .map_or(0, |since| now_unix_ms.saturating_sub(since));
        std::time::Duration::from_millis(
            now_unix_ms
                .saturating_sub(self.started_unix_ms)
                .saturating_sub(paused),
        )
    }
}

/// The canonical order of events: game time, then cause, then position.
pub fn sort_events(events: &mut [ScoreEvent]) {
    // By time first, then each run of one time by cause and position. Causes are read mostly
    // in time order, which the sort by time finds in long runs: a long game's events sort in
    // a third of the time of one sort by the whole order. No two events share a cause and a
    // position, so the unstable sort gives the one order.
    events.sort_by_key(|e| e.at);
    for run in events.chunk_by_mut(|a, b| a.at == b.at) {
        run.sort_unstable_by(|a, b| (&a.cause, a.seq).cmp(&(&b.cause, b.seq)));
    }
}
