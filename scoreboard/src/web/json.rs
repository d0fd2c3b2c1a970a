//! The JSON shapes of the API: the public board, a team's own line, the organizer's status,
//! and the results export (a score event's shape is [`crate::event_json::EventJson`], which
//! the terminal shares). Points go out twice: as text a person reads (`+12.5`) and as
//! integer milli-points a program sums.

use serde::Serialize;

use crate::live::{Snapshot, TeamRow};
use scoreboard_domain::projection::LossLine;
use scoreboard_domain::{Cents, Points};

/// The public board (`GET /api/board`, and each message of its stream).
#[derive(Serialize, Debug)]
pub(crate) struct Board {
    pub game: String,
    pub now: String,
    pub now_ms: u64,
    #[serde(flatten)]
    pub state: StateJson,
    pub announcements: Vec<AnnouncementJson>,
    pub teams: Vec<BoardRow>,
}

#[derive(Serialize, Debug)]
pub(crate) struct AnnouncementJson {
    pub at: String,
    pub text: String,
}

/// One line of the public board: what anyone may see.
#[derive(Serialize, Debug)]
pub(crate) struct BoardRow {
    pub rank: u32,
    pub team: String,
    /// The public name (the id until the team names itself).
    pub name: String,
    pub score: String,
    pub score_milli: i64,
    pub trend: String,
    pub trend_milli: i64,
    /// `waiting for its endpoint since 00:00` while the team has not registered one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting: Option<String>,
}

/// Where a team's endpoint stands: its state in words, when it registered, its last check.
#[derive(Serialize, Debug)]
pub(crate) struct EndpointJson {
    /// The team registers its own endpoint and has not yet: it gets no load.
    pub waiting: bool,
    /// `waiting for its endpoint since 00:00`, `answering`, `failing since 12:04`…
    pub state: String,
    pub registered_at: Option<String>,
    pub last_check: Option<CheckJson>,
    /// What the organizer broke and told the team of (and its restores), oldest first.
    pub told: Vec<ToldJson>,
}

/// A break told to the team: when (game time), and what broke and what to look at.
#[derive(Serialize, Debug)]
pub(crate) struct ToldJson {
    pub at: String,
    pub text: String,
}

/// A check of a team's endpoint: when (game time), whether it passed, what it found.
#[derive(Serialize, Debug)]
pub(crate) struct CheckJson {
    pub at: String,
    pub at_ms: u64,
    pub passed: bool,
    pub text: String,
}

pub(crate) fn check(c: &scoreboard_domain::projection::EndpointCheck) -> CheckJson {
    CheckJson {
        at: c.at.to_string(),
        at_ms: c.at.0,
        passed: c.passed,
        text: c.text.clone(),
    }
}

pub(crate) fn endpoint(t: &TeamRow) -> EndpointJson {
    let e = &t.endpoint;
    EndpointJson {
        waiting: e.is_waiting(),
        state: e.describe(),
        registered_at: e.registered_at.map(|at| at.to_string()),
        last_check: e.last_check.as_ref().map(check),
        told: e
            .told
            .iter()
            .map(|t| ToldJson {
                at: t.at.to_string(),
                text: t.text.clone(),
            })
            .collect(),
    }
}

/// Whether the game is paused, the public board frozen, the game over: one shape in every
/// view's JSON (`"paused": false, "frozen": true, "over": false`, flattened).
#[derive(Serialize, Debug, Clone, Copy)]
pub(crate) struct StateJson {
    pub paused: bool,
    pub frozen: bool,
    pub over: bool,
}

impl StateJson {
    pub fn of(s: &Snapshot) -> StateJson {
        StateJson {
            paused: s.paused,
            frozen: s.frozen.is_some(),
            over: s.over,
        }
    }

    /// `running`, `paused, frozen`, `over`…
    pub fn words(self) -> String {
        let mut words = vec![if self.over {
            "over"
        } else if self.paused {
            "paused"
        } else {
            "running"
        }];
        if self.frozen {
            words.push("frozen");
        }
        words.join(", ")
    }
}

pub(crate) fn board(s: &Snapshot) -> Board {
    Board {
        game: s.game.clone(),
        now: s.now.to_string(),
        now_ms: s.now.0,
        state: StateJson::of(s),
        announcements: s
            .announcements
            .iter()
            .map(|a| AnnouncementJson {
                at: a.at.to_string(),
                text: a.text.clone(),
            })
            .collect(),
        teams: s
            .public_rows()
            .iter()
            .map(|t| BoardRow {
                rank: t.rank,
                team: t.team.clone(),
                name: t.public_name().to_owned(),
                score: t.score.to_string(),
                score_milli: t.score.0,
                trend: t.trend.to_string(),
                trend_milli: t.trend.0,
                waiting: t.endpoint.is_waiting().then(|| t.endpoint.describe()),
            })
            .collect(),
    }
}

