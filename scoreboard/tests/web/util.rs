//! Shared by the web tests: a small game in a real ledger (two teams with tokens and
//! history, an admin token), a real `LivePublisher`, and a stand-in for the game runner that
//! answers controls as the real one does (records adjustments, publishes new snapshots).

#![allow(dead_code)]

use scoreboard_ledger::prelude::*;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use scoreboard::live::{
    Announcement, Command, Control, LivePublisher, Refusal, Reply, Snapshot, TeamRow,
};
use scoreboard::web::{UrlCheck, WebState};
use scoreboard_domain::projection::EndpointCheck;
use scoreboard_domain::snapshot::{LedgerWrites, LoadNow};
use scoreboard_domain::tokens::{self, ADMIN};
use scoreboard_domain::{
    Adjustment, Cause, Cents, EventKind, GameTime, Points, ScoreEvent, Source,
};
use scoreboard_ledger::{Recorded, SqliteLedger};
use tokio::sync::mpsc;

pub const TEAM_A: &str = "team-a";
pub const TEAM_B: &str = "team-b";

/// What team B's history says, so a test can tell it never reached team A.
pub const B_SECRET: &str = "team-b private reason";

/// A game the web serves.
pub struct Game {
    pub dir: tempfile::TempDir,
    pub ledger: PathBuf,
    pub publisher: Arc<LivePublisher>,
    pub team_a: String,
    pub team_b: String,
    pub admin: String,
    /// Every control the runner received, in words (`pause`, `adjust team-a 2500 admin …`).
    pub controls: Arc<Mutex<Vec<String>>>,
    /// The runner's idea of the game, which it publishes after each control.
    pub world: Arc<Mutex<Snapshot>>,
    pub state: WebState,
}

/// A team's line on the board.
pub fn row(rank: u32, team: &str, milli: i64) -> TeamRow {
    TeamRow {
        rank,
        team: team.to_string(),
        score: Points(milli),
        trend: Points(milli / 10),
        urls: vec![format!("http://{team}.test:8080")],
        outcomes: vec![("correct".into(), 40), ("timeout".into(), 2)],
        sends: 42,
        late_sends: 1,
        cost: Cents(125),
        ..Default::default()
    }
}

/// Ranks `teams` by score and fills both boards (the public one only when not frozen).
pub fn rank(snapshot: &mut Snapshot) {
    snapshot.teams.sort_by_key(|t| std::cmp::Reverse(t.score));
    let mut previous: Option<(Points, u32)> = None;
    for (i, t) in snapshot.teams.iter_mut().enumerate() {
        t.rank = match previous {
            Some((score, rank)) if score == t.score => rank,
            _ => i as u32 + 1,
        };
        previous = Some((t.score, t.rank));
    }
    if snapshot.frozen.is_none() {
        snapshot.public = snapshot.teams.clone();
    }
}

pub fn first_snapshot() -> Snapshot {
    let mut s = Snapshot {
        game: "Demo Day".into(),
        now: GameTime(754_000),
        duration: std::time::Duration::from_secs(3600),
        load: LoadNow {
            offered: "8.0 req/s".into(),
            phase: "phase 2 of 4".into(),
        },
        announcements: vec![Announcement {
            at: GameTime(600_000),
            text: "Welcome to the game".into(),
        }],
        teams: vec![row(0, TEAM_A, 412_500), row(0, TEAM_B, 300_000)],
        writes: LedgerWrites {
            count: 17,
            seconds: 0.5,
        },
        ..Default::default()
    };
    rank(&mut s);
    s
}

pub fn event(
    team: &str,
    at_s: u64,
    source: Source,
    milli: i64,
    reason: &str,
    cause: &str,
    seq: u32,
) -> ScoreEvent {
    ScoreEvent {
        at: GameTime(at_s * 1000),
        team: team.to_string(),
        source,
        points: Points(milli),
        reason: reason.to_string(),
        kind: match source {
            Source::Billing => EventKind::Billing,
            Source::Organizer => EventKind::Organizer,
            Source::Engine => EventKind::Void,
            Source::LoadGen => EventKind::Unknown,
        },
        count: 1,
        cause: cause.to_string(),
        seq,
    }
}

/// Records `events` under one adjustment cause named `id`.
pub fn record(ledger: &mut SqliteLedger, id: &str, events: Vec<ScoreEvent>) {
    let first = &events[0];
    let cause = Recorded::Adjustment(Adjustment {
        id: id.to_string(),
        at: first.at,
        team: first.team.clone(),
        points: first.points,
        reason: first.reason.clone(),
        by: "test".into(),
    });
    assert_eq!(ledger.record(&[(cause, events)]).unwrap(), 1);
}

