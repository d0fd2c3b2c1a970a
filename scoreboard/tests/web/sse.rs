//! The live streams over a real socket: a raw HTTP client reads server-sent events while
//! the test publishes snapshots and score events; shutdown ends open streams.

use std::time::Duration;

use scoreboard::web::serve;
use scoreboard_domain::{Points, Source};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::util::{B_SECRET, Game, TEAM_A, TEAM_B, event};

/// A server on a free port, and the switch that stops it.
struct Server {
    addr: std::net::SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

async fn start(game: &Game) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, game.state.clone(), async {
        let _ = stopped.await;
    }));
    Server { addr, stop, task }
}

impl Server {
    /// Stops the server and checks it ends promptly, open streams or not.
    async fn stop(self) {
        self.stop.send(()).unwrap();
        let ended = tokio::time::timeout(Duration::from_secs(5), self.task).await;
        ended
            .expect("the server did not shut down")
            .unwrap()
            .unwrap();
    }
}

/// A raw HTTP/1.1 client reading one streamed response.
struct Reader {
    socket: TcpStream,
    seen: String,
}

impl Reader {
    async fn get(addr: std::net::SocketAddr, path: &str, token: Option<&str>) -> Reader {
        let socket = TcpStream::connect(addr).await.unwrap();
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n{auth}\r\n"
        );
        // Raw tokio socket calls: the crate's tokio has no io-util.
        let mut rest = request.as_bytes();
        while !rest.is_empty() {
            socket.writable().await.unwrap();
            match socket.try_write(rest) {
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("write: {e}"),
            }
        }
        Reader {
            socket,
            seen: String::new(),
        }
    }

    /// Reads until `text` has arrived (what came before it stays in `seen`).
    async fn until(&mut self, text: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let mut buf = [0u8; 4096];
        while !self.seen.contains(text) {
            tokio::time::timeout_at(deadline, self.socket.readable())
                .await
                .unwrap_or_else(|_| panic!("{text:?} never came; got:\n{}", self.seen))
                .unwrap();
            let read = match self.socket.try_read(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) => panic!("read: {e}"),
            };
            assert!(
                read > 0,
                "the stream closed before {text:?}:\n{}",
                self.seen
            );
            self.seen.push_str(&String::from_utf8_lossy(&buf[..read]));
        }
    }
}

#[tokio::test]
async fn the_board_stream_sends_each_new_score() {
    let game = Game::start();
    let server = start(&game).await;
    let mut board = Reader::get(server.addr, "/api/board/stream", None).await;
    board.until("\r\n\r\n").await;
    assert!(board.seen.starts_with("HTTP/1.1 200"), "{}", board.seen);
    assert!(board.seen.contains("content-type: text/event-stream"));
    board.until("event: board").await;
    board.until("+412.5").await;
    assert!(!board.seen.contains("+777"));

    game.publish(|s| s.teams[1].score = Points(777_000));
    board.until("\"score\":\"+777\"").await;
    game.publish(|s| {
        s.announcements.push(scoreboard::live::Announcement {
            at: s.now,
            text: "Round two".into(),
        })
    });
    board.until("Round two").await;
    server.stop().await;
}

