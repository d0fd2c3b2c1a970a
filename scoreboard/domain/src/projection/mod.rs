//! The one read model of a game: [`GameProjection`] takes in recorded causes and score events
//! one at a time, in the order the ledger holds them, and keeps what every view, replica,
//! expectation, report and export reads (ranks, scores, trends, outcome counts, costs,
//! latency, bounded series). Its memory grows with teams × series length, never with the
//! number of events; a replica feeds it only what is new since its [`LedgerCursor`].

mod catch_up;
mod charts;
mod endpoints;
mod frozen;
mod history;
mod losses;
mod series;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use loadgen_outcome::{OutcomeBatch, OutcomeCounts, OutcomeKind};

pub use catch_up::{Feed, LedgerCursor};
pub use charts::Charts;
pub use endpoints::{EndpointCheck, EndpointState, EndpointStatus};
pub use history::{
    Bucket, COARSE, ChartWindow, ERROR_KINDS, History, MAX_COARSE, MAX_FINE, RECENT, Span,
};
pub use losses::{LOSS_WINDOW, LossLine, Losses};
pub use series::Series;

use crate::breaks::BreakNote;
use crate::snapshot::{
    Announcement, LedgerHealth, LedgerWrites, LoadNow, Snapshot, TeamRow, TickHealth,
};
use crate::{Cents, GameTime, Leaderboard, Note, NoteKind, Points, Recorded, ScoreEvent, Source};

/// Score events a team keeps in memory for the views (older ones stay in the ledger): a
/// page of the team's events (50) and the ties at its end. 200 were 60 KiB a team.
pub const RECENT_EVENTS: usize = 60;
/// Seconds the live charts draw (a point a second: wider than the TUI's chart pane). They
/// are drawn from the history, which keeps five minutes a second ([`RECENT`]).
pub const CHART_SECONDS: usize = 300;
/// The trend is read from the history's seconds: they must cover its window.
const _: () = assert!(RECENT.as_secs() >= Leaderboard::TREND_WINDOW.as_secs());
/// Organizer events kept for the debrief's markers and timeline.
const ORGANIZER_EVENTS: usize = 2000;

/// One team's running totals.
#[derive(Clone, Debug, Default)]
pub struct TeamState {
    pub score: Points,
    /// Every outcome of the game so far.
    pub counts: OutcomeCounts,
    /// The last tick's outcomes and latency (from due), for rates and p99 "now".
    pub last_tick: Option<TickFigures>,
    /// Score events by source, counted.
    pub events_by_source: BTreeMap<Source, u64>,
    pub billing: TeamBilling,
    pub sending: Sending,
    /// The latest score events by game time (then cause and seq), newest first: the same
    /// events whatever order they arrived in. Shared with the snapshots (one copy, not one
    /// a snapshot); the first event after a snapshot took it copies it: its pointers, each
    /// event shared by both.
    pub recent: Arc<Vec<Arc<ScoreEvent>>>,
    /// The score and p99 charts as the snapshots share them: made by the first snapshot
    /// after the team changed (a copy of the history, not at each change: a catch-up
    /// applies thousands a second), drawn when a view first reads them.
    charts: OnceLock<Charts>,
    /// The whole game: the last five minutes a bucket a second, older time a bucket per
    /// [`COARSE`].
    pub history: History,
    /// Points lost by kind: the last five minutes, and the whole game.
    pub losses: Losses,
}

/// A team's billing: blocks charged, what they cost, and the instances (servers) running
/// at the last look.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TeamBilling {
    pub blocks: u64,
    pub cost: Cents,
    pub instances: usize,
}

/// How the load reached a team: requests due so far, how many the engine sent late, and
/// the ticks voided for it (a load worker's share missing: no points lost).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sending {
    pub sends: u64,
    pub late_sends: u64,
    pub voided_ticks: u64,
}

/// A tick's figures for one team.
#[derive(Clone, Debug)]
pub struct TickFigures {
    pub at: GameTime,
    pub length: Duration,
    pub counts: OutcomeCounts,
    pub p50: Duration,
    pub p99: Duration,
}

