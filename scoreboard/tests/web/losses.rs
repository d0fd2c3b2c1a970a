//! What is costing a team points: its own losses of the last five minutes in its line
//! (`/api/team`, the stream's `status`) and on its page, each kind with its count, points,
//! latest reason and hint; and what each score event is about in the events' JSON.

use std::time::Duration;

use axum::http::StatusCode;
use scoreboard::web::app;
use scoreboard_domain::projection::LossLine;
use scoreboard_domain::{EventKind, Points, Source, hints};

use super::client::{self, send};
use super::util::{Game, TEAM_A};

fn line(kind: EventKind, source: Source, count: u64, milli: i64, example: &str) -> LossLine {
    LossLine {
        kind,
        source,
        count,
        points: Points(milli),
        example: example.into(),
        hint: hints::hint(kind, Duration::from_secs(5)).into_owned(),
    }
}

#[tokio::test]
async fn a_team_sees_what_is_costing_it_points_and_only_its_own() {
    let game = Game::start();
    let app = app(game.state.clone());
    game.publish(|s| {
        let a = s.teams.iter_mut().find(|t| t.team == TEAM_A).unwrap();
        a.losses = vec![
            line(
                EventKind::Status(503),
                Source::LoadGen,
                42,
                -21_000,
                "7 × 503 Service Unavailable (your queue is full)",
            ),
            line(
                EventKind::WrongAnswer,
                Source::LoadGen,
                3,
                -3_000,
                "3 answers did not match, e.g. key 3615-7184-2117: got \"<b>x</b>\"",
            ),
        ];
    });

    let me = send(&app, client::get("/api/team", Some(&game.team_a))).await;
    assert_eq!(me.status, StatusCode::OK);
    let losses = me.json()["losses"].clone();
    assert_eq!(losses.as_array().unwrap().len(), 2);
    let first = &losses[0];
    assert_eq!(first["kind"], "http_503");
    assert_eq!(first["label"], "503 Service Unavailable");
    assert_eq!(first["source"], "LoadGen");
    assert_eq!(first["count"], 42);
    assert_eq!(first["points"], "-21");
    assert_eq!(first["points_milli"], -21_000);
    assert!(first["example"].as_str().unwrap().starts_with("7 × 503"));
    assert!(first["hint"].as_str().unwrap().contains("queue is full"));
    assert_eq!(losses[1]["kind"], "wrong_answer");

    // The page shows the same, worst first, escaped.
    let page = send(&app, client::get_with_cookie("/team", &game.team_a)).await;
    assert_eq!(page.status, StatusCode::OK);
    let panel = &page.body[page.body.find("id=\"costing\"").unwrap()..];
    let panel = &panel[..panel.find("</section>").unwrap()];
    assert!(panel.contains("What is costing you points (last 5 minutes)"));
    let (s503, wrong) = (
        panel.find("503 Service Unavailable").unwrap(),
        panel.find("wrong answers").unwrap(),
    );
    assert!(s503 < wrong, "{panel}");
    assert!(
        panel.contains("Scale out") && panel.contains("salt"),
        "{panel}"
    );
    assert!(panel.contains("&lt;b&gt;x&lt;/b&gt;") && !panel.contains("<b>x</b>"));

    // Team B lost nothing lately, and does not see team A's losses.
    let b = send(&app, client::get("/api/team", Some(&game.team_b))).await;
    assert_eq!(b.json()["losses"], serde_json::json!([]));
    let page = send(&app, client::get_with_cookie("/team", &game.team_b)).await;
    assert!(page.body.contains("Nothing lost in the last 5 minutes."));
    assert!(!page.body.contains("queue is full"));
}

#[tokio::test]
async fn each_event_says_its_kind_and_how_many_outcomes_it_counts() {
    let game = Game::start();
    let app = app(game.state.clone());
    let page = send(
        &app,
        client::get("/api/team/events?source=Billing", Some(&game.team_a)),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    let events = page.json()["events"].clone();
    assert_eq!(events[0]["kind"], "billing");
    assert_eq!(events[0]["count"], 1);
    let all = send(&app, client::get("/api/team/events", Some(&game.team_a))).await;
    for e in all.json()["events"].as_array().unwrap() {
        assert!(e["kind"].is_string() && e["count"].is_u64(), "{e}");
    }
}
