//! The public board kept at a freeze, as its note carries it: what the public see of each
//! team at that moment, written once into the note so that every reader (the game after a
//! restart, a replica, the report) shows the same frozen board.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::snapshot::{TeamRow, TickHealth};
use crate::{Cents, Points};

/// One team's line of a frozen board.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct FrozenRow {
    team: String,
    rank: u32,
    score_milli: i64,
    trend_milli: i64,
    correct_per_s: f64,
    error_pct: f64,
    p50_ms: u64,
    p99_ms: u64,
    instances: usize,
    cost_cents: i64,
}

/// The board `rows` as a freeze note's text.
pub(super) fn encode(rows: &[TeamRow]) -> String {
    let rows: Vec<FrozenRow> = rows
        .iter()
        .map(|r| FrozenRow {
            team: r.team.clone(),
            rank: r.rank,
            score_milli: r.score.0,
            trend_milli: r.trend.0,
            correct_per_s: r.tick.correct_per_s,
            error_pct: r.tick.error_pct,
            p50_ms: r.tick.p50.as_millis() as u64,
            p99_ms: r.tick.p99.as_millis() as u64,
            instances: r.instances,
            cost_cents: r.cost.0,
        })
        .collect();
    serde_json::to_string(&rows).unwrap_or_default()
}

/// The board a freeze note's text holds (none readable: an empty board, which shows the
/// freeze without telling any score).
pub(super) fn decode(text: &str) -> Vec<TeamRow> {
    let rows: Vec<FrozenRow> = serde_json::from_str(text).unwrap_or_default();
    rows.into_iter()
        .map(|r| TeamRow {
            rank: r.rank,
            team: r.team,
            score: Points(r.score_milli),
            trend: Points(r.trend_milli),
            tick: TickHealth {
                correct_per_s: r.correct_per_s,
                error_pct: r.error_pct,
                p50: Duration::from_millis(r.p50_ms),
                p99: Duration::from_millis(r.p99_ms),
            },
            instances: r.instances,
            cost: Cents(r.cost_cents),
            ..TeamRow::default()
        })
        .collect()
}