/// What a snapshot says beyond the projection: what the game runner knows of the game now
/// (a read-only replica knows only the name and duration).
#[derive(Clone, Debug, Default)]
pub struct SnapshotFacts<'a> {
    pub name: &'a str,
    pub duration: Duration,
    /// The offered load now and its phase; empty when unknown.
    pub load: LoadNow,
    pub paused: bool,
    pub over: bool,
    /// The ledger's health, as the game runner sees it.
    pub ledger: LedgerHealth,
}

/// Every team's state, in team order.
#[derive(Clone, Debug)]
pub struct GameProjection {
    teams: BTreeMap<String, TeamState>,
    /// Team names in scenario order.
    order: Vec<String>,
    terms: Terms,
    /// Game time now.
    pub now: GameTime,
    pub announcements: Vec<(GameTime, String)>,
    /// The organizer's score events (adjustments), oldest first, bounded.
    pub organizer: Vec<ScoreEvent>,
    /// Ledger transactions so far, and the seconds they took.
    writes: LedgerWrites,
    /// How far into its ledger it has read (when it follows one).
    cursor: LedgerCursor,
    noted: Noted,
}

/// What the rules tell the projection: a billing block's price and length (instance time
/// billed per block), the latency SLA (named in the hints of the losses), and the tick's
/// length when known (a replica works it out from each batch).
#[derive(Clone, Copy, Debug)]
struct Terms {
    price: Cents,
    block: Duration,
    sla: Duration,
    tick: Option<Duration>,
}

/// What the notes tell of each team, kept through a rescore (notes are not events): its
/// endpoint, and its public name once it has one.
#[derive(Clone, Debug, Default)]
struct Noted {
    endpoints: BTreeMap<String, EndpointStatus>,
    names: BTreeMap<String, String>,
    /// The public board kept at a freeze, and when it froze, while frozen.
    frozen: Option<(GameTime, Vec<TeamRow>)>,
    /// The instructor's breaks and restores, in the order noted: shared with the snapshots
    /// (a snapshot costs a pointer, not a copy of every break's before-state).
    breaks: Arc<Vec<BreakNote>>,
}

impl GameProjection {
    /// An empty game of `teams` (in scenario order), billed at `price` a block.
    pub fn new(teams: &[String], price: Cents, tick: Option<Duration>) -> GameProjection {
        GameProjection {
            teams: teams
                .iter()
                .map(|t| (t.clone(), TeamState::default()))
                .collect(),
            order: teams.to_vec(),
            terms: Terms {
                price,
                block: crate::BillingRules::default().block,
                sla: crate::Rules::default().sla,
                tick,
            },
            now: GameTime(0),
            announcements: Vec::new(),
            organizer: Vec::new(),
            writes: LedgerWrites::default(),
            cursor: LedgerCursor::default(),
            noted: Noted {
                endpoints: teams
                    .iter()
                    .map(|t| (t.clone(), EndpointStatus::default()))
                    .collect(),
                names: BTreeMap::new(),
                frozen: None,
                breaks: Arc::default(),
            },
        }
    }

    /// A ledger transaction took `took` (the views show how many, and how long in all).
    pub fn wrote(&mut self, took: Duration) {
        self.writes.count += 1;
        self.writes.seconds += took.as_secs_f64();
    }

    /// The same, where these teams register their own endpoint during the game (until they
    /// do, they wait: no load).
    pub fn with_registering(mut self, registering: &[String]) -> GameProjection {
        for team in registering {
            if let Some(e) = self.noted.endpoints.get_mut(team) {
                e.registers = true;
            }
        }
        self
    }

    /// A team's endpoint now.
    pub fn endpoint(&self, team: &str) -> Option<&EndpointStatus> {
        self.noted.endpoints.get(team)
    }

    /// A team's public name, if it has one (else the board shows its id).
    pub fn name(&self, team: &str) -> Option<&str> {
        self.noted.names.get(team).map(String::as_str)
    }

