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

#[tokio::test]
async fn invisible_characters_and_look_alikes_are_refused_without_using_the_change() {
    let game = Game::start();
    let app = app(game.state.clone());
    let name = |token: &str, name: &str| {
        client::post(
            "/api/team/name",
            Some(token),
            Some(&json!({ "name": name })),
        )
    };
    let ok = send(&app, name(&game.team_a, "Blue Whales")).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);

    for (asked, words) in [
        // A right-to-left override: "Blue Whales" reversed in the middle on the board.
        ("Blue \u{202E}selahW", "text-direction control (U+202E)"),
        ("Blue\u{200B} Whales", "zero-width character (U+200B)"),
        ("\u{FEFF}Owls", "zero-width character (U+FEFF)"),
        // Look-alikes of team A's name (Cyrillic а and В) and of team A's id (Cyrillic е).
        ("Blue Whаles", "already called \"Blue Whales\""),
        ("ВLUE WHALES", "already called \"Blue Whales\""),
        ("tеam-a", "already called \"team-a\""),
    ] {
        let refused = send(&app, name(&game.team_b, asked)).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{asked:?}: {}",
            refused.body
        );
        let error = refused.json()["error"].as_str().unwrap().to_owned();
        assert!(error.contains(words), "{asked:?}: {error}");
    }
    // None of those refusals used team B's one change.
    let good = send(&app, name(&game.team_b, "Night Owls")).await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.body);
    assert_eq!(good.json()["name"], "Night Owls");
    let again = send(&app, name(&game.team_b, "Day Owls")).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_team_page_drops_the_name_form_once_the_team_has_named_itself() {
    let game = Game::start();
    let app = app(game.state.clone());
    let page = || client::get_with_cookie("/team", &game.team_a);
    let before = send(&app, page()).await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(before.body.contains("id=\"name-form\""), "{}", before.body);
    assert!(!before.body.contains("id=\"name-done\""));

    // An organizer's rename leaves the team its change: the form stays.
    let rename = client::post(
        &format!("/api/admin/teams/{TEAM_A}/name"),
        Some(&game.admin),
        Some(&json!({"name": "Owls", "reason": "a typo in the scenario"})),
    );
    assert_eq!(send(&app, rename).await.status, StatusCode::OK);
    assert!(send(&app, page()).await.body.contains("id=\"name-form\""));

    let named = client::post(
        "/api/team/name",
        Some(&game.team_a),
        Some(&json!({ "name": "Night <Owls>" })),
    );
    assert_eq!(send(&app, named).await.status, StatusCode::OK);
    game.publish(|_| {});
    let after = send(&app, page()).await;
    assert_eq!(after.status, StatusCode::OK);
    assert!(!after.body.contains("id=\"name-form\""), "{}", after.body);
    let done = after
        .body
        .split("<p id=\"name-done\">")
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .unwrap_or_else(|| panic!("no name-done paragraph: {}", after.body));
    assert_eq!(
        done,
        "You are <b>Night &lt;Owls&gt;</b>. A team names itself once: to change your name, \
         ask the organizers."
    );
    // Team B has not named itself: its page still offers the form.
    let b = send(&app, client::get_with_cookie("/team", &game.team_b)).await;
    assert!(b.body.contains("id=\"name-form\""));
}
