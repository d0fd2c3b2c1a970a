//! What each route does: sign-in and its limit, cross-site refusal, the read-only replica,
//! adjustments, URL changes, new tokens, history paging, exports and metrics.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::connect_info::ConnectInfo;
use axum::http::{StatusCode, header};
use scoreboard::web::app;
use serde_json::json;

use super::client::{self, send};
use super::util::{B_SECRET, Game, TEAM_A, TEAM_B, event};

#[tokio::test]
async fn sign_in_sets_a_strict_http_only_cookie_and_sign_out_clears_it() {
    let game = Game::start();
    let app = app(game.state.clone());
    let team = send(&app, client::sign_in("/team/signin", &game.team_a)).await;
    assert_eq!(team.status, StatusCode::SEE_OTHER);
    assert_eq!(team.header(header::LOCATION), "/team");
    let cookie = team.header(header::SET_COOKIE);
    assert!(cookie.starts_with(&format!("gameday_token={};", game.team_a)));
    for part in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    // The admin token signs in at either door and lands on the admin page.
    let admin = send(&app, client::sign_in("/team/signin", &game.admin)).await;
    assert_eq!(admin.header(header::LOCATION), "/admin");

    let out = send(&app, client::post("/signout", None, None)).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out.header(header::SET_COOKIE).contains("Max-Age=0"));

    let wrong = send(&app, client::sign_in("/admin/signin", "not-a-token")).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("not valid"));
    assert!(wrong.body.contains("action=\"/admin/signin\""));
    assert!(wrong.header(header::SET_COOKIE).is_empty());
}