    /// Takes in a note: an announcement for everyone, a team's new name, or what a team's
    /// endpoint became.
    pub fn apply_note(&mut self, note: &Note) {
        match (note.kind, &note.team) {
            (NoteKind::Announcement, _) => {
                self.announcements.push((note.at, note.text.clone()));
                return;
            }
            (NoteKind::Freeze, _) => {
                self.noted.frozen = Some((note.at, frozen::decode(&note.text)));
                return;
            }
            (NoteKind::Unfreeze, _) => {
                self.noted.frozen = None;
                return;
            }
            // Every break for the organizer; the team's endpoint keeps those it is told of.
            (NoteKind::Break | NoteKind::Restore, _) => {
                if let Some(b) = BreakNote::of(note) {
                    Arc::make_mut(&mut self.noted.breaks).push(b);
                }
            }
            (NoteKind::TeamName, Some(team)) => {
                if self.teams.contains_key(team) {
                    self.noted.names.insert(team.clone(), note.text.clone());
                }
                return;
            }
            _ => {}
        }
        if let Some(e) = note
            .team
            .as_ref()
            .and_then(|t| self.noted.endpoints.get_mut(t))
        {
            e.note(note);
        }
    }

    /// Every break and restore (the organizer's views).
    pub fn breaks(&self) -> &[BreakNote] {
        &self.noted.breaks
    }

    /// When the public board froze, while it is frozen.
    pub fn frozen_at(&self) -> Option<GameTime> {
        self.noted.frozen.as_ref().map(|(at, _)| *at)
    }

    /// The note that freezes the public board at `at` as it is now (`freeze`), or shows it
    /// live again.
    pub fn freeze_note(&self, id: String, at: GameTime, freeze: bool) -> Note {
        let (kind, text) = if freeze {
            (NoteKind::Freeze, frozen::encode(&self.rows()))
        } else {
            (NoteKind::Unfreeze, String::new())
        };
        Note {
            id,
            at,
            kind,
            team: None,
            text,
        }
    }

    /// The same, with billing blocks `block` long (15 minutes unless said).
    pub fn with_block(mut self, block: Duration) -> GameProjection {
        self.terms.block = block;
        self
    }

    /// The same, with the rules' latency SLA (5 s unless said), which hints name.
    pub fn with_sla(mut self, sla: Duration) -> GameProjection {
        self.terms.sla = sla;
        self
    }

    /// What is costing `team` points: its losses of the last [`LOSS_WINDOW`] of game time
    /// up to `at`, by kind, the most points lost first, each with its count, an example
    /// reason and a hint. Empty for a team not in the game.
    pub fn losses(&self, team: &str, at: GameTime) -> Vec<LossLine> {
        self.teams
            .get(team)
            .map_or_else(Vec::new, |t| t.losses.recent(at, self.terms.sla))
    }

    /// The same over the whole game.
    pub fn game_losses(&self, team: &str) -> Vec<LossLine> {
        self.teams
            .get(team)
            .map_or_else(Vec::new, |t| t.losses.whole_game(self.terms.sla))
    }

    /// The price of a billing block, and its length.
    pub fn billing(&self) -> (Cents, Duration) {
        (self.terms.price, self.terms.block)
    }

    /// Team names in scenario order.
    pub fn order(&self) -> &[String] {
        &self.order
    }

    pub fn team(&self, name: &str) -> Option<&TeamState> {
        self.teams.get(name)
    }

    /// Notes how many instances each team runs now (teams not named run none).
    pub fn set_instances(&mut self, running: impl IntoIterator<Item = String>) {
        for team in self.teams.values_mut() {
            team.billing.instances = 0;
        }
        for name in running {
            if let Some(t) = self.teams.get_mut(&name) {
                t.billing.instances += 1;
            }
        }
    }

    /// Takes in a recorded cause and the events derived from it.
    pub fn apply(&mut self, recorded: &Recorded, events: &[ScoreEvent]) {
        self.apply_cause(recorded);
        for e in events {
            self.apply_event(e);
        }
    }

