//! What leaves the game as data: the results export (CSV and JSON, for the organizer) and
//! `/metrics` in the Prometheus text format (public: counters, no tokens).

use std::fmt::Write as _;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::auth::Admin;
use super::json::{self, ResultRow, decimal};
use super::state::WebState;
use crate::live::{Snapshot, TeamRow};
use scoreboard_domain::csv::csv_field;

/// `GET /api/export.json`: every team's results, by rank.
pub(crate) async fn export_json(State(state): State<WebState>, _: Admin) -> Response {
    let rows = json::results(&state.view.now());
    (
        [(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"results.json\"",
        )],
        Json(rows),
    )
        .into_response()
}

/// `GET /api/export.csv`: the same as CSV with a header line.
pub(crate) async fn export_csv(State(state): State<WebState>, _: Admin) -> Response {
    let csv = results_csv(&json::results(&state.view.now()));
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"results.csv\"",
            ),
        ],
        csv,
    )
        .into_response()
}

pub(crate) fn results_csv(rows: &[ResultRow]) -> String {
    let mut out = String::from("rank,team,name,score,correct,errors,cost\n");
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{}",
            r.rank,
            csv_field(&r.team),
            csv_field(&r.name),
            r.score,
            r.correct,
            r.errors,
            r.cost
        );
    }
    out
}

/// `GET /metrics`.
pub(crate) async fn metrics(State(state): State<WebState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics_text(&state.view.now()),
    )
        .into_response()
}

/// A team's labels: its stable id and its public name.
fn team_labels(t: &TeamRow) -> String {
    format!(
        "team=\"{}\",name=\"{}\"",
        label(&t.team),
        label(t.public_name())
    )
}

/// Reads one counter of a team.
type TeamCounter = fn(&TeamRow) -> u64;

/// The snapshot as Prometheus metrics. Scores are the public board's, so a frozen board
/// stays frozen here too.
pub(crate) fn metrics_text(s: &Snapshot) -> String {
    let mut out = String::new();
    let score = "Team score on the public board, in points.";
    family(&mut out, "gameday_team_score_points", "gauge", score);
    for t in s.public_rows() {
        let _ = writeln!(
            out,
            "gameday_team_score_points{{{}}} {}",
            team_labels(t),
            decimal(t.score)
        );
    }
    let outcomes = "Outcomes of the requests sent to each team, by kind.";
    family(&mut out, "gameday_outcomes_total", "counter", outcomes);
    for t in &s.teams {
        for (kind, n) in &t.outcomes {
            let (team, kind) = (team_labels(t), label(kind));
            let _ = writeln!(out, "gameday_outcomes_total{{{team},kind=\"{kind}\"}} {n}");
        }
    }
    let per_team: [(&str, &str, TeamCounter); 2] = [
        (
            "gameday_sends_total",
            "Requests due to each team so far.",
            |t| t.sends,
        ),
        (
            "gameday_late_sends_total",
            "Requests the load engine sent late.",
            |t| t.late_sends,
        ),
    ];
    for (name, help, value) in per_team {
        family(&mut out, name, "counter", help);
        for t in &s.teams {
            let _ = writeln!(out, "{name}{{{}}} {}", team_labels(t), value(t));
        }
    }
    for (name, kind, help, value) in game_metrics(s) {
        family(&mut out, name, kind, help);
        let _ = writeln!(out, "{name} {value}");
    }
    out
}

/// The game's own metrics: name, type, help and value.
fn game_metrics(s: &Snapshot) -> [(&'static str, &'static str, &'static str, String); 9] {
    let ledger = &s.ledger;
    [
        (
            "gameday_ledger_writes_total",
            "counter",
            "Ledger transactions committed.",
            s.writes.count.to_string(),
        ),
        (
            "gameday_ledger_write_seconds_total",
            "counter",
            "Time spent committing ledger transactions.",
            s.writes.seconds.to_string(),
        ),
        (
            "gameday_paused",
            "gauge",
            "1 while the game is paused.",
            u8::from(s.paused).to_string(),
        ),
        (
            "gameday_frozen",
            "gauge",
            "1 while the public board is frozen.",
            u8::from(s.frozen.is_some()).to_string(),
        ),
        (
            "gameday_game_seconds",
            "gauge",
            "Game time so far.",
            (s.now.0 as f64 / 1000.0).to_string(),
        ),
        (
            "gameday_ledger_up",
            "gauge",
            "1 while the ledger takes writes, 0 while it is unavailable.",
            u8::from(ledger.down_since_unix_ms.is_none()).to_string(),
        ),
        (
            "gameday_ledger_down_since_seconds",
            "gauge",
            "Unix time the ledger became unavailable (0 while it takes writes).",
            ledger
                .down_since_unix_ms
                .map_or(0, |ms| ms / 1000)
                .to_string(),
        ),
        (
            "gameday_ledger_waiting_causes",
            "gauge",
            "Causes decided but not yet written to the ledger.",
            ledger.waiting_causes.to_string(),
        ),
        (
            "gameday_ledger_waiting_events",
            "gauge",
            "Score events decided but not yet written to the ledger.",
            ledger.waiting_events.to_string(),
        ),
    ]
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A label value escaped as the text format wants.
fn label(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use scoreboard_domain::{Cents, Points};

    #[test]
    fn metrics_use_the_public_board_and_escape_labels() {
        let row = |score| TeamRow {
            rank: 1,
            team: "a\"b".into(),
            name: "Red\\Pandas\n".into(),
            score: Points(score),
            outcomes: vec![("correct".into(), 7)],
            sends: 9,
            late_sends: 1,
            cost: Cents(0),
            ..Default::default()
        };
        let s = Snapshot {
            frozen: Some(scoreboard_domain::GameTime(1_000)),
            teams: vec![row(99_000)],
            public: vec![row(5_500)],
            writes: scoreboard_domain::snapshot::LedgerWrites {
                count: 3,
                seconds: 0.25,
            },
            ..Default::default()
        };
        let text = metrics_text(&s);
        assert!(text.contains("gameday_ledger_up 1\n"));
        let labels = "team=\"a\\\"b\",name=\"Red\\\\Pandas\\n\"";
        assert!(
            text.contains(&format!("gameday_team_score_points{{{labels}}} 5.5\n")),
            "{text}"
        );
        assert!(!text.contains("99"));
        assert!(text.contains(&format!(
            "gameday_outcomes_total{{{labels},kind=\"correct\"}} 7\n"
        )));
        assert!(text.contains(&format!("gameday_late_sends_total{{{labels}}} 1\n")));
        assert!(text.contains("gameday_ledger_write_seconds_total 0.25\n"));
        assert!(text.contains("gameday_frozen 1\n"));
    }
}
