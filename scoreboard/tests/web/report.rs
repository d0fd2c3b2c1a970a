//! `/report` and the chart data: the public get the table and the race (as of the freeze
//! while the board is frozen), the organizer everything; `/api/board/race` and
//! `/api/team/health` answer from the same kept projection.

use axum::http::StatusCode;
use scoreboard::live::Announcement;
use scoreboard::web::app;
use scoreboard_domain::projection::{ChartWindow, Charts};
use scoreboard_domain::{GameTime, Points, Rules};
use scoreboard_ledger::prelude::*;
use scoreboard_ledger::{ClockEvent, Note, NoteKind};
use scoreboard_ledger::{GameMeta, SqliteLedger};

use crate::client::{self, send};
use crate::util::{Game, TEAM_A, TEAM_B};

/// The util game's ledger, made a game of its two teams (its history stays).
fn with_meta(game: &Game) {
    let mut ledger = SqliteLedger::open_existing(&game.ledger).unwrap();
    let meta = GameMeta {
        name: "Demo Day".into(),
        seed: 1,
        rules: Rules::default(),
        teams: vec![TEAM_A.into(), TEAM_B.into()],
        registering: Vec::new(),
        duration_ms: 0,
    };
    ledger.start_or_resume(&meta, 0).unwrap();
}

