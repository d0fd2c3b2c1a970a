//! Every route against every kind of caller: no token, team A, team B, the admin.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use scoreboard::web::app;
use serde_json::{Value, json};

use super::client::{self, head, send};
use super::util::{B_SECRET, Game, TEAM_A, TEAM_B};

#[derive(Clone, Copy, Debug)]
enum Who {
    Nobody,
    A,
    B,
    Admin,
}

const EVERYONE: [Who; 4] = [Who::Nobody, Who::A, Who::B, Who::Admin];

fn token(game: &Game, who: Who) -> Option<&str> {
    match who {
        Who::Nobody => None,
        Who::A => Some(&game.team_a),
        Who::B => Some(&game.team_b),
        Who::Admin => Some(&game.admin),
    }
}

/// A route and the status each caller gets, in the order of [`EVERYONE`].
struct Case {
    method: &'static str,
    uri: &'static str,
    body: Option<Value>,
    expect: [u16; 4],
    /// Streams never end: check the head only.
    stream: bool,
}

fn case(method: &'static str, uri: &'static str, expect: [u16; 4]) -> Case {
    Case {
        method,
        uri,
        body: None,
        expect,
        stream: false,
    }
}

fn cases() -> Vec<Case> {
    let with = |mut c: Case, body: Value| {
        c.body = Some(body);
        c
    };
    let stream = |mut c: Case| {
        c.stream = true;
        c
    };
    vec![
        // Public.
        case("GET", "/", [200, 200, 200, 200]),
        case("GET", "/api/board", [200, 200, 200, 200]),
        stream(case("GET", "/api/board/stream", [200, 200, 200, 200])),
        case("GET", "/metrics", [200, 200, 200, 200]),
        case("GET", "/assets/board.js", [200, 200, 200, 200]),
        // Pages: a sign-in form for no one, 403 for the wrong kind of token.
        case("GET", "/team", [200, 200, 200, 403]),
        case("GET", "/admin", [200, 403, 403, 200]),
        // A team's own; the admin must name a team.
        case("GET", "/api/team", [401, 200, 200, 422]),
        case("GET", "/api/team?team=team-a", [401, 200, 403, 200]),
        case("GET", "/api/team/events", [401, 200, 200, 422]),
        case("GET", "/api/team/events?team=team-b", [401, 403, 200, 200]),
        case("GET", "/api/team/events?team=nobody", [401, 403, 403, 404]),
        stream(case("GET", "/api/team/stream", [401, 200, 200, 422])),
        stream(case(
            "GET",
            "/api/team/stream?team=team-a",
            [401, 200, 403, 200],
        )),
        with(
            case("POST", "/api/team/url", [401, 200, 200, 422]),
            json!({"url": "http://203.0.113.7:8080"}),
        ),
        with(
            case("POST", "/api/team/url", [401, 403, 200, 200]),
            json!({"url": "http://203.0.113.8:8080", "team": "team-b"}),
        ),
        // The admin's.
        case("GET", "/api/admin/status", [401, 403, 403, 200]),
        stream(case("GET", "/api/admin/stream", [401, 403, 403, 200])),
        case("GET", "/api/export.csv", [401, 403, 403, 200]),
        case("GET", "/api/export.json", [401, 403, 403, 200]),
        case("POST", "/api/admin/pause", [401, 403, 403, 200]),
        case("POST", "/api/admin/resume", [401, 403, 403, 200]),
        case("POST", "/api/admin/freeze", [401, 403, 403, 200]),
        case("POST", "/api/admin/unfreeze", [401, 403, 403, 200]),
        with(
            case("POST", "/api/admin/announce", [401, 403, 403, 200]),
            json!({"text": "Lunch at noon"}),
        ),
        with(
            case("POST", "/api/admin/adjust", [401, 403, 403, 200]),
            json!({"team": "team-b", "points": "2.5", "reason": "helped another team"}),
        ),
        // Last: it replaces team B's token.
        case(
            "POST",
            "/api/admin/teams/team-b/token",
            [401, 403, 403, 200],
        ),
    ]
}

fn request(game: &Game, c: &Case, who: Who) -> Request<Body> {
    let token = token(game, who);
    match c.method {
        "GET" => client::get(c.uri, token),
        _ => client::post(c.uri, token, c.body.as_ref()),
    }
}

