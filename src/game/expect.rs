//! `[[expect]]` checked against a played game: each expectation with ✓ or ✗ and the actual
//! value, so a failing CI run says what broke.

use loadgen::OutcomeKind;
use serde::Serialize;

use super::state::GameState;
use crate::scenario::{Counted, EventCount, Expectation, TeamExpectation};

/// One checked expectation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// What was expected, as written for a person.
    pub expected: String,
    /// What the game gave.
    pub actual: String,
    pub ok: bool,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mark = if self.ok { "✓" } else { "✗" };
        write!(f, "{mark} {} (actual: {})", self.expected, self.actual)
    }
}

/// Checks every expectation; a team expectation gives one verdict per condition.
pub fn check_expectations(expectations: &[Expectation], state: &GameState) -> Vec<Verdict> {
    let board = state.leaderboard();
    let mut out = Vec::new();
    for e in expectations {
        match e {
            Expectation::Order(teams) => {
                let scores: Vec<String> = teams
                    .iter()
                    .map(|t| {
                        format!(
                            "{t} {}",
                            state
                                .teams
                                .get(t)
                                .map_or_else(|| "?".into(), |s| s.score.to_string())
                        )
                    })
                    .collect();
                let ok = teams.windows(2).all(|w| {
                    match (state.teams.get(&w[0]), state.teams.get(&w[1])) {
                        (Some(a), Some(b)) => a.score > b.score,
                        _ => false,
                    }
                });
                out.push(Verdict {
                    expected: format!("order {}", teams.join(" > ")),
                    actual: scores.join(", "),
                    ok,
                });
            }
            Expectation::Team(t) => team_verdicts(t, state, &board, &mut out),
        }
    }
    out
}

fn team_verdicts(
    e: &TeamExpectation,
    state: &GameState,
    board: &scoreboard::Leaderboard,
    out: &mut Vec<Verdict>,
) {
    let name = &e.team;
    let Some(t) = state.teams.get(name) else {
        out.push(Verdict {
            expected: format!("{name} plays"),
            actual: "no such team".into(),
            ok: false,
        });
        return;
    };
    let mut push = |expected: String, actual: String, ok: bool| {
        out.push(Verdict {
            expected: format!("{name}: {expected}"),
            actual,
            ok,
        });
    };
    if let Some(rank) = e.rank {
        let actual = board.get(name).map_or(0, |s| s.rank);
        push(format!("rank {rank}"), actual.to_string(), actual == rank);
    }
    if let Some(min) = e.score_min {
        push(
            format!("score ≥ {min}"),
            t.score.to_string(),
            t.score >= min,
        );
    }
    if let Some(max) = e.score_max {
        push(
            format!("score ≤ {max}"),
            t.score.to_string(),
            t.score <= max,
        );
    }
    if let Some(cost) = e.cost {
        push(format!("cost {cost}"), t.cost.to_string(), t.cost == cost);
    }
    if let Some(min) = e.correct_min {
        let n = t.counts.get(OutcomeKind::Correct);
        push(
            format!("at least {min} correct answers"),
            n.to_string(),
            n >= min,
        );
    }
    for count in &e.events {
        let (what, n) = counted(count, t);
        let ok = count.min.is_none_or(|m| n >= m) && count.max.is_none_or(|m| n <= m);
        push(format!("{what} {}", bounds(count)), n.to_string(), ok);
    }
}

fn counted(count: &EventCount, t: &super::state::TeamState) -> (String, u64) {
    match count.what {
        Counted::Source(source) => (
            format!("{source} score events"),
            t.events_by_source.get(&source).copied().unwrap_or(0),
        ),
        Counted::Kind(kind) => (format!("{} outcomes", kind.name()), t.counts.get(kind)),
    }
}

fn bounds(count: &EventCount) -> String {
    match (count.min, count.max) {
        (Some(a), Some(b)) if a == b => format!("= {a}"),
        (Some(a), Some(b)) => format!("in {a}..={b}"),
        (Some(a), None) => format!("≥ {a}"),
        (None, Some(b)) => format!("≤ {b}"),
        (None, None) => "any number".into(),
    }
}