fn from(
    ip: [u8; 4],
    request: axum::http::Request<axum::body::Body>,
) -> axum::http::Request<axum::body::Body> {
    let mut request = request;
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((ip, 40000))));
    request
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_client() {
    let game = Game::start();
    let app = app(game.state.clone());
    let attacker = [198, 51, 100, 7];
    for _ in 0..5 {
        let answer = send(
            &app,
            from(attacker, client::sign_in("/team/signin", "guess")),
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    // The sixth try is refused, even with a real token, and so is the API.
    let limited = send(
        &app,
        from(attacker, client::sign_in("/team/signin", &game.team_a)),
    )
    .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.header(header::RETRY_AFTER), "60");
    let api = send(
        &app,
        from(attacker, client::get("/api/team", Some("guess"))),
    )
    .await;
    assert_eq!(api.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(api.json()["error"].as_str().unwrap().contains("too many"));
    // Another client is not held back.
    let other = send(
        &app,
        from(
            [198, 51, 100, 8],
            client::sign_in("/team/signin", &game.team_a),
        ),
    )
    .await;
    assert_eq!(other.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn without_client_addresses_one_bucket_limits_everyone() {
    let game = Game::start();
    let app = app(game.state.clone().sign_in_limit(2, Duration::from_secs(60)));
    for _ in 0..2 {
        let answer = send(&app, client::get("/api/team", Some("guess"))).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let answer = send(&app, client::get("/api/team", Some(&game.team_a))).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let game = Game::start();
    let app = app(game.state.clone());
    let with = |origin: &str, site: Option<&str>| {
        let mut request = client::post("/api/admin/pause", Some(&game.admin), None);
        let headers = request.headers_mut();
        headers.insert(header::HOST, "scores.example:8080".parse().unwrap());
        headers.insert(header::ORIGIN, origin.parse().unwrap());
        if let Some(site) = site {
            headers.insert("sec-fetch-site", site.parse().unwrap());
        }
        request
    };
    let evil = send(&app, with("http://evil.example", None)).await;
    assert_eq!(evil.status, StatusCode::FORBIDDEN);
    assert!(
        evil.json()["error"]
            .as_str()
            .unwrap()
            .contains("another site")
    );
    let fetch_meta = send(&app, with("http://scores.example:8080", Some("cross-site"))).await;
    assert_eq!(fetch_meta.status, StatusCode::FORBIDDEN);
    let mut form = client::sign_in("/team/signin", &game.team_a);
    form.headers_mut()
        .insert(header::ORIGIN, "http://evil.example".parse().unwrap());
    assert_eq!(send(&app, form).await.status, StatusCode::FORBIDDEN);
    assert!(game.controls().is_empty());

    let same = send(
        &app,
        with("http://scores.example:8080", Some("same-origin")),
    )
    .await;
    assert_eq!(same.status, StatusCode::OK);
    assert_eq!(game.wait_for_controls(1).await, ["pause"]);
    // A cross-site GET is fine: no GET changes anything.
    let mut read = client::get("/api/board", None);
    read.headers_mut()
        .insert(header::ORIGIN, "http://evil.example".parse().unwrap());
    assert_eq!(send(&app, read).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_read_only_replica_refuses_every_control() {
    let game = Game::start();
    let app = app(game.state.clone().read_only(true));
    let admin = Some(game.admin.as_str());
    let posts = [
        ("/api/admin/pause", None),
        ("/api/admin/freeze", None),
        ("/api/admin/announce", Some(json!({"text": "hi"}))),
        (
            "/api/admin/adjust",
            Some(json!({"team": TEAM_A, "points": "1", "reason": "x"})),
        ),
        ("/api/admin/teams/team-a/token", None),
    ];
    for (uri, body) in posts {
        let answer = send(&app, client::post(uri, admin, body.as_ref())).await;
        assert_eq!(answer.status, StatusCode::CONFLICT, "{uri}");
        assert!(
            answer.json()["error"]
                .as_str()
                .unwrap()
                .contains("read-only")
        );
    }
    let url = json!({"url": "http://203.0.113.9"});
    let answer = send(
        &app,
        client::post("/api/team/url", Some(&game.team_a), Some(&url)),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    // Still authenticated first: no token is 401, not 409.
    let answer = send(&app, client::post("/api/admin/pause", None, None)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    // Reading still works, and the old token still does.
    assert_eq!(
        send(&app, client::get("/api/admin/status", admin))
            .await
            .status,
        StatusCode::OK
    );
    let page = send(&app, client::get("/admin", admin)).await;
    assert!(page.body.contains("Read-only replica"));
    assert_eq!(
        send(&app, client::get("/api/team", Some(&game.team_a)))
            .await
            .status,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(game.controls().is_empty());
}

#[tokio::test]
async fn adjustments_take_decimal_points_and_reach_the_runner() {
    let game = Game::start();
    let app = app(game.state.clone());
    let admin = Some(game.admin.as_str());
    let adjust = |team: &str, points: serde_json::Value, reason: &str| {
        client::post(
            "/api/admin/adjust",
            admin,
            Some(&json!({"team": team, "points": points, "reason": reason})),
        )
    };
    let ok = send(
        &app,
        adjust(TEAM_A, json!("-2.5"), "rebooted the load balancer"),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.json()["points_milli"], -2500);
    let number = send(&app, adjust(TEAM_A, json!(0.125), "a number works too")).await;
    assert_eq!(number.status, StatusCode::OK, "{}", number.body);
    assert_eq!(
        game.wait_for_controls(2).await,
        [
            "adjust team-a -2500 admin rebooted the load balancer",
            "adjust team-a 125 admin a number works too"
        ]
    );
    // The recorded event is in team A's history.
    let events = send(
        &app,
        client::get("/api/team/events?source=Organizer", Some(&game.team_a)),
    )
    .await;
    assert_eq!(events.json()["events"][0]["reason"], "a number works too");
    assert_eq!(events.json()["events"][1]["points"], "-2.5");

    for (points, reason, want) in [
        (json!("1.2345"), "x", "three decimals"),
        (json!("2000000"), "x", "at most"),
        (json!("ten"), "x", "a number like"),
        (json!("0"), "x", "zero"),
        (json!("1"), "  ", "reason: must not be empty"),
    ] {
        let answer = send(&app, adjust(TEAM_A, points, reason)).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            answer.json()["error"].as_str().unwrap().contains(want),
            "{}",
            answer.body
        );
    }
    let unknown = send(&app, adjust("team-zz", json!("1"), "x")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let not_json = send(&app, client::post("/api/admin/adjust", admin, None)).await;
    assert_eq!(not_json.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(not_json.body.contains("Content-Type: application/json"));
    assert_eq!(game.controls().len(), 2);
}

#[tokio::test]
async fn breaks_and_restores_reach_the_runner_and_bad_ones_say_why() {
    let game = Game::start();
    let app = app(game.state.clone());
    let admin = Some(game.admin.as_str());
    let post = |path: &str, body: serde_json::Value| client::post(path, admin, Some(&body));
    let brk = |body| post("/api/admin/break", body);
    let ok = send(
        &app,
        brk(json!({"team": TEAM_A, "action": "close_port", "for": "10m", "tell": true})),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.json()["for_s"], 600);
    let every = send(&app, brk(json!({"team": "*", "action": "drop_route"}))).await;
    assert_eq!(every.status, StatusCode::OK, "{}", every.body);
    for (body, status, want) in [
        (
            json!({"team": TEAM_A, "action": "unplug"}),
            422,
            "expected a break action",
        ),
        (
            json!({"team": TEAM_A, "action": "close_port", "for": "later"}),
            422,
            "for: ",
        ),
        (
            json!({"team": TEAM_A, "action": "close_port", "for": "0s"}),
            422,
            "for: ",
        ),
        (
            json!({"team": "team-zz", "action": "close_port"}),
            404,
            "no such team",
        ),
    ] {
        let answer = send(&app, brk(body.clone())).await;
        assert_eq!(answer.status.as_u16(), status, "{body}: {}", answer.body);
        let error = answer.json()["error"].as_str().unwrap().to_owned();
        assert!(error.contains(want), "{body}: {error}");
    }
    let restore = send(&app, post("/api/admin/restore", json!({"team": TEAM_A}))).await;
    assert_eq!(restore.status, StatusCode::OK, "{}", restore.body);
    let all = send(&app, post("/api/admin/restore", json!({}))).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    // Nothing left: the game's refusal, as a conflict with its words.
    let nothing = send(&app, post("/api/admin/restore", json!({"team": "*"}))).await;
    assert_eq!(nothing.status, StatusCode::CONFLICT, "{}", nothing.body);
    assert!(nothing.body.contains("is broken now"), "{}", nothing.body);
    assert_eq!(
        game.wait_for_controls(4).await,
        [
            "break team-a close_port 600 true",
            "break * drop_route - false",
            "restore team-a",
            "restore *",
        ]
    );
    // The page has the form, every action, and every team to choose.
    let page = send(&app, client::get("/admin", admin)).await;
    assert!(page.body.contains("id=\"break\""), "{}", page.body);
    assert!(page.body.contains("<option value=\"detach_igw\">"));
    assert!(page.body.contains(&format!("<option value=\"{TEAM_A}\">")));
}

#[tokio::test]
async fn url_changes_pass_the_check_then_the_runner() {
    let game = Game::start();
    let app = app(game.state.clone());
    let set = |url: &str| {
        client::post(
            "/api/team/url",
            Some(&game.team_a),
            Some(&json!({"url": url})),
        )
    };
    let private = send(&app, set("http://private.internal:8080")).await;
    assert_eq!(private.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        private.json()["error"]
            .as_str()
            .unwrap()
            .contains("private")
    );
    let private_tls = send(&app, set("https://private.internal:8443")).await;
    assert_eq!(private_tls.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        private_tls.json()["error"]
            .as_str()
            .unwrap()
            .contains("private")
    );
    let refused = send(&app, set("http://refuse.example")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["error"], "the runner refuses this URL");
    let ok = send(&app, set(" http://203.0.113.20:80 ")).await;
    assert_eq!(ok.status, StatusCode::OK);
    let answer = ok.json();
    assert_eq!(
        (&answer["team"], &answer["url"]),
        (&json!(TEAM_A), &json!("http://203.0.113.20:80"))
    );
    // The answer carries what the runner's check of the new endpoint found.
    assert_eq!(answer["check"]["passed"], true, "{answer}");
    assert_eq!(
        answer["check"]["text"],
        "stand-in check of http://203.0.113.20:80"
    );
    assert_eq!(
        game.wait_for_controls(1).await,
        ["url team-a http://203.0.113.20:80"]
    );
    let me = send(&app, client::get("/api/team", Some(&game.team_a))).await;
    assert_eq!(me.json()["urls"], json!(["http://203.0.113.20:80"]));
    // A team behind a load balancer with a certificate hands in an https URL.
    let tls = send(&app, set("https://api.team-a.example:8443")).await;
    assert_eq!(tls.status, StatusCode::OK, "{}", tls.body);
    assert_eq!(
        game.wait_for_controls(2).await[1],
        "url team-a https://api.team-a.example:8443"
    );
}

#[tokio::test]
async fn a_check_asked_too_soon_is_429_with_the_wait() {
    let game = Game::start();
    let app = app(game.state.clone());
    let check = |token: Option<&str>| client::post("/api/team/check", token, None);
    let none = send(&app, check(None)).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    // The stand-in runner answers every check "too soon, 7 s".
    let soon = send(&app, check(Some(&game.team_a))).await;
    assert_eq!(soon.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(soon.header(header::RETRY_AFTER), "7");
    let error = soon.json()["error"].as_str().unwrap().to_owned();
    assert!(
        error.contains("at most once every 10 s: try again in 7 s"),
        "{error}"
    );
    assert_eq!(game.wait_for_controls(1).await, ["check team-a"]);
}

#[tokio::test]
async fn a_new_token_replaces_the_old_one() {
    let game = Game::start();
    let app = app(game.state.clone());
    let answer = send(
        &app,
        client::post("/api/admin/teams/team-a/token", Some(&game.admin), None),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header(header::CACHE_CONTROL), "no-store");
    let token = answer.json()["token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 43);
    assert_eq!(
        send(&app, client::get("/api/team", Some(&token)))
            .await
            .json()["team"],
        TEAM_A
    );
    let old = send(&app, client::get("/api/team", Some(&game.team_a))).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    // Unknown teams and the admin itself get none.
    for team in ["nobody", "%40admin"] {
        let uri = format!("/api/admin/teams/{team}/token");
        let answer = send(&app, client::post(&uri, Some(&game.admin), None)).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{team}");
    }
    let status = send(&app, client::get("/api/admin/status", Some(&game.admin)))
        .await
        .json();
    assert!(
        status["teams"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["has_token"] == true)
    );
}

#[tokio::test]
async fn history_pages_never_split_an_instant() {
    let game = Game::start();
    let app = app(game.state.clone());
    let mut seen = Vec::new();
    let mut before = String::new();
    let mut pages = 0;
    loop {
        let uri = format!("/api/team/events?limit=2{before}");
        let page = send(&app, client::get(&uri, Some(&game.team_a)))
            .await
            .json();
        pages += 1;
        for e in page["events"].as_array().unwrap() {
            seen.push((
                e["at_ms"].as_u64().unwrap(),
                e["reason"].as_str().unwrap().to_string(),
            ));
        }
        match page["next_before"].as_u64() {
            Some(next) => before = format!("&before={next}"),
            None => break,
        }
        assert!(pages < 20, "paging does not end");
    }
    assert_eq!(seen.len(), 13, "{seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0].0 >= w[1].0),
        "newest first: {seen:?}"
    );
    // The three events of one instant came together though the page holds two.
    assert_eq!(seen[0].0, 100_000);
    assert!(seen[..3].iter().all(|(at, _)| *at == 100_000));
    let mut reasons: Vec<_> = seen.iter().map(|(_, r)| r.clone()).collect();
    reasons.dedup();
    assert_eq!(reasons.len(), 13);

    let billing = send(
        &app,
        client::get("/api/team/events?source=billing", Some(&game.team_a)),
    )
    .await
    .json();
    assert_eq!(billing["events"].as_array().unwrap().len(), 1);
    assert_eq!(billing["events"][0]["points"], "-0.25");
    let bad = send(
        &app,
        client::get("/api/team/events?source=Nope", Some(&game.team_a)),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = send(
        &app,
        client::get("/api/team/events?limit=0", Some(&game.team_a)),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = send(
        &app,
        client::get("/api/team/events?before=yesterday", Some(&game.team_a)),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_newest_page_follows_each_snapshot_and_each_team() {
    let game = Game::start();
    let app = app(game.state.clone());
    let live = |team: &str, n: u64| {
        (0..n)
            .rev()
            .map(|i| {
                let reason = format!("live {team} {i}");
                event(
                    team,
                    700 + i,
                    scoreboard_domain::Source::Engine,
                    1,
                    &reason,
                    "c",
                    i as u32,
                )
            })
            .collect::<Vec<_>>()
    };
    let reasons = |page: &serde_json::Value| -> Vec<String> {
        page["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["reason"].as_str().unwrap().to_owned())
            .collect()
    };
    let set = |a: u64, b: u64| {
        game.publish(|s| {
            for t in &mut s.teams {
                let events = live(&t.team.clone(), if t.team == TEAM_A { a } else { b });
                t.recent = std::sync::Arc::new(events.into_iter().map(Into::into).collect());
                t.event_count = t.recent.len() as u64;
            }
        })
    };
    set(2, 1);
    let first = send(&app, client::get("/api/team/events", Some(&game.team_a))).await;
    let again = send(&app, client::get("/api/team/events", Some(&game.team_a))).await;
    assert_eq!(first.body, again.body, "one drawing per snapshot");
    assert_eq!(reasons(&first.json()), ["live team-a 1", "live team-a 0"]);
    let b = send(&app, client::get("/api/team/events", Some(&game.team_b)))
        .await
        .json();
    assert_eq!(
        reasons(&b),
        [format!("live {TEAM_B} 0")],
        "each team its own page"
    );
    // A new snapshot: the page drawn for the old one is not served again.
    set(3, 1);
    let after = send(&app, client::get("/api/team/events", Some(&game.team_a)))
        .await
        .json();
    assert_eq!(
        reasons(&after),
        ["live team-a 2", "live team-a 1", "live team-a 0"]
    );
    assert_eq!(after["team"], TEAM_A);
}

#[tokio::test]
async fn exports_and_metrics_come_from_the_snapshot() {
    let game = Game::start();
    let app = app(game.state.clone());
    let csv = send(&app, client::get("/api/export.csv", Some(&game.admin))).await;
    assert_eq!(csv.header(header::CONTENT_TYPE), "text/csv; charset=utf-8");
    assert_eq!(
        csv.body,
        "rank,team,name,score,correct,errors,cost\n1,team-a,team-a,412.5,40,2,1.25\n2,team-b,team-b,300,40,2,1.25\n"
    );
    let json = send(&app, client::get("/api/export.json", Some(&game.admin)))
        .await
        .json();
    assert_eq!(json[0]["team"], TEAM_A);
    assert_eq!(json[0]["score_milli"], 412_500);
    assert_eq!(json[1]["cost"], "1.25");

    let metrics = send(&app, client::get("/metrics", None)).await;
    assert!(
        metrics
            .header(header::CONTENT_TYPE)
            .starts_with("text/plain; version=0.0.4")
    );
    for line in [
        "gameday_team_score_points{team=\"team-a\",name=\"team-a\"} 412.5",
        "gameday_outcomes_total{team=\"team-b\",name=\"team-b\",kind=\"timeout\"} 2",
        "gameday_sends_total{team=\"team-a\",name=\"team-a\"} 42",
        "gameday_late_sends_total{team=\"team-a\",name=\"team-a\"} 1",
        "gameday_ledger_writes_total 17",
        "gameday_ledger_write_seconds_total 0.5",
    ] {
        assert!(
            metrics.body.lines().any(|l| l == line),
            "{line} missing:\n{}",
            metrics.body
        );
    }
    assert!(!metrics.body.contains(&game.admin) && !metrics.body.contains(&game.team_a));
}

#[tokio::test]
async fn the_board_shows_the_public_view_and_unknown_routes_are_404() {
    let game = Game::start();
    let app = app(game.state.clone());
    let page = send(&app, client::get("/", None)).await;
    assert!(page.body.contains("Welcome to the game"));
    assert!(page.body.contains("+412.5"));
    assert!(!page.body.contains("Scoreboard frozen"));
    assert_eq!(page.header(header::X_FRAME_OPTIONS), "DENY");
    assert!(
        page.header(header::CONTENT_SECURITY_POLICY)
            .contains("script-src 'self'")
    );
    // Frozen: the public board keeps the scores of the freeze.
    game.publish(|s| {
        s.frozen = Some(s.now);
        s.teams[1].score = scoreboard_domain::Points(999_000);
    });
    let page = send(&app, client::get("/", None)).await;
    assert!(page.body.contains("Scoreboard frozen"));
    assert!(!page.body.contains("+999"));
    let board = send(&app, client::get("/api/board", None)).await.json();
    assert_eq!(board["frozen"], true);
    assert_eq!(board["teams"][0]["score"], "+412.5");
    assert!(!board.to_string().contains(B_SECRET));

    let missing = send(&app, client::get("/api/nothing", None)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["error"], "no such page");
    let get_a_post = send(&app, client::get("/api/admin/pause", Some(&game.admin))).await;
    assert_eq!(get_a_post.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(game.controls().is_empty());
}
