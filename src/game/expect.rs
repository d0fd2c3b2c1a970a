//! `[[expect]]` checked against a played game: each expectation with ✓ or ✗ and the actual
//! value, so a failing CI run says what broke.

use loadgen::OutcomeKind;
use serde::Serialize;

use crate::scenario::{Counted, EventCount, Expectation, TeamExpectation};
use scoreboard_domain::{GameProjection, TeamState};

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
pub fn check_expectations(expectations: &[Expectation], state: &GameProjection) -> Vec<Verdict> {
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
                                .team(t)
                                .map_or_else(|| "?".into(), |s| s.score.to_string())
                        )
                    })
                    .collect();
                let ok = teams
                    .windows(2)
                    .all(|w| match (state.team(&w[0]), state.team(&w[1])) {
                        (Some(a), Some(b)) => a.score > b.score,
                        _ => false,
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
    state: &GameProjection,
    board: &scoreboard_domain::Leaderboard,
    out: &mut Vec<Verdict>,
) {
    let name = &e.team;
    let Some(t) = state.team(name) else {
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
        push(
            format!("cost {cost}"),
            t.billing.cost.to_string(),
            t.billing.cost == cost,
        );
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

fn counted(count: &EventCount, t: &TeamState) -> (String, u64) {
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

#[cfg(test)]
mod tests {
    use loadgen::{BatchId, OutcomeBatch};
    use scoreboard_domain::{BillingBlock, Cents, GameTime, Points, ScoreEvent, Source};
    use scoreboard_ledger::{Recorded, RecordedBatch};

    use super::*;

    /// Three teams: a +120 with 100 correct answers, b +40 with 7 × 500, c −10, c billed $16
    /// (two blocks at $8), all of it applied as a game applies it.
    fn state() -> GameProjection {
        let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let mut state = GameProjection::new(&names, Cents(800), None);
        let batch = |target: u32, team: &str| {
            let id = BatchId {
                run: 1,
                worker: 0,
                target,
                tick: 0,
            };
            OutcomeBatch::new(id, team.into())
        };
        let mut a = batch(0, "a");
        a.counts.add(OutcomeKind::Correct, 100);
        let mut b = batch(1, "b");
        b.counts.add_status(500, 7);
        for batch in [a, b] {
            let at = GameTime(1000);
            state.apply_cause(&Recorded::Batch(Box::new(RecordedBatch { at, batch })));
        }
        for n in 1..=2 {
            state.apply_cause(&Recorded::Block(BillingBlock {
                team: "c".into(),
                instance: "i-c".into(),
                block: n,
                instance_type: "t2.micro".into(),
                anchor: GameTime(0),
                at: GameTime(0),
            }));
        }
        let event = |team: &str, source, points| ScoreEvent {
            at: GameTime(1000),
            team: team.into(),
            source,
            points: Points(points),
            reason: String::new(),
            kind: scoreboard_domain::EventKind::Unknown,
            count: 1,
            cause: format!("{team}-{points}"),
            seq: 0,
        };
        for e in [
            event("a", Source::LoadGen, 120_000),
            event("b", Source::LoadGen, 40_000),
            event("c", Source::Billing, -4_000),
            event("c", Source::Billing, -6_000),
        ] {
            state.apply_event(&e);
        }
        state
    }

    fn team(name: &str) -> TeamExpectation {
        TeamExpectation {
            team: name.into(),
            rank: None,
            score_min: None,
            score_max: None,
            cost: None,
            correct_min: None,
            events: Vec::new(),
        }
    }

    fn oks(expectations: &[Expectation]) -> Vec<(String, String, bool)> {
        check_expectations(expectations, &state())
            .into_iter()
            .map(|v| (v.expected, v.actual, v.ok))
            .collect()
    }

    #[test]
    fn every_team_condition_gives_a_verdict_with_the_actual_value() {
        let a = TeamExpectation {
            rank: Some(1),
            score_min: Some(Points(100_000)),
            score_max: Some(Points(110_000)),
            correct_min: Some(101),
            ..team("a")
        };
        let c = TeamExpectation {
            rank: Some(3),
            cost: Some(Cents(1_600)),
            events: vec![
                EventCount {
                    what: Counted::Source(Source::Billing),
                    min: Some(2),
                    max: Some(2),
                },
                EventCount {
                    what: Counted::Kind(OutcomeKind::Correct),
                    min: Some(1),
                    max: None,
                },
            ],
            ..team("c")
        };
        let got = oks(&[Expectation::Team(a), Expectation::Team(c)]);
        let expected: Vec<(String, String, bool)> = [
            ("a: rank 1", "1", true),
            ("a: score ≥ +100", "+120", true),
            ("a: score ≤ +110", "+120", false),
            ("a: at least 101 correct answers", "100", false),
            ("c: rank 3", "3", true),
            ("c: cost $16", "$16", true),
            ("c: Billing score events = 2", "2", true),
            ("c: correct outcomes ≥ 1", "0", false),
        ]
        .map(|(e, a, ok)| (e.to_owned(), a.to_owned(), ok))
        .to_vec();
        assert_eq!(got, expected);
    }

    #[test]
    fn status_counts_and_order_hold_or_fail() {
        let b = TeamExpectation {
            events: vec![EventCount {
                what: Counted::Kind(OutcomeKind::HttpStatus),
                min: None,
                max: Some(5),
            }],
            ..team("b")
        };
        let got = oks(&[
            Expectation::Team(b),
            Expectation::Order(vec!["a".into(), "b".into(), "c".into()]),
            Expectation::Order(vec!["b".into(), "a".into()]),
            Expectation::Team(team("nobody")),
        ]);
        assert!(!got[0].2, "{got:?}");
        assert_eq!(got[0].1, "7");
        assert!(got[1].2, "{got:?}");
        assert_eq!(got[1].1, "a +120, b +40, c -10");
        assert!(!got[2].2, "{got:?}");
        assert_eq!(
            got[3],
            ("nobody plays".into(), "no such team".into(), false)
        );
    }
}