#[tokio::test]
async fn the_public_report_is_the_table_and_the_race_and_stops_at_the_freeze() {
    let game = Game::start();
    let app = app(game.state.clone());
    let none = send(&app, client::get("/report", None)).await;
    assert_eq!(
        none.status,
        StatusCode::NOT_FOUND,
        "no game in the ledger yet"
    );
    with_meta(&game);
    // The ledger's pauses are marked on the charts, a hover title saying which.
    let mut ledger = SqliteLedger::open_existing(&game.ledger).unwrap();
    let paused = ClockEvent {
        at: GameTime(20_000),
        unix_ms: 1_000,
        paused: true,
    };
    let resumed = ClockEvent {
        unix_ms: 9_000,
        paused: false,
        ..paused
    };
    ledger.set_pauses(8_000, None, &[paused, resumed]).unwrap();
    // So are its announcements and URL changes; the live game's copy of an announcement
    // (in its snapshot) is not marked again.
    let said = "Phase 2: the load doubles";
    let notes = [
        Note {
            id: "timeline-30000-0".into(),
            at: GameTime(30_000),
            kind: NoteKind::Announcement,
            team: None,
            text: said.into(),
        },
        Note {
            id: "r1-n1-5".into(),
            at: GameTime(40_000),
            kind: NoteKind::UrlChange,
            team: Some(TEAM_B.into()),
            text: "http://10.0.0.9:8080/".into(),
        },
    ];
    ledger.record_notes(&notes).unwrap();
    game.publish(|s| {
        s.announcements.push(Announcement {
            at: GameTime(30_000),
            text: said.into(),
        });
    });

    let public = send(&app, client::get("/report", None)).await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(public.body.matches("<svg").count(), 1);
    assert!(!public.body.contains("Fairness") && !public.body.contains("a answer"));
    for external in ["src=", "href=", "<script"] {
        assert!(!public.body.contains(external), "{external}");
    }
    let admin = Some(game.admin.as_str());
    let full = send(&app, client::get("/report", admin)).await;
    assert_eq!(full.body.matches("<svg").count(), 1 + 2 * 4);
    assert!(full.body.contains("Fairness") && full.body.contains("Where points were lost"));
    assert!(
        full.body.contains("game paused") && full.body.contains("game resumed"),
        "no pause markers"
    );
    // Once in the timeline, and once on each chart it concerns: the race and every team's
    // four for the announcement, team B's four for its new URL.
    let row = format!("<td>announcement</td><td></td><td>{said}</td>");
    assert_eq!(full.body.matches(&row).count(), 1, "{}", full.body);
    assert_eq!(
        full.body
            .matches(&format!("announcement: {said}</title>"))
            .count(),
        1 + 2 * 4
    );
    let moved = "now answers at http://10.0.0.9:8080/";
    assert_eq!(full.body.matches(&format!("<td>{moved}</td>")).count(), 1);
    assert_eq!(
        full.body.matches(&format!("url: {moved}</title>")).count(),
        4
    );
    // The public see the announcement, not the URL.
    assert_eq!(public.body.matches(&row).count(), 1);
    assert!(!public.body.contains(moved));
    // A team's token is no organizer's.
    let team = send(&app, client::get("/report", Some(&game.team_a))).await;
    assert_eq!(team.body.matches("<svg").count(), 1);

    // Frozen at 50 s: the public see the game as it stood then.
    game.publish(|s| {
        s.frozen = Some(GameTime(50_000));
        s.public = s.teams.clone();
        for t in &mut s.public {
            t.charts = Charts::drawn(ChartWindow {
                score: vec![(GameTime(50_000), Points(0))].into(),
                p99: Default::default(),
            });
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let frozen = send(&app, client::get("/report", None)).await;
    assert!(
        frozen.body.contains("as it stood at the freeze"),
        "{}",
        frozen.body
    );
    assert!(frozen.body.contains("Game time 00:50"));
    let race = send(&app, client::get("/api/board/race?top=1", None))
        .await
        .json();
    assert_eq!(race["teams"].as_array().unwrap().len(), 1);
    assert_eq!(race["of"], 2);
    // Team B's only event (+2 at 50 s) counts; team A's events until 50 s make 5.
    assert_eq!(race["teams"][0]["team"], TEAM_A);
    assert_eq!(race["t"].as_array().unwrap().last().unwrap(), 50.0);
    let organizer = send(&app, client::get("/report", admin)).await;
    assert!(!organizer.body.contains("as it stood at the freeze"));
}

#[tokio::test]
async fn chart_data_is_the_callers_own_and_its_queries_are_checked() {
    let game = Game::start();
    with_meta(&game);
    let app = app(game.state.clone());
    let mine = send(
        &app,
        client::get("/api/team/health?window=all", Some(&game.team_a)),
    )
    .await;
    assert_eq!(mine.status, StatusCode::OK);
    let h = mine.json();
    assert_eq!(h["team"], TEAM_A);
    assert!(h["t"].as_array().unwrap().len() > 10);
    let last_score = h["score"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .as_f64()
        .unwrap();
    assert!((last_score - 10.25).abs() < 1e-9, "{last_score}");
    let other = send(
        &app,
        client::get(
            &format!("/api/team/health?team={TEAM_B}"),
            Some(&game.team_a),
        ),
    )
    .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    let admin = send(
        &app,
        client::get(
            &format!("/api/team/health?team={TEAM_B}&window=10m"),
            Some(&game.admin),
        ),
    )
    .await;
    assert_eq!(admin.status, StatusCode::OK);
    assert_eq!(admin.json()["window"], "10m");
    let nobody = send(&app, client::get("/api/team/health", None)).await;
    assert_eq!(nobody.status, StatusCode::UNAUTHORIZED);
    for bad in ["/api/board/race?top=0", "/api/board/race?top=many"] {
        assert_eq!(
            send(&app, client::get(bad, None)).await.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}"
        );
    }
    let bad = send(
        &app,
        client::get("/api/team/health?window=1h", Some(&game.team_a)),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let all = send(&app, client::get("/api/board/race?top=all", None))
        .await
        .json();
    assert_eq!(all["teams"].as_array().unwrap().len(), 2);
}

/// Where the game runs in this process, the charts read its own projection, handed over at
/// its next publish (here every 20 ms), not a second one read from the ledger: one history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_charts_read_the_projection_the_game_hands_over() {
    use scoreboard_domain::{Cents, GameProjection, ScoreEvent, Source};
    let game = Game::start();
    with_meta(&game);
    let app = app(game.state.clone());
    // The game's projection: team B won 7 points at 5 s (the ledger says nothing of it,
    // and holds team A's 10.25, which this projection has not seen).
    let mut projection = GameProjection::new(&[TEAM_A.into(), TEAM_B.into()], Cents(800), None);
    projection.apply_event(&ScoreEvent {
        at: GameTime(5_000),
        team: TEAM_B.into(),
        source: Source::Organizer,
        points: Points::whole(7),
        reason: "handed over".into(),
        kind: scoreboard_domain::EventKind::Organizer,
        count: 1,
        cause: "adj-1".into(),
        seq: 0,
    });
    projection.now = GameTime(6_000);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let runner = {
        let (publisher, stop) = (game.publisher.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                publisher.hand_over(&projection);
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        })
    };
    let last_score = |team: &str| {
        let path = format!("/api/team/health?team={team}&window=all");
        let (app, admin) = (app.clone(), game.admin.clone());
        async move {
            let h = send(&app, client::get(&path, Some(&admin))).await.json();
            h["score"]
                .as_array()
                .unwrap()
                .last()
                .unwrap()
                .as_f64()
                .unwrap()
        }
    };
    // The first hand-over comes with the thread's first turn (later on a busy machine): the
    // ledger never says 7 for team B, so 7 is the projection's.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while last_score(TEAM_B).await != 7.0 {
        assert!(std::time::Instant::now() < deadline, "never handed over");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(last_score(TEAM_A).await, 0.0, "not the ledger's 10.25");
    let race = send(&app, client::get("/api/board/race?top=1", None))
        .await
        .json();
    assert_eq!(race["teams"][0]["team"], TEAM_B);
    let report = send(&app, client::get("/report", Some(&game.admin))).await;
    assert!(
        report.body.contains("handed over"),
        "the organizer's marker"
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    runner.join().unwrap();
}
