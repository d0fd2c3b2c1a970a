//! What a running game knows of each team: score, trend, outcomes, latency, instances and
//! money. Built only from recorded causes and their score events, so a resumed game rebuilds
//! it from the ledger; views read snapshots of it and never change it.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use loadgen::{LatencyHistogram, OutcomeBatch, OutcomeCounts};
use scoreboard::{Cents, GameTime, Leaderboard, Points, Recorded, ScoreEvent, Source};

/// Score events a team keeps in memory for the views (older ones stay in the ledger).
const RECENT_EVENTS: usize = 200;
/// Ticks of score and latency history kept for the charts.
const SERIES: usize = 600;

/// One team's running totals.
#[derive(Clone, Debug, Default)]
pub struct TeamState {
    pub score: Points,
    /// Every outcome of the game so far.
    pub counts: OutcomeCounts,
    /// The last tick's outcomes and latency (from due), for rates and p99 "now".
    pub last_tick: Option<TickFigures>,
    /// Latency of every answer of the game (from due).
    pub latency: Option<LatencyHistogram>,
    /// Score events by source, counted.
    pub events_by_source: BTreeMap<Source, u64>,
    /// Billing blocks charged.
    pub blocks: u64,
    pub cost: Cents,
    /// Instances (servers) running at the last look.
    pub instances: usize,
    /// Recent points, for the trend.
    points_log: VecDeque<(GameTime, Points)>,
    /// The latest event time seen.
    latest: GameTime,
    /// Recent score events, newest last.
    pub recent: VecDeque<ScoreEvent>,
    /// Score after each tick, and each tick's p99 (bounded windows for charts).
    pub score_series: VecDeque<(GameTime, Points)>,
    pub p99_series: VecDeque<(GameTime, Duration)>,
    /// Requests due so far, and how many the engine sent late.
    pub sends: u64,
    pub late_sends: u64,
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

/// Every team's state, in scenario order.
#[derive(Clone, Debug)]
pub struct GameState {
    pub teams: BTreeMap<String, TeamState>,
    /// Team names in scenario order.
    pub order: Vec<String>,
    pub price: Cents,
    pub now: GameTime,
    pub announcements: Vec<(GameTime, String)>,
    /// Ledger transactions so far, and the seconds they took.
    pub ledger_writes: u64,
    pub ledger_write_seconds: f64,
}

impl GameState {
    pub fn new(teams: &[String], price: Cents) -> GameState {
        GameState {
            teams: teams
                .iter()
                .map(|t| (t.clone(), TeamState::default()))
                .collect(),
            order: teams.to_vec(),
            price,
            now: GameTime(0),
            announcements: Vec::new(),
            ledger_writes: 0,
            ledger_write_seconds: 0.0,
        }
    }

    /// Takes in a recorded cause and the events derived from it.
    pub fn apply(&mut self, recorded: &Recorded, events: &[ScoreEvent], tick: Duration) {
        match recorded {
            Recorded::Batch(b) => self.apply_batch(b.at, &b.batch, tick),
            Recorded::Block(block) => {
                if let Some(t) = self.teams.get_mut(&block.team) {
                    t.blocks += 1;
                    t.cost = Cents(t.cost.0 + self.price.0);
                }
            }
            Recorded::Adjustment(_) | Recorded::Void(_) => {}
        }
        for e in events {
            self.apply_event(e);
        }
    }

    fn apply_batch(&mut self, at: GameTime, batch: &OutcomeBatch, tick: Duration) {
        let Some(t) = self.teams.get_mut(&*batch.target) else {
            return;
        };
        t.counts.merge(&batch.counts);
        t.sends += batch.sends;
        t.late_sends += batch.late_sends;
        push_bounded(&mut t.p99_series, (at, batch.latency.quantile(0.99)));
        match &mut t.latency {
            Some(h) => h.merge(&batch.latency),
            None => t.latency = Some(batch.latency.clone()),
        }
        if t.last_tick.as_ref().is_none_or(|l| l.at <= at) {
            t.last_tick = Some(TickFigures {
                at,
                length: tick,
                counts: batch.counts.clone(),
                p50: batch.latency.quantile(0.5),
                p99: batch.latency.quantile(0.99),
            });
        }
    }

    pub fn apply_event(&mut self, e: &ScoreEvent) {
        let Some(t) = self.teams.get_mut(&e.team) else {
            return;
        };
        t.score += e.points;
        *t.events_by_source.entry(e.source).or_default() += 1;
        t.points_log.push_back((e.at, e.points));
        // Events come a little out of order (a billing block is dated at its start): drop
        // only what is out of the window for good.
        t.latest = t.latest.max(e.at);
        let window = Leaderboard::TREND_WINDOW.as_millis() as u64;
        while t
            .points_log
            .front()
            .is_some_and(|(at, _)| at.0 + window <= t.latest.0)
        {
            t.points_log.pop_front();
        }
        t.recent.push_back(e.clone());
        if t.recent.len() > RECENT_EVENTS {
            t.recent.pop_front();
        }
    }

    /// Notes every team's score at the end of a tick, for the charts.
    pub fn mark_scores(&mut self, at: GameTime) {
        for t in self.teams.values_mut() {
            if t.score_series.back().is_none_or(|(last, _)| *last < at) {
                push_bounded(&mut t.score_series, (at, t.score));
            }
        }
    }

    /// Ranks now: ties share a rank, trend over the last five minutes of game time.
    pub fn leaderboard(&self) -> Leaderboard {
        let window = Leaderboard::TREND_WINDOW.as_millis() as u64;
        Leaderboard::from_totals(self.order.iter().map(|team| {
            let t = &self.teams[team];
            let trend = t
                .points_log
                .iter()
                .filter(|(at, _)| at.0 + window > self.now.0)
                .map(|(_, p)| *p)
                .sum();
            (team.clone(), t.score, trend)
        }))
    }
}

fn push_bounded<T>(series: &mut VecDeque<T>, item: T) {
    series.push_back(item);
    if series.len() > SERIES {
        series.pop_front();
    }
}