/// History: team A has 12 LoadGen events (the last three at one instant) and a Billing one;
/// team B has its own.
fn seed(ledger: &mut SqliteLedger) {
    for i in 1..=9u64 {
        let cause = format!("adjust:a{i}");
        record(
            ledger,
            &format!("a{i}"),
            vec![event(
                TEAM_A,
                i * 10,
                Source::LoadGen,
                1000,
                &format!("a answer {i}"),
                &cause,
                0,
            )],
        );
    }
    let same: Vec<ScoreEvent> = (0..3)
        .map(|seq| {
            event(
                TEAM_A,
                100,
                Source::LoadGen,
                500,
                &format!("a tick part {seq}"),
                "adjust:a-tick",
                seq,
            )
        })
        .collect();
    record(ledger, "a-tick", same);
    record(
        ledger,
        "a-bill",
        vec![event(
            TEAM_A,
            95,
            Source::Billing,
            -250,
            "a instance hour",
            "adjust:a-bill",
            0,
        )],
    );
    record(
        ledger,
        "b1",
        vec![event(
            TEAM_B,
            50,
            Source::LoadGen,
            2000,
            B_SECRET,
            "adjust:b1",
            0,
        )],
    );
}

fn token(ledger: &mut SqliteLedger, owner: &str) -> String {
    let (token, hash) = tokens::generate().unwrap();
    ledger.store_token(owner, &hash, 1).unwrap();
    token
}

/// Accepts any URL but those with `private` in them (the runner's SSRF rule, in miniature).
pub fn url_check() -> UrlCheck {
    Arc::new(|_team: &str, url: &str| {
        if url.contains("private") {
            Err("that address is private: use the address the load can reach".into())
        } else {
            Ok(())
        }
    })
}

impl Game {
    /// A game with its runner answering controls (call inside a tokio runtime).
    pub fn start() -> Game {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("game.db");
        let mut ledger = SqliteLedger::open(&path).unwrap();
        seed(&mut ledger);
        let team_a = token(&mut ledger, TEAM_A);
        let team_b = token(&mut ledger, TEAM_B);
        let admin = token(&mut ledger, ADMIN);
        drop(ledger);
        let first = first_snapshot();
        let mut publisher = LivePublisher::new(first.clone());
        let controls_rx = publisher.take_controls().unwrap();
        let publisher = Arc::new(publisher);
        let state = WebState::new(publisher.view(), path.clone(), url_check());
        let game = Game {
            dir,
            ledger: path,
            publisher,
            team_a,
            team_b,
            admin,
            controls: Arc::default(),
            world: Arc::new(Mutex::new(first)),
            state,
        };
        tokio::spawn(runner(controls_rx, game.runner_parts()));
        game
    }

    fn runner_parts(&self) -> Runner {
        Runner {
            publisher: self.publisher.clone(),
            ledger: self.ledger.clone(),
            log: self.controls.clone(),
            world: self.world.clone(),
        }
    }

    /// Changes the world and publishes it.
    pub fn publish(&self, change: impl FnOnce(&mut Snapshot)) {
        let mut world = self.world.lock().unwrap();
        change(&mut world);
        rank(&mut world);
        self.publisher.publish(world.clone());
    }

    pub fn controls(&self) -> Vec<String> {
        self.controls.lock().unwrap().clone()
    }

