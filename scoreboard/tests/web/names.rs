//! Teams' public names through the API: a team names itself once (then 409), the organizer
//! renames any team with a reason (an Organizer event), the rules give 422 with the reason,
//! and the name shows, as text, on the board, in the exports and in /metrics.

use axum::http::StatusCode;
use scoreboard::web::app;
use serde_json::json;

use crate::client::{self, send};
use crate::util::{Game, TEAM_A, TEAM_B};

#[tokio::test]
async fn a_team_names_itself_once_and_the_name_shows_everywhere_as_text() {
    let game = Game::start();
    let app = app(game.state.clone());
    let name = |token: &str, name: &str| {
        client::post(
            "/api/team/name",
            Some(token),
            Some(&json!({ "name": name })),
        )
    };
    let html = "  <img src=x onerror=alert(1)> & co  ";
    let ok = send(&app, name(&game.team_a, html)).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.json(), json!({"team": TEAM_A, "name": html.trim()}));

    let again = send(&app, name(&game.team_a, "Second Thoughts")).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let why = again.json()["error"].as_str().unwrap().to_owned();
    assert!(
        why.contains("already chosen its name") && why.contains("organizers"),
        "{why}"
    );

    for (asked, reason) in [
        ("", "1 to 40 characters"),
        (&*"x".repeat(41), "1 to 40 characters"),
        ("bad\u{7}bell", "control characters"),
        ("<IMG SRC=X ONERROR=ALERT(1)> & CO", "already called"),
        ("TEAM-A", "already called"),
    ] {
        let refused = send(&app, name(&game.team_b, asked)).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{asked:?}"
        );
        let error = refused.json()["error"].as_str().unwrap().to_owned();
        assert!(error.contains(reason), "{asked:?}: {error}");
    }
    let admin_as_team = send(&app, name(&game.admin, "Admins")).await;
    assert_eq!(admin_as_team.status, StatusCode::FORBIDDEN);

    // The next snapshot carries the name: the board, exports and metrics show it as text.
    game.publish(|_| {});
    let board = send(&app, client::get("/api/board", None)).await.json();
    let row = board["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team"] == TEAM_A)
        .unwrap()
        .clone();
    assert_eq!(row["name"], html.trim());
    let page = send(&app, client::get("/", None)).await.body;
    assert!(
        page.contains("&lt;img src=x onerror=alert(1)&gt; &amp; co"),
        "{page}"
    );
    assert!(!page.contains("<img src=x"));
    let admin = Some(game.admin.as_str());
    let csv = send(&app, client::get("/api/export.csv", admin)).await.body;
    assert!(csv.starts_with("rank,team,name,"), "{csv}");
    assert!(
        csv.contains(&format!("{TEAM_A},<img src=x onerror=alert(1)> & co,")),
        "{csv}"
    );
    let metrics = send(&app, client::get("/metrics", None)).await.body;
    assert!(
        metrics.contains(&format!(
            "team=\"{TEAM_A}\",name=\"<img src=x onerror=alert(1)> & co\""
        )),
        "{metrics}"
    );
    let me = send(&app, client::get("/api/team", Some(&game.team_a)))
        .await
        .json();
    assert_eq!(me["name"], html.trim());
}

#[tokio::test]
async fn the_organizer_renames_a_team_with_a_reason_the_team_reads() {
    let game = Game::start();
    let app = app(game.state.clone());
    let admin = Some(game.admin.as_str());
    let rename = |team: &str, body: serde_json::Value| {
        client::post(&format!("/api/admin/teams/{team}/name"), admin, Some(&body))
    };
    let no_reason = send(&app, rename(TEAM_B, json!({"name": "Whales"}))).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        no_reason.json()["error"]
            .as_str()
            .unwrap()
            .contains("reason")
    );
    let nobody = send(
        &app,
        rename("team-z", json!({"name": "Z", "reason": "typo"})),
    )
    .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
    let by_team = client::post(
        &format!("/api/admin/teams/{TEAM_B}/name"),
        Some(&game.team_b),
        Some(&json!({"name": "Whales", "reason": "we want it"})),
    );
    assert_eq!(send(&app, by_team).await.status, StatusCode::FORBIDDEN);

    let ok = send(
        &app,
        rename(
            TEAM_B,
            json!({"name": "Blue Whales", "reason": "offensive name"}),
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let controls = game.wait_for_controls(1).await;
    assert_eq!(
        controls,
        [format!(
            "adjust {TEAM_B} 0 admin renamed \"Blue Whales\" by the organizers: offensive name"
        )]
    );
    // The organizer's rename leaves the team its own one change; then 409.
    let own = |n: &str| {
        client::post(
            "/api/team/name",
            Some(&game.team_b),
            Some(&json!({ "name": n })),
        )
    };
    assert_eq!(send(&app, own("Whales")).await.status, StatusCode::OK);
    assert_eq!(send(&app, own("Orcas")).await.status, StatusCode::CONFLICT);
    // And the organizer may rename it again.
    let again = send(
        &app,
        rename(TEAM_B, json!({"name": "Orcas", "reason": "asked nicely"})),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK);
}
