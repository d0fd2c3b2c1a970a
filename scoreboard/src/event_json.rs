//! The one JSON shape of a score event: the web API and its streams, `gameday events
//! --json`, and every export that lists events write it. Points go out twice, as text a
//! person reads (`+12.5`) and as integer milli-points a program sums (`points_milli`), as
//! the board's `score` and `score_milli` do.

use serde::Serialize;

use scoreboard_domain::ScoreEvent;

/// A score event as JSON. Built from a [`ScoreEvent`] with `EventJson::from(&event)`.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct EventJson {
    /// Game time as text: `01:40`.
    pub at: String,
    /// Game time in milliseconds.
    pub at_ms: u64,
    /// The team's id in the scenario.
    pub team: String,
    /// `LoadGen`, `Billing`, `Organizer` or `Engine`.
    pub source: &'static str,
    /// Points as text: `+0.5`, `-21`.
    pub points: String,
    /// Points in milli-points: `500`, `-21000`.
    pub points_milli: i64,
    pub reason: String,
    /// What the event is about: `correct`, `correct_slow`, `wrong_answer`, `http_503`,
    /// `timeout`, `connect_refused`, `tls_untrusted`, …, `billing`, `organizer`, `void`, or
    /// `unknown` (an event of an older ledger).
    pub kind: String,
    /// How many outcomes it counts (the 3 of `3 × 503`).
    pub count: u64,
    /// With `seq`, what makes the event unique (pages merge by it).
    pub cause: String,
    pub seq: u32,
}

impl From<&ScoreEvent> for EventJson {
    fn from(e: &ScoreEvent) -> EventJson {
        EventJson {
            at: e.at.to_string(),
            at_ms: e.at.0,
            team: e.team.clone(),
            source: e.source.name(),
            points: e.points.to_string(),
            points_milli: e.points.0,
            reason: e.reason.clone(),
            kind: e.kind.name().into_owned(),
            count: e.count,
            cause: e.cause.clone(),
            seq: e.seq,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scoreboard_domain::{EventKind, GameTime, Points, Source};

    #[test]
    fn an_event_has_one_shape_with_text_and_milli_points() {
        let e = ScoreEvent {
            at: GameTime(100_000),
            team: "team-a".into(),
            source: Source::LoadGen,
            points: Points(-21_000),
            reason: "42 × 503".into(),
            kind: EventKind::Status(503),
            count: 42,
            cause: "batch:1-0-0-25".into(),
            seq: 3,
        };
        let json = serde_json::to_value(EventJson::from(&e)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "at": "01:40", "at_ms": 100_000, "team": "team-a", "source": "LoadGen",
                "points": "-21", "points_milli": -21_000, "reason": "42 × 503",
                "kind": "http_503", "count": 42, "cause": "batch:1-0-0-25", "seq": 3,
            })
        );
    }
}
