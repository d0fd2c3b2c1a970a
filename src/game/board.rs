//! The plain-text scoreboard a game prints as it runs, and the results table at the end.

use std::fmt::Write;

use loadgen::{OutcomeKind, Pacing};
use scoreboard::Leaderboard;

use super::state::GameState;
use crate::scenario::Scenario;

/// The live board: clock, offered load, then a line per team by rank.
pub fn format_board(scenario: &Scenario, state: &GameState) -> String {
    let mut s = String::new();
    let g = &scenario.game;
    let offered = match &scenario.load.pacing {
        Pacing::Open(schedule) => format!("{:.1} req/s", schedule.rate_at(state.now.as_duration())),
        Pacing::Closed { clients } => format!("{clients} clients"),
    };
    let _ = writeln!(
        s,
        "── {} / {}  {}  offered {offered} per team ──",
        state.now,
        scoreboard::GameTime::from_duration(g.duration),
        g.name
    );
    if let Some((at, text)) = state.announcements.last() {
        let _ = writeln!(s, "   announcement at {at}: {text}");
    }
    let _ = writeln!(
        s,
        "{:>3}  {:<16} {:>10} {:>9} {:>7} {:>6} {:>8} {:>4} {:>8}",
        "#", "team", "score", "trend", "ok/s", "err%", "p99", "srv", "cost"
    );
    for st in &state.leaderboard().standings {
        let t = &state.teams[&st.team];
        let (ok_s, err, p99) = match &t.last_tick {
            Some(tick) => {
                let secs = tick.length.as_secs_f64().max(0.001);
                let ok = tick.counts.get(OutcomeKind::Correct) as f64 / secs;
                let total = tick.counts.total().max(1) as f64;
                let err = 100.0 * tick.counts.errors() as f64 / total;
                (
                    format!("{ok:.1}"),
                    format!("{err:.1}%"),
                    format_latency(tick.p99),
                )
            }
            None => ("-".into(), "-".into(), "-".into()),
        };
        let _ = writeln!(
            s,
            "{:>3}  {:<16} {:>10} {:>9} {:>7} {:>6} {:>8} {:>4} {:>8}",
            st.rank,
            clip(&st.team, 16),
            st.score.to_string(),
            st.trend.to_string(),
            ok_s,
            err,
            p99,
            t.instances,
            t.cost.to_string()
        );
    }
    s
}

/// The final results: rank, team, score, correct answers, errors, cost.
pub fn format_results(state: &GameState) -> String {
    let board: Leaderboard = state.leaderboard();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:>4}  {:<16} {:>10} {:>9} {:>9} {:>9}",
        "rank", "team", "score", "correct", "errors", "cost"
    );
    for st in &board.standings {
        let t = &state.teams[&st.team];
        let _ = writeln!(
            s,
            "{:>4}  {:<16} {:>10} {:>9} {:>9} {:>9}",
            st.rank,
            clip(&st.team, 16),
            st.score.to_string(),
            t.counts.get(OutcomeKind::Correct),
            t.counts.errors(),
            t.cost.to_string()
        );
    }
    s
}

fn format_latency(d: std::time::Duration) -> String {
    if d.as_millis() >= 1000 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}ms", d.as_millis())
    }
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut t: String = text.chars().take(width - 1).collect();
        t.push('…');
        t
    }
}
