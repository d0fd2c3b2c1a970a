//! The web scoreboard in a real browser: headless Chromium driven through chromedriver.
//! The board changes without a reload, a team signs in and sees its events, and an admin's
//! adjustment made on the admin page shows up live on the team's page. A 100-team game's
//! score race draws its top ten, then every team on demand, readable and without an error in
//! the browser's console. Screenshots of the
//! three pages go to `docs/` with `GAMEDAY_SCREENSHOTS=1` (a temporary folder otherwise).
//!
//! Needs Debian's `chromium` and `chromium-driver` (CI installs them): without them this test
//! fails and says so, rather than passing without having looked.

#![cfg(feature = "web")]

#[path = "support/browser.rs"]
mod browser;
#[path = "web/util.rs"]
mod util;

#[path = "web_browser/slips.rs"]
mod slips;

use std::time::Duration;

use browser::{
    Driver, INSTALL, browser, console_errors, docs, find, screenshot, sign_in, wait_live, wait_text,
};
use fantoccini::{Client, Locator};
use scoreboard::live::Announcement;
use scoreboard_domain::Points;
use serde_json::json;
use tokio::sync::oneshot;
use util::{Game, TEAM_A, row};

/// A fuller room for the pictures: five teams, a couple of announcements.
fn dress(game: &Game) {
    game.publish(|s| {
        s.teams.push(row(0, "red-pandas", 268_250));
        s.teams.push(row(0, "blue-whales", 198_000));
        s.teams.push(row(0, "night-owls", -12_500));
        s.announcements.push(Announcement {
            at: scoreboard_domain::GameTime(720_000),
            text: "Phase 3 starts at 15:00: the load doubles".into(),
        });
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_sees_the_board_the_team_page_and_an_admin_adjustment() {
    let chromium = find("CHROME", &["chromium", "chromium-browser", "google-chrome"])
        .unwrap_or_else(|| panic!("no chromium found: {INSTALL}"));
    let chromedriver = find("CHROMEDRIVER", &["chromedriver"])
        .unwrap_or_else(|| panic!("no chromedriver found: {INSTALL}"));

    let game = Game::start();
    dress(&game);
    let hooks = scoreboard::notify::Health::default();
    hooks.lock().unwrap().push(scoreboard::notify::HookHealth {
        label: "discord webhook at discord.com".into(),
        ..Default::default()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(scoreboard::web::serve(
        listener,
        game.state.clone().hooks(hooks.clone()),
        async {
            let _ = stopped.await;
        },
    ));
    let driver = Driver::start(&chromedriver);
    let board = browser(&driver, &chromium).await;
    let team = browser(&driver, &chromium).await;
    let admin = browser(&driver, &chromium).await;

    // The public board changes without a reload.
    board.goto(&format!("{base}/")).await.unwrap();
    wait_text(&board, "#board", "+412.5").await;
    wait_live(&board).await;
    board
        .execute("window.notReloaded = true;", vec![])
        .await
        .unwrap();
    game.publish(|s| s.teams[1].score = Points(455_750));
    let text = wait_text(&board, "#board", "+455.75").await;
    assert!(
        text.find("team-b").unwrap() < text.find("team-a").unwrap(),
        "team-b leads:\n{text}"
    );
    let kept = board
        .execute("return window.notReloaded === true;", vec![])
        .await
        .unwrap();
    assert_eq!(kept, json!(true), "the page reloaded");
    screenshot(&board, "web-board.png", 800).await;

    // A team signs in and sees its own events.
    sign_in(&team, &base, "/team", &game.team_a).await;
    wait_text(&team, "#events", "a answer 9").await;
    wait_live(&team).await;
    let events = wait_text(&team, "#events", "a tick part 2").await;
    assert!(!events.contains(util::B_SECRET));
    assert_eq!(team.current_url().await.unwrap().path(), "/team");

    // The admin adjusts team A on the admin page; the team's page shows it live.
    sign_in(&admin, &base, "/admin", &game.admin).await;
    wait_live(&admin).await;
    admin
        .find(Locator::Id("adjust-team"))
        .await
        .unwrap()
        .select_by_value(TEAM_A)
        .await
        .unwrap();
    admin
        .find(Locator::Id("points"))
        .await
        .unwrap()
        .send_keys("5")
        .await
        .unwrap();
    let reason = "Fixed the shared load balancer for everyone";
    admin
        .find(Locator::Id("reason"))
        .await
        .unwrap()
        .send_keys(reason)
        .await
        .unwrap();
    admin
        .find(Locator::Css("#adjust button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&admin, "#result", "Adjusted team-a by +5").await;
    wait_text(&admin, "#teams", "+417.5").await;
    screenshot(&admin, "web-admin.png", 1250).await;
    assert_eq!(
        game.controls(),
        [format!("adjust team-a 5000 admin {reason}")]
    );

    admin_sees_a_failed_break_live(&game, &admin).await;
    wait_text(&admin, "#hook-rows", "ok").await;
    hooks.lock().unwrap()[0].failing_since_unix_ms = Some(1_765_000_000_000);
    hooks.lock().unwrap()[0].last_error = Some("connection refused".into());
    game.publish(|_| {});
    let hook = wait_text(&admin, "#hook-rows", "connection refused").await;
    assert!(hook.contains("failing since 05:46:40 UTC"), "{hook}");

    let events = wait_text(&team, "#events", reason).await;
    assert!(events.contains("Organizer"), "{events}");
    wait_text(&team, "#score", "+417.5").await;
    screenshot(&team, "web-team.png", 1300).await;

    for client in [board, team, admin] {
        client.close().await.unwrap();
    }
    drop(driver);
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server did not shut down")
        .unwrap()
        .unwrap();
}

/// A break the game notes shows in the admin page's Breaks table without a reload: a failed
/// one in red, with AWS's reason.
async fn admin_sees_a_failed_break_live(game: &Game, admin: &Client) {
    use scoreboard_domain::breaks::{AskedBy, BreakAction, BreakNote, BreakOutcome, BreakRecord};
    admin
        .execute("window.notReloaded = true;", vec![])
        .await
        .unwrap();
    let reason = "UnauthorizedOperation: the role may not call ec2:RevokeSecurityGroupIngress";
    game.publish(|s| {
        std::sync::Arc::make_mut(&mut s.breaks).push(BreakNote {
            at: scoreboard_domain::GameTime(61_000),
            team: TEAM_A.into(),
            restore: false,
            record: BreakRecord {
                id: "break-61000-0-team-a".into(),
                action: BreakAction::ClosePort,
                asked_by: AskedBy::Organizer,
                tell: false,
                restore_at: None,
                outcome: BreakOutcome::Failed {
                    reason: reason.into(),
                },
            },
        })
    });
    let rows = wait_text(admin, "#break-rows", reason).await;
    assert!(rows.contains("break close_port"), "{rows}");
    let drawn = admin
        .execute(
            "return [window.notReloaded === true, \
              document.querySelector('#break-rows td.bad') !== null, \
              document.getElementById('no-breaks').hidden];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        drawn,
        json!([true, true, true]),
        "not reloaded, in red, 'no break' hidden"
    );
}

/// A played game in a real ledger for the charts: its teams, `ticks` one-second ticks of
/// outcomes (team `tN` answers N+1 a second correctly and, from tick 20, times out once),
/// scored by the real scorer, a billing block each.
fn play_ticks(
    ledger: &mut scoreboard_ledger::SqliteLedger,
    teams: &[String],
    ticks: std::ops::Range<u64>,
) {
    use hashref::{Key, unicorn_hash};
    use loadgen::{BatchId, Outcome, OutcomeBatch};
    use scoreboard_domain::{BillingBlock, GameTime, Rules, Scorer};
    use scoreboard_ledger::prelude::*;
    use scoreboard_ledger::{Recorded, RecordedBatch};
    let scorer = Scorer::new(Rules::default()).unwrap();
    let mut items = Vec::new();
    for tick in ticks {
        for (i, team) in teams.iter().enumerate() {
            let id = BatchId {
                run: 1,
                worker: 0,
                target: i as u32,
                tick,
            };
            let mut b = OutcomeBatch::new(id, team.as_str().into());
            let lat = Duration::from_millis(20 + 10 * i as u64);
            for j in 0..=i as u16 {
                let key = Key::from_groups([i as u16, tick as u16, j]);
                b.record(
                    Outcome::Correct,
                    key,
                    unicorn_hash(key.as_str(), "s", 1),
                    Some((lat, lat)),
                );
                b.sends += 1;
            }
            if tick >= 20 {
                let key = Key::from_groups([i as u16, tick as u16, 999]);
                b.record(
                    Outcome::Timeout,
                    key,
                    unicorn_hash(key.as_str(), "s", 1),
                    None,
                );
                b.sends += 1;
            }
            let at = GameTime((tick + 1) * 1000);
            items.push(Recorded::Batch(Box::new(RecordedBatch { at, batch: b })));
            if tick == 0 {
                items.push(Recorded::Block(BillingBlock {
                    team: team.clone(),
                    instance: format!("i-{i}"),
                    instance_type: "t2.micro".into(),
                    block: 1,
                    anchor: GameTime(0),
                    at: GameTime(0),
                }));
            }
        }
    }
    let with: Vec<_> = items
        .into_iter()
        .map(|r| {
            let e = scorer.events(&r);
            (r, e)
        })
        .collect();
    ledger.record(&with).unwrap();
}

/// Runs `script` in the page until it returns `want`; gives what it returned last.
async fn wait_js(
    client: &Client,
    script: &str,
    want: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let mut last = serde_json::Value::Null;
    for _ in 0..150 {
        if let Ok(v) = client.execute(script, vec![]).await {
            if want(&v) {
                return v;
            }
            last = v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{script} never held; it gave {last}");
}

/// The board's race in a game of 100 teams: its top 10, then all of them on demand (named in
/// the legend by rank, taller, no wider than the window, no error in the console), then the
/// top 10 again. `race` is the script that reads what the race drew.
async fn race_of_a_hundred(board: &Client, driver: &Driver, race: &str) {
    wait_js(board, race, |v| *v == json!(["10", "31", 1, 10])).await;
    let top = |n: &'static str| async move {
        board
            .find(Locator::Id("race-top"))
            .await
            .unwrap()
            .select_by_value(n)
            .await
            .unwrap();
    };
    top("all").await;
    wait_js(board, race, |v| *v == json!(["100", "31", 1, 100])).await;
    // Readable: every team named in the legend by rank, the leader first, the chart taller
    // than the top ten's, and nothing wider than the window.
    let legend = board
        .execute(
            "const r = document.getElementById('race'); \
             const names = Array.from(r.querySelectorAll('.u-legend .u-series .u-label')) \
                 .map(s => s.textContent.trim()).filter(t => /^\\d+\\. t\\d+$/.test(t)); \
             return [names.length, names[0], names[99], r.querySelector('canvas').clientHeight, \
                     document.documentElement.scrollWidth <= window.innerWidth, \
                     r.scrollWidth <= r.clientWidth];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(legend[0], 100, "a legend entry for every team: {legend}");
    assert_eq!(legend[1], "1. t99", "{legend}");
    assert_eq!(legend[2], "100. t0", "{legend}");
    assert!(legend[3].as_u64().unwrap() >= 500, "{legend}");
    assert_eq!(
        (&legend[4], &legend[5]),
        (&json!(true), &json!(true)),
        "overflow: {legend}"
    );
    let errors = console_errors(board, driver).await;
    assert!(errors.is_empty(), "the board's console: {errors:?}");
    screenshot(board, "web-board-race-all.png", 1700).await;
    top("10").await;
    wait_js(board, race, |v| *v == json!(["10", "31", 1, 10])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_race_and_the_team_health_charts_draw_and_follow_the_game() {
    use scoreboard::live::LivePublisher;
    use scoreboard_domain::Rules;
    use scoreboard_ledger::prelude::*;
    use scoreboard_ledger::{GameMeta, SqliteLedger};
    let chromium = find("CHROME", &["chromium", "chromium-browser", "google-chrome"])
        .expect("no chromium found: apt-get install -y chromium chromium-driver");
    let chromedriver = find("CHROMEDRIVER", &["chromedriver"])
        .expect("no chromedriver found: apt-get install -y chromium chromium-driver");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("game.db");
    // A hundred teams, as at a real game day: the race must stay readable.
    let teams: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
    let mut ledger = SqliteLedger::open(&path).unwrap();
    let meta = GameMeta {
        name: "charts".into(),
        seed: 1,
        rules: Rules::default(),
        teams: teams.clone(),
        registering: Vec::new(),
        duration_ms: 0,
    };
    ledger.start_or_resume(&meta, 0).unwrap();
    play_ticks(&mut ledger, &teams, 0..30);
    let (token, hash) = scoreboard_domain::tokens::generate().unwrap();
    ledger.store_token("t3", &hash, 1).unwrap();
    let publisher = LivePublisher::new(util::first_snapshot());
    let state = scoreboard::web::WebState::new(publisher.view(), path.clone(), util::url_check());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(scoreboard::web::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let driver = Driver::start(&chromedriver);
    let board = browser(&driver, &chromium).await;
    let team = browser(&driver, &chromium).await;

    // The race draws the top 10 of 100, then every team on demand.
    board.goto(&format!("{base}/")).await.unwrap();
    wait_live(&board).await;
    let race = "const r = document.getElementById('race'); \
                return [r.dataset.teams, r.dataset.points, r.querySelectorAll('canvas').length, \
                        r.querySelectorAll('.u-legend .u-series').length];";
    race_of_a_hundred(&board, &driver, race).await;

    // The team's health charts: six (three over ten minutes, three over the game).
    sign_in(&team, &base, "/team", &token).await;
    wait_live(&team).await;
    let health = "const h = document.getElementById('health'); \
                  return [h.dataset.recentPoints, h.dataset.gamePoints, h.querySelectorAll('canvas').length, \
                          Array.from(h.querySelectorAll('.u-legend .u-series')).map(s => s.textContent.trim()).join(',')];";
    let drawn = wait_js(&team, health, |v| v[0] == "31" && v[1] == "31" && v[2] == 6).await;
    assert!(drawn[3].as_str().unwrap().contains("timeout/s"), "{drawn}");
    assert!(drawn[3].as_str().unwrap().contains("p99"), "{drawn}");
    screenshot(&board, "web-board-race.png", 1300).await;

    // The game goes on: both pages redraw from their streams, without a reload.
    play_ticks(&mut ledger, &teams, 30..45);
    publisher.publish(scoreboard::live::Snapshot {
        now: scoreboard_domain::GameTime(45_000),
        ..util::first_snapshot()
    });
    wait_js(&board, race, |v| *v == json!(["10", "46", 1, 10])).await;
    for client in [&board, &team] {
        let errors = console_errors(client, &driver).await;
        assert!(errors.is_empty(), "the console: {errors:?}");
    }
    wait_js(&team, health, |v| v[0] == "46" && v[1] == "46").await;
    screenshot(&team, "web-team-health.png", 1500).await;

    for client in [board, team] {
        client.close().await.unwrap();
    }
    drop(driver);
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server did not shut down")
        .unwrap()
        .unwrap();
}