/// One line of "what is costing you points".
#[derive(Serialize, Debug)]
pub(crate) struct LossJson {
    /// The kind's name, as an event's `kind`.
    pub kind: String,
    /// The kind as a team reads it: `503 Service Unavailable`, `wrong answers`, `billing`.
    pub label: String,
    pub source: &'static str,
    /// Outcomes counted (billing blocks, adjustments).
    pub count: u64,
    pub points: String,
    pub points_milli: i64,
    /// The latest event's reason.
    pub example: String,
    /// What to try.
    pub hint: String,
}

pub(crate) fn loss(l: &LossLine) -> LossJson {
    LossJson {
        kind: l.kind.name().into_owned(),
        label: l.label().into_owned(),
        source: l.source.name(),
        count: l.count,
        points: l.points.to_string(),
        points_milli: l.points.0,
        example: l.example.clone(),
        hint: l.hint.clone(),
    }
}

/// A team's own line (`GET /api/team`, the `status` messages of its stream). The rank is
/// the public board's, so a frozen board stays frozen for teams too.
#[derive(Serialize, Debug)]
pub(crate) struct TeamStatus {
    pub team: String,
    /// The public name (the id until the team names itself).
    pub name: String,
    pub rank: Option<u32>,
    pub score: String,
    pub score_milli: i64,
    pub urls: Vec<String>,
    pub endpoint: Option<EndpointJson>,
    #[serde(flatten)]
    pub state: StateJson,
    /// What is costing the team points: the last five minutes' losses by kind, worst first.
    pub losses: Vec<LossJson>,
}

pub(crate) fn team_status(s: &Snapshot, team: &str) -> TeamStatus {
    let live = s.teams.iter().find(|t| t.team == team);
    let public = s.public_rows().iter().find(|t| t.team == team);
    let score = live.map_or(Points(0), |t| t.score);
    TeamStatus {
        team: team.to_string(),
        name: live.map_or(team, TeamRow::public_name).to_owned(),
        rank: public.map(|t| t.rank),
        score: score.to_string(),
        score_milli: score.0,
        urls: live.map(|t| t.urls.clone()).unwrap_or_default(),
        endpoint: live.map(endpoint),
        state: StateJson::of(s),
        losses: live.map_or_else(Vec::new, |t| t.losses.iter().map(loss).collect()),
    }
}

/// The organizer's view (`GET /api/admin/status`, the admin stream): the live board.
#[derive(Serialize, Debug)]
pub(crate) struct AdminStatus {
    pub game: String,
    pub now: String,
    pub now_ms: u64,
    pub duration_ms: u64,
    #[serde(flatten)]
    pub state: StateJson,
    #[serde(flatten)]
    pub load: LoadJson,
    #[serde(flatten)]
    pub ledger: LedgerJson,
    pub teams: Vec<AdminRow>,
    /// The instructor's breaks and restores, oldest first, told or not: every one in
    /// `GET /api/admin/status`, the latest [`LIVE_BREAKS`] on the admin page and its stream.
    pub breaks: Vec<BreakJson>,
    /// How many earlier ones `breaks` leaves out (only on the page and its stream).
    #[serde(skip_serializing_if = "is_zero")]
    pub breaks_earlier: usize,
}

/// The breaks the admin page and its stream carry at most: what an organizer reads at a
/// glance, and a frame each snapshot that does not grow with the game's history.
pub(crate) const LIVE_BREAKS: usize = 50;

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The load now, in words (`"offered": "8.0 req/s", "phase": "phase 2 of 4 (…)"`).
#[derive(Serialize, Debug)]
pub(crate) struct LoadJson {
    pub offered: String,
    pub phase: String,
}

/// The ledger's health for the organizer.
#[derive(Serialize, Debug)]
pub(crate) struct LedgerJson {
    /// `ledger unavailable since 14:02:11 UTC, 1234 events waiting`, while it is.
    pub ledger_warning: Option<String>,
    pub ledger_waiting_events: u64,
}

/// A break or a restore as the organizer reads it: when, which team, what it did in words,
/// and the record of what was there before (what a restore puts back).
#[derive(Serialize, Debug)]
pub(crate) struct BreakJson {
    pub at: String,
    pub at_ms: u64,
    pub team: String,
    /// `break` or `restore`.
    pub kind: &'static str,
    pub action: scoreboard_domain::breaks::BreakAction,
    pub text: String,
    /// The team reads it on its page.
    pub tell: bool,
    pub outcome: scoreboard_domain::breaks::BreakOutcome,
}

/// `GET /api/admin/status`: the status, with the game's webhooks (labels, never URLs) and
/// how they fare (not in the stream).
#[derive(Serialize, Debug)]
pub(crate) struct AdminStatusWithHooks {
    #[serde(flatten)]
    pub status: AdminStatus,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<crate::notify::HookHealth>,
}