    /// Takes in what a cause says beyond its events: a batch's outcomes, a block's cost.
    pub fn apply_cause(&mut self, recorded: &Recorded) {
        match recorded {
            Recorded::Batch(b) => self.apply_batch(b.at, &b.batch),
            Recorded::Block(block) => {
                if let Some(t) = self.teams.get_mut(&block.team) {
                    t.billing.blocks += 1;
                    t.billing.cost = Cents(t.billing.cost.0 + self.terms.price.0);
                    t.history
                        .add_block(block.at, self.terms.price, self.terms.block);
                }
            }
            Recorded::Void(v) => {
                if let Some(t) = self.teams.get_mut(&v.team) {
                    t.sending.voided_ticks += 1;
                }
            }
            Recorded::Adjustment(_) => {}
        }
    }

    fn apply_batch(&mut self, at: GameTime, batch: &OutcomeBatch) {
        let length = self.terms.tick.unwrap_or_else(|| {
            // A batch is placed at its tick's end: tick n ends at (n + 1) ticks.
            Duration::from_millis(at.0 / (batch.id.tick + 1))
        });
        let Some(t) = self.teams.get_mut(&*batch.target) else {
            return;
        };
        t.counts.merge(&batch.counts);
        t.sending.sends += batch.sends;
        t.sending.late_sends += batch.late_sends;
        let (p50, p99) = (batch.latency.quantile(0.5), batch.latency.quantile(0.99));
        t.charts.take();
        t.history
            .add_batch(at, batch.id.tick, &batch.counts, p50, p99);
        if let Some(e) = self.noted.endpoints.get_mut(&*batch.target) {
            let total = batch.counts.total();
            e.answers(at, batch.counts.get(OutcomeKind::Correct), total);
        }
        if t.last_tick.as_ref().is_none_or(|l| l.at <= at) {
            t.last_tick = Some(TickFigures {
                at,
                length,
                counts: batch.counts.clone(),
                p50,
                p99,
            });
        }
    }

    /// Takes in one score event.
    pub fn apply_event(&mut self, e: &ScoreEvent) {
        let Some(t) = self.teams.get_mut(&e.team) else {
            return;
        };
        t.score += e.points;
        *t.events_by_source.entry(e.source).or_default() += 1;
        t.add_recent(e);
        t.charts.take();
        t.history.add_points(e.at, e.points);
        t.losses.add(e);
        if e.source == Source::Organizer && self.organizer.len() < ORGANIZER_EVENTS {
            self.organizer.push(e.clone());
        }
    }

    /// Ranks now: ties share a rank, trend over the last five minutes of game time (the
    /// points of the history's seconds that begin after `now` less the window: the history
    /// keeps those seconds a bucket each, [`RECENT`]).
    pub fn leaderboard(&self) -> Leaderboard {
        let window = Leaderboard::TREND_WINDOW.as_millis() as u64;
        let cut = self.now.0.checked_sub(window).map(GameTime);
        Leaderboard::from_totals(self.order.iter().map(|team| {
            let t = &self.teams[team];
            (team.clone(), t.score, t.history.points_after(cut))
        }))
    }

    /// Every team's line on the board, by rank (its URLs as the notes tell them).
    pub fn rows(&self) -> Vec<TeamRow> {
        self.leaderboard()
            .standings
            .into_iter()
            .map(|s| {
                let t = &self.teams[&s.team];
                let endpoint = self
                    .noted
                    .endpoints
                    .get(&s.team)
                    .cloned()
                    .unwrap_or_default();
                TeamRow {
                    rank: s.rank,
                    name: self.noted.names.get(&s.team).cloned().unwrap_or_default(),
                    team: s.team,
                    score: s.score,
                    trend: s.trend,
                    tick: t
                        .last_tick
                        .as_ref()
                        .map_or_else(TickHealth::default, TickFigures::health),
                    instances: t.billing.instances,
                    cost: t.billing.cost,
                    urls: endpoint.urls(),
                    endpoint,
                    charts: t.charts().clone(),
                    recent: Arc::clone(&t.recent),
                    event_count: t.events_by_source.values().sum(),
                    sends: t.sending.sends,
                    late_sends: t.sending.late_sends,
                    outcomes: OutcomeKind::ALL
                        .iter()
                        .map(|k| (k.name().to_owned(), t.counts.get(*k)))
                        .collect(),
                    losses: t.losses.recent(self.now, self.terms.sla),
                }
            })
            .collect()
    }