#[tokio::test]
async fn every_route_answers_each_caller_as_it_should() {
    let game = Game::start();
    let app = app(game.state.clone());
    let mut wrong = Vec::new();
    for c in cases() {
        for (who, want) in EVERYONE.iter().zip(c.expect) {
            let request = request(&game, &c, *who);
            let status = if c.stream {
                head(&app, request).await.0
            } else {
                let answer = send(&app, request).await;
                if let Some(token) = token(&game, *who) {
                    let echoed = answer.body.contains(token) && !c.uri.ends_with("/token");
                    assert!(
                        !echoed,
                        "{} {} echoed the token of {who:?}",
                        c.method, c.uri
                    );
                }
                answer.status
            };
            if status.as_u16() != want {
                wrong.push(format!(
                    "{} {} as {who:?}: {status}, want {want}",
                    c.method, c.uri
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Each control that passed reached the runner, once, in order.
    let seen = game.wait_for_controls(10).await;
    assert_eq!(
        seen,
        [
            "url team-a http://203.0.113.7:8080",
            "url team-b http://203.0.113.7:8080",
            "url team-b http://203.0.113.8:8080",
            "url team-b http://203.0.113.8:8080",
            "pause",
            "resume",
            "freeze",
            "unfreeze",
            "announce Lunch at noon",
            "adjust team-b 2500 admin helped another team",
        ]
    );
}

#[tokio::test]
async fn a_team_token_never_reads_another_teams_events() {
    let game = Game::start();
    let app = app(game.state.clone());
    let a = send(
        &app,
        client::get("/api/team/events?limit=500", Some(&game.team_a)),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let events = a.json()["events"].as_array().unwrap().clone();
    assert_eq!(events.len(), 13);
    assert!(a.body.contains("a answer 1"));
    assert!(!a.body.contains(B_SECRET));
    assert!(!a.body.contains(TEAM_B));

    let page = send(&app, client::get_with_cookie("/team", &game.team_a)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("a answer 9"));
    assert!(page.body.contains(TEAM_A));
    assert!(!page.body.contains(B_SECRET));

    let b = send(&app, client::get("/api/team/events", Some(&game.team_b))).await;
    assert_eq!(b.json()["events"][0]["reason"], B_SECRET);
    assert!(!b.body.contains("a answer"));
    let sneaky = send(
        &app,
        client::get("/api/team/events?team=team-b", Some(&game.team_a)),
    )
    .await;
    assert_eq!(sneaky.status, StatusCode::FORBIDDEN);
    assert!(!sneaky.body.contains(B_SECRET));
}

#[tokio::test]
async fn an_error_never_echoes_the_token_sent() {
    let game = Game::start();
    let limit = std::time::Duration::from_secs(60);
    let app = app(game.state.clone().sign_in_limit(100, limit));
    let fake = "fake-token-9f8e7d6c5b4a";
    let answers = [
        send(&app, client::get("/api/team", Some(fake))).await,
        send(&app, client::get_with_cookie("/api/admin/status", fake)).await,
        send(&app, client::get_with_cookie("/team", fake)).await,
        send(&app, client::get_with_cookie("/admin", fake)).await,
        send(&app, client::sign_in("/team/signin", fake)).await,
    ];
    for answer in &answers {
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
        assert!(!answer.body.contains(fake), "echoed: {}", answer.body);
        assert!(!format!("{:?}", answer.headers).contains(fake));
    }
    // A real token of the wrong kind is not echoed either.
    let team_on_admin = send(
        &app,
        client::post("/api/admin/pause", Some(&game.team_a), None),
    )
    .await;
    assert_eq!(team_on_admin.status, StatusCode::FORBIDDEN);
    assert!(!team_on_admin.body.contains(&game.team_a));
    let garbage = send(
        &app,
        client::post(
            "/api/admin/adjust",
            Some(&game.admin),
            Some(&json!({"team": fake})),
        ),
    )
    .await;
    assert_eq!(garbage.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!garbage.body.contains(fake));
    assert!(!garbage.body.contains(&game.admin));
}

/// A break noted with `tell = true` is on its team's page and `GET /api/team`, in the
/// team's words; the other team reads nothing of it.
#[tokio::test]
async fn a_told_break_is_read_by_its_team_alone() {
    use scoreboard_domain::breaks::{AskedBy, BreakAction, BreakOutcome, BreakRecord};
    use scoreboard_domain::{GameProjection, GameTime, Note, NoteKind};

    let game = Game::start();
    let mut projection =
        GameProjection::new(&[TEAM_A.into(), TEAM_B.into()], Default::default(), None);
    for (team, tell) in [(TEAM_A, true), (TEAM_B, false)] {
        let record = BreakRecord {
            id: format!("break-5000-0-{team}"),
            action: BreakAction::ClosePort,
            asked_by: AskedBy::Timeline,
            tell,
            restore_at: None,
            outcome: BreakOutcome::Done {
                what: "revoked tcp 80 from 0.0.0.0/0 on sg-1".into(),
                record: json!({ "group_id": "sg-1" }),
            },
        };
        projection.apply_note(&Note {
            id: record.id.clone(),
            at: GameTime(5_000),
            kind: NoteKind::Break,
            team: Some(team.into()),
            text: record.to_text(),
        });
    }
    game.publish(|s| {
        for row in &mut s.teams {
            row.endpoint = projection.endpoint(&row.team).unwrap().clone();
        }
        s.breaks = std::sync::Arc::new(projection.breaks().to_vec());
    });
    let app = app(game.state.clone());
    let a = send(&app, client::get("/api/team", Some(&game.team_a))).await;
    let told = a.json()["endpoint"]["told"].clone();
    assert_eq!(told.as_array().map(Vec::len), Some(1), "{}", a.body);
    assert!(
        told[0]["text"]
            .as_str()
            .unwrap()
            .contains("security groups"),
        "{told}"
    );
    let page = send(&app, client::get_with_cookie("/team", &game.team_a)).await;
    assert!(
        page.body.contains("security groups"),
        "not on the team's page"
    );
    let b = send(&app, client::get("/api/team", Some(&game.team_b))).await;
    assert_eq!(b.json()["endpoint"]["told"], json!([]), "{}", b.body);
    let page = send(&app, client::get_with_cookie("/team", &game.team_b)).await;
    assert!(
        !page.body.contains("security groups"),
        "an untold break on a team's page"
    );

    // The organizer reads both, told or not, with what was there before.
    let admin = send(&app, client::get("/api/admin/status", Some(&game.admin))).await;
    let breaks = admin.json()["breaks"].clone();
    assert_eq!(breaks.as_array().map(Vec::len), Some(2), "{}", admin.body);
    assert_eq!(breaks[1]["team"], TEAM_B);
    assert_eq!(breaks[1]["tell"], false);
    assert_eq!(breaks[1]["outcome"]["record"]["group_id"], "sg-1");
    let page = send(&app, client::get_with_cookie("/admin", &game.admin)).await;
    assert!(
        page.body.contains("id=\"breaks\""),
        "no breaks on the admin page"
    );
    assert!(page.body.contains("break close_port"), "{}", page.body);
    let board = send(&app, client::get("/api/board", None)).await;
    assert!(
        !board.body.contains("close_port"),
        "a break on the public board"
    );
}

/// A long game's breaks: `GET /api/admin/status` lists every one; the admin page and its
/// stream carry the latest 50 and say how many earlier ones they leave out, so a frame does
/// not grow with the game's history.
#[tokio::test]
async fn the_admin_page_shows_the_latest_breaks_and_the_api_every_one() {
    use scoreboard_domain::GameTime;
    use scoreboard_domain::breaks::{AskedBy, BreakAction, BreakNote, BreakOutcome, BreakRecord};

    let game = Game::start();
    let notes: Vec<BreakNote> = (0..53u64)
        .map(|i| BreakNote {
            at: GameTime(1_000 * (i + 1)),
            team: TEAM_A.into(),
            restore: false,
            record: BreakRecord {
                id: format!("break-{i}"),
                action: BreakAction::ClosePort,
                asked_by: AskedBy::Organizer,
                tell: false,
                restore_at: None,
                outcome: BreakOutcome::Failed {
                    reason: format!("reason #{i}#"),
                },
            },
        })
        .collect();
    game.publish(|s| s.breaks = std::sync::Arc::new(notes));
    let app = app(game.state.clone());

    let all = send(&app, client::get("/api/admin/status", Some(&game.admin))).await;
    let all = all.json();
    assert_eq!(all["breaks"].as_array().map(Vec::len), Some(53));
    assert!(
        all.get("breaks_earlier").is_none(),
        "{}",
        all["breaks_earlier"]
    );

    let page = send(&app, client::get_with_cookie("/admin", &game.admin)).await;
    assert!(
        page.body.contains("reason #52#"),
        "the latest break is missing"
    );
    assert!(
        page.body.contains("reason #3#"),
        "the 50th latest is missing"
    );
    assert!(
        !page.body.contains("reason #2#"),
        "an earlier break is on the page"
    );
    assert!(
        page.body
            .contains("<span id=\"breaks-earlier-count\">3</span> earlier ones"),
        "the page does not say how many it leaves out"
    );
    assert!(
        page.body.contains("<td class=\"bad\">failed: reason #52#"),
        "{}",
        page.body
    );
}