#[derive(Serialize, Debug)]
pub(crate) struct AdminRow {
    pub rank: u32,
    pub team: String,
    pub name: String,
    pub score: String,
    pub score_milli: i64,
    pub urls: Vec<String>,
    pub endpoint: EndpointJson,
    /// Whether the team has a token (filled from the ledger where known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_token: Option<bool>,
}

/// The organizer's view of `s`, with whether each team has a token where `token_owners` is
/// known, and the latest `most_breaks` breaks and restores (`usize::MAX`: every one).
pub(crate) fn admin_status(
    s: &Snapshot,
    token_owners: Option<&[String]>,
    most_breaks: usize,
) -> AdminStatus {
    let breaks_earlier = s.breaks.len().saturating_sub(most_breaks);
    AdminStatus {
        game: s.game.clone(),
        now: s.now.to_string(),
        now_ms: s.now.0,
        duration_ms: u64::try_from(s.duration.as_millis()).unwrap_or(u64::MAX),
        state: StateJson::of(s),
        load: LoadJson {
            offered: s.load.offered.clone(),
            phase: s.load.phase.clone(),
        },
        ledger: LedgerJson {
            ledger_warning: s.ledger.warning(),
            ledger_waiting_events: s.ledger.waiting_events,
        },
        teams: s
            .teams
            .iter()
            .map(|t| AdminRow {
                rank: t.rank,
                team: t.team.clone(),
                name: t.public_name().to_owned(),
                score: t.score.to_string(),
                score_milli: t.score.0,
                urls: t.urls.clone(),
                endpoint: endpoint(t),
                has_token: token_owners.map(|owners| owners.contains(&t.team)),
            })
            .collect(),
        breaks: s.breaks[breaks_earlier..]
            .iter()
            .map(|b| BreakJson {
                at: b.at.to_string(),
                at_ms: b.at.0,
                team: b.team.clone(),
                kind: if b.restore { "restore" } else { "break" },
                action: b.record.action,
                text: b.record.words(),
                tell: b.record.tell,
                outcome: b.record.outcome.clone(),
            })
            .collect(),
        breaks_earlier,
    }
}

/// One team's results (the export).
#[derive(Serialize, Debug, PartialEq)]
pub(crate) struct ResultRow {
    pub rank: u32,
    pub team: String,
    pub name: String,
    /// Decimal points, e.g. `412.5` or `-3`.
    pub score: String,
    pub score_milli: i64,
    pub correct: u64,
    /// Outcomes that were not correct.
    pub errors: u64,
    /// Dollars, e.g. `12.50`.
    pub cost: String,
    pub cost_cents: i64,
}

pub(crate) fn results(s: &Snapshot) -> Vec<ResultRow> {
    s.teams.iter().map(result_row).collect()
}

fn result_row(t: &TeamRow) -> ResultRow {
    let correct = t
        .outcomes
        .iter()
        .filter(|(kind, _)| kind == "correct")
        .map(|(_, n)| n)
        .sum();
    let errors = t
        .outcomes
        .iter()
        .filter(|(kind, _)| kind != "correct")
        .map(|(_, n)| n)
        .sum();
    ResultRow {
        rank: t.rank,
        team: t.team.clone(),
        name: t.public_name().to_owned(),
        score: decimal(t.score),
        score_milli: t.score.0,
        correct,
        errors,
        cost: dollars(t.cost),
        cost_cents: t.cost.0,
    }
}

/// Points as a plain decimal: `412.5`, `-3`, `0`.
pub(crate) fn decimal(p: Points) -> String {
    let text = p.to_string();
    text.strip_prefix('+').map(str::to_string).unwrap_or(text)
}

/// Cents as dollars with two decimals: `12.50`, `-0.05`.
pub(crate) fn dollars(c: Cents) -> String {
    let sign = if c.0 < 0 { "-" } else { "" };
    let abs = c.0.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_for_programs() {
        assert_eq!(decimal(Points(412_500)), "412.5");
        assert_eq!(decimal(Points(-3000)), "-3");
        assert_eq!(dollars(Cents(1250)), "12.50");
        assert_eq!(dollars(Cents(-5)), "-0.05");
    }

    #[test]
    fn results_split_correct_from_errors() {
        let row = TeamRow {
            rank: 1,
            team: "a".into(),
            score: Points(1500),
            outcomes: vec![
                ("correct".into(), 10),
                ("timeout".into(), 2),
                ("http_status".into(), 1),
            ],
            cost: Cents(99),
            ..Default::default()
        };
        let r = result_row(&row);
        assert_eq!((r.correct, r.errors, r.cost.as_str()), (10, 3, "0.99"));
    }
}