    /// What the views show now.
    pub fn snapshot(&self, facts: SnapshotFacts<'_>) -> Snapshot {
        let teams = self.rows();
        // Not frozen, the public see `teams`: no second copy of every row. Frozen, their
        // rows keep the scores of the freeze but show each team's name now. Over, the
        // frozen board is revealed: the public see the true final board.
        let frozen = self.noted.frozen.as_ref().filter(|_| !facts.over);
        let mut public = frozen.map_or_else(Vec::new, |(_, rows)| rows.clone());
        for row in &mut public {
            if let Some(name) = self.noted.names.get(&row.team) {
                row.name.clone_from(name);
            }
        }
        Snapshot {
            game: facts.name.to_owned(),
            now: self.now,
            duration: facts.duration,
            paused: facts.paused,
            frozen: frozen.map(|(at, _)| *at),
            over: facts.over,
            load: facts.load,
            announcements: self
                .announcements
                .iter()
                .map(|(at, text)| Announcement {
                    at: *at,
                    text: text.clone(),
                })
                .collect(),
            teams,
            public,
            writes: self.writes,
            ledger: facts.ledger,
            breaks: Arc::clone(&self.noted.breaks),
        }
    }

    /// A copy for the views that draw the game over time (the web's charts and debrief):
    /// everything they read, the teams' histories shared with this one (a few pointers a
    /// team), without what only the live board reads (each team's latest events, score
    /// and p99 windows), which the snapshots carry.
    pub fn for_history(&self) -> GameProjection {
        GameProjection {
            teams: self
                .teams
                .iter()
                .map(|(name, t)| (name.clone(), t.for_history()))
                .collect(),
            order: self.order.clone(),
            announcements: self.announcements.clone(),
            organizer: self.organizer.clone(),
            noted: self.noted.clone(),
            ..*self
        }
    }

    /// Forgets every cause and event (a rescore replaced the events): the teams stay.
    fn clear(&mut self) {
        for t in self.teams.values_mut() {
            *t = TeamState::default();
        }
        self.organizer.clear();
        self.now = GameTime(0);
    }
}

impl TeamState {
    /// See [`GameProjection::for_history`].
    fn for_history(&self) -> TeamState {
        TeamState {
            score: self.score,
            counts: self.counts.clone(),
            last_tick: self.last_tick.clone(),
            events_by_source: self.events_by_source.clone(),
            billing: self.billing,
            sending: self.sending,
            recent: Arc::default(),
            charts: OnceLock::new(),
            history: self.history.clone(),
            losses: self.losses.clone(),
        }
    }

    /// The score and p99 charts, shared (see [`TeamState::charts`]'s field).
    pub fn charts(&self) -> &Charts {
        self.charts
            .get_or_init(|| Charts::of(&self.history, self.score))
    }

    fn add_recent(&mut self, e: &ScoreEvent) {
        fn key(x: &ScoreEvent) -> (GameTime, &str, u32) {
            (x.at, x.cause.as_str(), x.seq)
        }
        if Arc::get_mut(&mut self.recent).is_none() {
            // A snapshot holds it: a copy with room for one more (a clone has none, and the
            // insert would double it: 400 events' room for 200).
            let mut copy = Vec::with_capacity(RECENT_EVENTS + 1);
            copy.extend(self.recent.iter().cloned());
            self.recent = Arc::new(copy);
        }
        let recent = Arc::make_mut(&mut self.recent);
        // Newest first: after every later event (and every equal one, as it came after).
        let i = recent.partition_point(|x| key(x) >= key(e));
        recent.insert(i, Arc::new(e.clone()));
        recent.truncate(RECENT_EVENTS);
    }
}