    /// Waits until the runner has logged `n` controls.
    pub async fn wait_for_controls(&self, n: usize) -> Vec<String> {
        for _ in 0..200 {
            let seen = self.controls();
            if seen.len() >= n {
                return seen;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!(
            "the runner saw {:?}, expected {n} controls",
            self.controls()
        );
    }
}

struct Runner {
    publisher: Arc<LivePublisher>,
    ledger: PathBuf,
    log: Arc<Mutex<Vec<String>>>,
    world: Arc<Mutex<Snapshot>>,
}

/// The stand-in game runner: logs each control, applies it to the world, and publishes.
async fn runner(mut controls: mpsc::UnboundedReceiver<Control>, r: Runner) {
    let mut adjustments = 0;
    let mut broken: Vec<String> = Vec::new();
    while let Some(control) = controls.recv().await {
        let mut world = r.world.lock().unwrap().clone();
        let known = |team: &str| world.teams.iter().any(|t| t.team == team);
        let line = match control {
            Control::Command(Command::Pause, _) => {
                world.paused = true;
                "pause".to_string()
            }
            Control::Command(Command::Resume, _) => {
                world.paused = false;
                "resume".to_string()
            }
            Control::Command(Command::Freeze, _) => {
                world.frozen = Some(world.now);
                "freeze".to_string()
            }
            Control::Command(Command::Unfreeze, _) => {
                world.frozen = None;
                "unfreeze".to_string()
            }
            Control::Command(Command::Announce(text), _) => {
                world.announcements.push(Announcement {
                    at: world.now,
                    text: text.clone(),
                });
                format!("announce {text}")
            }
            Control::Command(
                Command::Adjust {
                    team,
                    points,
                    reason,
                    by,
                    request,
                },
                Reply::Done(reply),
            ) => {
                if !known(&team) {
                    let _ = reply.send(Err(Refusal::NoSuchTeam(team)));
                    continue;
                }
                adjustments += 1;
                let id = request.unwrap_or_else(|| format!("web-{adjustments}"));
                let cause = Cause::Adjustment(id.clone()).key();
                let e = ScoreEvent {
                    at: world.now,
                    team: team.clone(),
                    source: Source::Organizer,
                    points,
                    reason: reason.clone(),
                    kind: EventKind::Organizer,
                    count: 1,
                    cause,
                    seq: 0,
                };
                let mut ledger = SqliteLedger::open_existing(&r.ledger).unwrap();
                record(&mut ledger, &id, vec![e.clone()]);
                r.publisher.event(&e);
                let row = world.teams.iter_mut().find(|t| t.team == team).unwrap();
                row.score += points;
                std::sync::Arc::make_mut(&mut row.recent).insert(0, std::sync::Arc::new(e));
                let _ = reply.send(Ok(()));
                format!("adjust {team} {} {by} {reason}", points.0)
            }
            Control::Command(Command::SetUrl { team, url }, Reply::Check(reply)) => {
                if url.contains("refuse") {
                    let refused = Refusal::Invalid("the runner refuses this URL".into());
                    let _ = reply.send(Err(refused));
                    continue;
                }
                if let Some(row) = world.teams.iter_mut().find(|t| t.team == team) {
                    row.urls = vec![url.clone()];
                }
                // The stand-in probes nothing: the game's own probe is tested in tests/.
                let _ = reply.send(Ok(EndpointCheck {
                    at: world.now,
                    passed: true,
                    text: format!("stand-in check of {url}"),
                }));
                format!("url {team} {url}")
            }
            Control::Command(Command::Check { team }, Reply::Check(reply)) => {
                let _ = reply.send(Err(Refusal::TooSoon(std::time::Duration::from_secs(7))));
                format!("check {team}")
            }
            Control::Write { request, reply } => {
                // A view's write, stored as the game's writer stores it (not logged: not a
                // control of the game's). A team's name is the game's to show, as the real
                // game's projection applies it when written.
                let named = match &request {
                    scoreboard_ledger::WriteRequest::TeamName(n) => Some(n.clone()),
                    _ => None,
                };
                let mut ledger = SqliteLedger::open_existing(&r.ledger).unwrap();
                let done = request.apply(&mut ledger).unwrap();
                if let Some(n) = named {
                    for row in world.teams.iter_mut().chain(world.public.iter_mut()) {
                        if row.team == n.team {
                            row.name.clone_from(&n.name);
                        }
                    }
                    *r.world.lock().unwrap() = world.clone();
                    r.publisher.publish(world);
                }
                let _ = reply.send(done);
                continue;
            }
            Control::Command(
                Command::Break {
                    team,
                    action,
                    lasting,
                    tell,
                },
                Reply::Done(reply),
            ) => {
                broken.push(team.clone());
                let _ = reply.send(Ok(()));
                let lasting = lasting.map_or("-".into(), |d| d.as_secs().to_string());
                format!("break {team} {} {lasting} {tell}", action.name())
            }
            Control::Command(Command::Restore { team }, Reply::Done(reply)) => {
                let whose = team.clone().unwrap_or_else(|| "*".into());
                // The stand-in keeps who was broken, not what: a team's restore puts back its
                // own breaks, an organizer's restore of all every break.
                let before = broken.len();
                broken.retain(|b| team.is_some() && b != &whose);
                if broken.len() == before {
                    let why = format!("nothing of {whose} is broken now");
                    let _ = reply.send(Err(Refusal::Conflict(why)));
                    continue;
                }
                let _ = reply.send(Ok(()));
                format!("restore {whose}")
            }
            Control::Command(Command::Quit, _) => "quit".to_string(),
            Control::Command(command, reply) => {
                panic!("{command:?} asked with the wrong reply {reply:?}")
            }
        };
        rank(&mut world);
        *r.world.lock().unwrap() = world.clone();
        r.publisher.publish(world);
        r.log.lock().unwrap().push(line);
    }
}