#[tokio::test]
async fn a_team_stream_carries_only_that_teams_events() {
    let game = Game::start();
    let server = start(&game).await;
    let mut team = Reader::get(server.addr, "/api/team/stream", Some(&game.team_a)).await;
    team.until("event: status").await;
    assert!(team.seen.contains("\"team\":\"team-a\""));

    let theirs = event(
        TEAM_B,
        800,
        Source::LoadGen,
        1000,
        B_SECRET,
        "batch:b-800",
        0,
    );
    let ours = event(
        TEAM_A,
        801,
        Source::LoadGen,
        4000,
        "4 correct answers",
        "batch:a-801",
        0,
    );
    game.publisher.event(&theirs);
    game.publisher.event(&ours);
    team.until("4 correct answers").await;
    assert!(team.seen.contains("event: score"));
    assert!(!team.seen.contains(B_SECRET));
    assert!(!team.seen.contains("team-b"));

    // A filtered stream skips the other sources.
    let mut billing = Reader::get(
        server.addr,
        "/api/team/stream?source=Billing",
        Some(&game.team_a),
    )
    .await;
    billing.until("event: status").await;
    game.publisher.event(&event(
        TEAM_A,
        802,
        Source::LoadGen,
        1000,
        "loadgen line",
        "batch:a-802",
        0,
    ));
    game.publisher.event(&event(
        TEAM_A,
        803,
        Source::Billing,
        -100,
        "billing line",
        "block:a/i-1/1",
        0,
    ));
    billing.until("billing line").await;
    assert!(!billing.seen.contains("loadgen line"));
    server.stop().await;
}

#[tokio::test]
async fn a_stream_refuses_a_caller_without_a_token() {
    let game = Game::start();
    let server = start(&game).await;
    let mut anonymous = Reader::get(server.addr, "/api/team/stream", None).await;
    anonymous.until("\r\n\r\n").await;
    assert!(
        anonymous.seen.starts_with("HTTP/1.1 401"),
        "{}",
        anonymous.seen
    );
    server.stop().await;
}

/// The admin stream carries what the organizer must see without a reload: the webhooks'
/// health as it changes (a hook that starts failing, with since when and why, never its
/// URL), and the latest breaks with how many earlier ones it leaves out.
#[tokio::test]
async fn the_admin_stream_carries_the_hooks_health_and_the_latest_breaks() {
    use scoreboard::notify::HookHealth;
    use scoreboard_domain::GameTime;
    use scoreboard_domain::breaks::{AskedBy, BreakAction, BreakNote, BreakOutcome, BreakRecord};

    let mut game = Game::start();
    let health: scoreboard::notify::Health =
        std::sync::Arc::new(std::sync::Mutex::new(vec![HookHealth {
            label: "slack webhook at hooks.slack.com".into(),
            sent: 3,
            ..HookHealth::default()
        }]));
    game.state = game.state.clone().hooks(health.clone());
    let server = start(&game).await;
    let mut admin = Reader::get(server.addr, "/api/admin/stream", Some(&game.admin)).await;
    admin.until("event: status").await;
    admin.until("\"sent\":3").await;

    health.lock().unwrap()[0] = HookHealth {
        label: "slack webhook at hooks.slack.com".into(),
        sent: 3,
        pending: 2,
        failing_since_unix_ms: Some(1_765_000_000_000),
        last_error: Some("503 Service Unavailable".into()),
        ..HookHealth::default()
    };
    let breaks: Vec<BreakNote> = (0..52u64)
        .map(|i| BreakNote {
            at: GameTime(1_000 * (i + 1)),
            team: TEAM_A.into(),
            restore: false,
            record: BreakRecord {
                id: format!("break-{i}"),
                action: BreakAction::DenyNacl,
                asked_by: AskedBy::Timeline,
                tell: false,
                restore_at: None,
                outcome: BreakOutcome::Failed {
                    reason: format!("reason #{i}#"),
                },
            },
        })
        .collect();
    game.publish(|s| s.breaks = std::sync::Arc::new(breaks));
    admin.until("\"breaks_earlier\":2").await;
    admin
        .until("\"last_error\":\"503 Service Unavailable\"")
        .await;
    let frame = &admin.seen[admin.seen.rfind("event: status").unwrap()..];
    assert!(
        frame.contains("reason #51#") && frame.contains("reason #2#"),
        "{frame}"
    );
    assert!(
        !frame.contains("reason #1#"),
        "an earlier break in the frame"
    );
    assert!(
        frame.contains("\"failing_since_unix_ms\":1765000000000"),
        "{frame}"
    );
    server.stop().await;
}