impl TickFigures {
    /// Correct answers a second, the error share in percent, p50 and p99.
    fn health(&self) -> TickHealth {
        let secs = self.length.as_secs_f64().max(0.001);
        let total = self.counts.total();
        let err = if total == 0 {
            0.0
        } else {
            100.0 * self.counts.errors() as f64 / total as f64
        };
        TickHealth {
            correct_per_s: self.counts.get(OutcomeKind::Correct) as f64 / secs,
            error_pct: err,
            p50: self.p50,
            p99: self.p99,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(team: &str, at_s: u64, points: i64, cause: &str) -> ScoreEvent {
        ScoreEvent {
            at: GameTime(at_s * 1000),
            team: team.into(),
            source: Source::LoadGen,
            points: Points::whole(points),
            reason: String::new(),
            kind: crate::EventKind::Unknown,
            count: 1,
            cause: cause.into(),
            seq: 0,
        }
    }

    #[test]
    fn ties_share_a_rank_and_trend_covers_the_window() {
        let names: Vec<String> = ["a", "b", "c", "e"].map(String::from).to_vec();
        let mut p = GameProjection::new(&names, Cents(800), None);
        for e in [
            ev("a", 10, 5, "1"),
            ev("b", 20, 5, "2"),
            ev("c", 30, -1, "3"),
            ev("c", 400, 9, "4"),
        ] {
            p.apply_event(&e);
        }
        p.now = GameTime(600_000);
        let board = p.leaderboard();
        let ranks: Vec<(u32, &str, i64)> = board
            .standings
            .iter()
            .map(|s| (s.rank, s.team.as_str(), s.score.0 / 1000))
            .collect();
        // e has no event yet but is a team of the game.
        assert_eq!(ranks, [(1, "c", 8), (2, "a", 5), (2, "b", 5), (4, "e", 0)]);
        assert_eq!(board.get("c").unwrap().trend, Points::whole(9));
        assert_eq!(board.get("a").unwrap().trend, Points(0));
        // The copy the views read has the same trend.
        assert_eq!(p.for_history().leaderboard(), board);
    }

    #[test]
    fn the_trend_is_the_last_five_minutes_however_long_the_game() {
        let names = vec!["a".to_owned()];
        let mut p = GameProjection::new(&names, Cents(800), None);
        // 20 minutes, a point a second and a loss of 3 every minute (at whole seconds).
        for s in 0..1200 {
            p.apply_event(&ev("a", s, 1, &format!("c{s}")));
            if s % 60 == 30 {
                p.apply_event(&ev("a", s, -3, &format!("l{s}")));
            }
        }
        p.now = GameTime(1_200_000);
        // Seconds 901 to 1199 (after 900 s): 299 points, less 3 at 930 s ... 1170 s.
        assert_eq!(
            p.leaderboard().get("a").unwrap().trend,
            Points::whole(299 - 15)
        );
        // Early on, everything so far.
        let mut early = GameProjection::new(&names, Cents(800), None);
        early.apply_event(&ev("a", 0, 4, "x"));
        early.apply_event(&ev("a", 100, 2, "y"));
        early.now = GameTime(120_000);
        assert_eq!(
            early.leaderboard().get("a").unwrap().trend,
            Points::whole(6)
        );
        // A quiet team: its last points age out of the window.
        p.now = GameTime(1_500_000);
        assert_eq!(p.leaderboard().get("a").unwrap().trend, Points(0));
        p.now = GameTime(1_498_999);
        assert_eq!(p.leaderboard().get("a").unwrap().trend, Points::whole(1));
    }

    #[test]
    fn a_name_note_names_the_team_on_every_board_and_the_history_copy() {
        let names: Vec<String> = ["a", "b"].map(String::from).to_vec();
        let mut p = GameProjection::new(&names, Cents(800), None);
        p.apply_event(&ev("a", 1, 2, "x"));
        let named = |team: &str, name: &str| crate::names::TeamName {
            team: team.into(),
            name: name.into(),
            by_team: true,
        };
        p.apply_note(&named("a", "Ants").note("1".into()));
        // A team the game does not have is no one's name.
        p.apply_note(&named("z", "Zebras").note("2".into()));
        let freeze = p.freeze_note("f".into(), GameTime(1), true);
        p.apply_note(&freeze);
        p.apply_note(&named("a", "Red Ants").note("3".into()));
        let snapshot = p.snapshot(SnapshotFacts::default());
        let shown = |rows: &[TeamRow]| -> Vec<(String, String)> {
            rows.iter()
                .map(|r| (r.team.clone(), r.name.clone()))
                .collect()
        };
        let now = [
            ("a".to_owned(), "Red Ants".to_owned()),
            ("b".into(), String::new()),
        ];
        assert_eq!(shown(&snapshot.teams), now);
        // The frozen board keeps its scores but shows each name as it is now.
        assert_eq!(shown(&snapshot.public), now);
        assert_eq!(p.name("z"), None);
        assert_eq!(p.for_history().name("a"), Some("Red Ants"));
    }

    #[test]
    fn a_freeze_note_keeps_the_public_board_for_every_reader_until_the_end() {
        let names: Vec<String> = ["a", "b"].map(String::from).to_vec();
        let mut game = GameProjection::new(&names, Cents(800), None);
        game.apply_event(&ev("a", 1, 2, "x"));
        game.apply_event(&ev("b", 1, 5, "y"));
        let freeze = game.freeze_note("f".into(), GameTime(2_000), true);
        assert_eq!(freeze.kind, NoteKind::Freeze);
        // A follower reads the same note later, after more events: the same frozen board.
        let mut follower = game.clone();
        for p in [&mut game, &mut follower] {
            p.apply_note(&freeze);
            p.apply_event(&ev("a", 3, 10, "z"));
        }
        let scores = |rows: &[TeamRow]| -> Vec<(String, i64)> {
            rows.iter().map(|r| (r.team.clone(), r.score.0)).collect()
        };
        for p in [&game, &follower] {
            let s = p.snapshot(SnapshotFacts::default());
            assert_eq!(s.frozen, Some(GameTime(2_000)));
            assert_eq!(
                scores(s.public_rows()),
                [("b".into(), 5_000), ("a".into(), 2_000)]
            );
            assert_eq!(
                scores(&s.teams),
                [("a".into(), 12_000), ("b".into(), 5_000)]
            );
            // Over, the frozen board is revealed.
            let over = p.snapshot(SnapshotFacts {
                over: true,
                ..SnapshotFacts::default()
            });
            assert_eq!(
                (over.frozen, scores(over.public_rows())),
                (None, scores(&s.teams))
            );
        }
        assert_eq!(game.frozen_at(), Some(GameTime(2_000)));
        game.apply_note(&game.freeze_note("u".into(), GameTime(4_000), false));
        assert_eq!(game.frozen_at(), None);
        let live = game.snapshot(SnapshotFacts::default());
        assert_eq!(scores(live.public_rows()), scores(&live.teams));
    }

    #[test]
    fn the_charts_draw_the_last_minutes_of_history_and_end_at_the_score() {
        let names = vec!["a".to_owned()];
        let mut p = GameProjection::new(&names, Cents(800), None);
        p.apply_event(&ev("a", 1, 2, "x"));
        p.apply_event(&ev("a", 1, 3, "y"));
        p.apply_event(&ev("a", 3, -1, "z"));
        let charts = p.team("a").unwrap().charts().clone();
        // A point for each second with points (the second from 1 s ends at 2 s).
        assert_eq!(
            charts.score[..],
            [
                (GameTime(2000), Points::whole(5)),
                (GameTime(4000), Points::whole(4))
            ]
        );
        assert!(charts.p99.is_empty(), "no answers, no p99");
        for s in 4..2000 {
            p.apply_event(&ev("a", s, 1, "w"));
        }
        let t = p.team("a").unwrap();
        let charts = t.charts();
        assert_eq!(charts.score.len(), CHART_SECONDS);
        assert_eq!(
            charts.score.last().unwrap(),
            &(GameTime(2_000_000), t.score)
        );
        assert_eq!(charts.score[0].1, Points(t.score.0 - Points::whole(299).0));
        assert_eq!(t.recent.len(), RECENT_EVENTS);
    }

    #[test]
    fn the_p99_chart_has_a_point_for_each_second_with_answers() {
        let names = vec!["a".to_owned()];
        let mut p = GameProjection::new(&names, Cents(800), Some(Duration::from_secs(2)));
        for tick in 0..5u64 {
            let id = loadgen_outcome::BatchId {
                run: 0,
                worker: 0,
                target: 0,
                tick,
            };
            let mut batch = OutcomeBatch::new(id, "a".into());
            batch.counts.add(OutcomeKind::Correct, 10);
            batch.latency.record(Duration::from_millis(40));
            p.apply_batch(GameTime((tick + 1) * 2000), &batch);
        }
        let charts = p.team("a").unwrap().charts();
        // Two-second ticks: a point every other second, each the tick's p99.
        let times: Vec<u64> = charts.p99.iter().map(|(at, _)| at.0).collect();
        assert_eq!(times, [3000, 5000, 7000, 9000, 11000]);
        assert!(charts.p99.iter().all(|(_, d)| d.as_millis() == 40));
    }

    #[test]
    fn snapshots_share_the_chart_windows_and_events_until_the_team_changes() {
        let names = vec!["a".to_owned()];
        let mut p = GameProjection::new(&names, Cents(800), None);
        for s in 1..300 {
            p.apply_event(&ev("a", s, 1, &format!("c{s}")));
        }
        let (first, second) = (p.rows(), p.rows());
        let (a, b) = (&first[0], &second[0]);
        assert!(Charts::ptr_eq(&a.charts, &b.charts));
        assert!(Arc::ptr_eq(&a.recent, &b.recent));
        // A new event before anyone drew them: new charts; the snapshot's are still drawn
        // from the history as it stood when it was made.
        p.apply_event(&ev("a", 300, 1, "c300"));
        let third = p.rows();
        let c = &third[0];
        assert!(!Charts::ptr_eq(&a.charts, &c.charts));
        assert_eq!(c.charts.score.last().unwrap().1, Points::whole(300));
        assert_eq!(c.recent[0].cause, "c300");
        assert!(Arc::ptr_eq(&a.recent[0], &c.recent[1]));
        assert_eq!(a.charts.score.last().unwrap().1, Points::whole(299));
        assert_eq!(a.charts.score.len(), 299);
        assert!(Arc::ptr_eq(&a.charts.score, &b.charts.score), "drawn once");
        assert_eq!(c.charts, p.team("a").unwrap().charts().clone());
    }

    #[test]
    fn series_and_recent_do_not_depend_on_arrival_order() {
        let names = vec!["a".to_owned()];
        let events: Vec<ScoreEvent> = (0..1500u64)
            .map(|i| ev("a", (i * 7) % 900, (i % 5) as i64 - 2, &format!("c{i}")))
            .collect();
        let mut forward = GameProjection::new(&names, Cents(800), None);
        let mut backward = GameProjection::new(&names, Cents(800), None);
        for e in &events {
            forward.apply_event(e);
        }
        for e in events.iter().rev() {
            backward.apply_event(e);
        }
        let (f, b) = (forward.team("a").unwrap(), backward.team("a").unwrap());
        assert_eq!(f.charts(), b.charts());
        assert_eq!(f.recent, b.recent);
        assert_eq!(f.charts().score.last().unwrap().1, f.score);
        assert!(
            f.recent
                .iter()
                .zip(f.recent.iter().skip(1))
                .all(|(x, y)| x.at >= y.at)
        );
    }
}
