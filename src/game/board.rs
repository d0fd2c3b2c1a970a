//! The plain-text scoreboard a game prints as it runs, and the results table at the end,
//! both drawn from the projection's rows.

use std::fmt::Write;

use loadgen::OutcomeKind;
use scoreboard_domain::{GameProjection, GameTime};

use super::snapshot::load_now;
use crate::scenario::Scenario;

/// The live board: clock, offered load, then a line per team by rank.
pub fn format_board(scenario: &Scenario, projection: &GameProjection) -> String {
    let mut s = String::new();
    let g = &scenario.game;
    let (offered, _) = load_now(&scenario.load.pacing, projection.now);
    let _ = writeln!(
        s,
        "── {} / {}  {}  offered {offered} per team ──",
        projection.now,
        GameTime::from_duration(g.duration),
        g.name
    );
    if let Some((at, text)) = projection.announcements.last() {
        let _ = writeln!(s, "   announcement at {at}: {text}");
    }
    let _ = writeln!(
        s,
        "{:>3}  {:<16} {:>10} {:>9} {:>7} {:>6} {:>8} {:>4} {:>8}",
        "#", "team", "score", "trend", "ok/s", "err%", "p99", "srv", "cost"
    );
    for row in projection.rows() {
        let waiting = row.endpoint.is_waiting();
        let played = !waiting
            && projection
                .team(&row.team)
                .is_some_and(|t| t.last_tick.is_some());
        let (ok_s, err, p99) = if played {
            (
                format!("{:.1}", row.tick.correct_per_s),
                format!("{:.1}%", row.tick.error_pct),
                format_latency(row.tick.p99),
            )
        } else {
            ("-".into(), "-".into(), "-".into())
        };
        let _ = writeln!(
            s,
            "{:>3}  {:<16} {:>10} {:>9} {:>7} {:>6} {:>8} {:>4} {:>8}",
            row.rank,
            clip(&row.team, 16),
            row.score.to_string(),
            row.trend.to_string(),
            ok_s,
            err,
            p99,
            row.instances,
            row.cost.to_string()
        );
        if waiting {
            let _ = writeln!(s, "     {}", row.endpoint.describe());
        }
    }
    s
}

/// The final results: rank, team, score, correct answers, errors, cost.
pub fn format_results(projection: &GameProjection) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:>4}  {:<16} {:>10} {:>9} {:>9} {:>9}",
        "rank", "team", "score", "correct", "errors", "cost"
    );
    for st in projection.leaderboard().standings {
        let Some(t) = projection.team(&st.team) else {
            continue;
        };
        let _ = writeln!(
            s,
            "{:>4}  {:<16} {:>10} {:>9} {:>9} {:>9}",
            st.rank,
            clip(&st.team, 16),
            st.score.to_string(),
            t.counts.get(OutcomeKind::Correct),
            t.counts.errors(),
            t.billing.cost.to_string()
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
