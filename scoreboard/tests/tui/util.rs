//! Shared by the cockpit tests: a hand-built game, keys, and text snapshots of screens.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::Span;
use ratatui::widgets::Widget;
use scoreboard::live::{Announcement, Snapshot, TeamRow};
use scoreboard_domain::projection::{ChartWindow, Charts, LossLine};
use scoreboard_domain::snapshot::TickHealth;
use scoreboard_domain::snapshot::{LedgerWrites, LoadNow};
use scoreboard_domain::{Cents, EventKind, GameTime, Points, ScoreEvent, Source, hints};

pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

pub fn char_key(c: char) -> KeyEvent {
    key(KeyCode::Char(c))
}

pub fn ctrl_c() -> KeyEvent {
    KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
}

fn event(team: &str, secs: u64, source: Source, milli: i64, reason: &str) -> ScoreEvent {
    ScoreEvent {
        at: GameTime(secs * 1000),
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
        cause: format!("batch:{team}-{secs}"),
        seq: 0,
    }
}

/// Score events newest first, with reasons as long as real ones get.
fn recent(team: &str) -> Vec<ScoreEvent> {
    vec![
        event(
            team,
            754,
            Source::LoadGen,
            38_500,
            "77 correct answers in the last tick (8.0 req/s offered, 7.7 answered)",
        ),
        event(
            team,
            751,
            Source::LoadGen,
            -12_000,
            "12 answers were wrong: GET /price?sku=A-1042 expected 19.99 but the service \
             answered 1999 (a price in cents where dollars were asked)",
        ),
        event(
            team,
            720,
            Source::Billing,
            -2_250,
            "instance i-0abc123def (m5.large) ran billing block 3: $0.08",
        ),
        event(
            team,
            600,
            Source::Organizer,
            25_000,
            "bonus for fixing the cache before round 2, as announced at 10:00",
        ),
        event(
            team,
            540,
            Source::Engine,
            0,
            "tick 41 voided: the load generator fell behind by 2.3 s",
        ),
        event(
            team,
            480,
            Source::LoadGen,
            -5_000,
            "5 requests timed out after 2 s, e.g. GET /checkout?cart=88",
        ),
    ]
}

/// What costs a team points over the last five minutes, worst first, as the projection
/// gives it: four kinds (one more than the cockpit shows).
pub fn losses() -> Vec<LossLine> {
    let line = |kind, source, count, milli, example: &str| LossLine {
        kind,
        source,
        count,
        points: Points(milli),
        example: example.to_string(),
        hint: hints::hint(kind, Duration::from_secs(5)).into_owned(),
    };
    vec![
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
            12,
            -12_000,
            "2 answers did not match, e.g. key 3615-7184-2117: got \"Yj2lQ0ZB…\", expected \"rmtL0q7n…\"",
        ),
        line(
            EventKind::Billing,
            Source::Billing,
            1,
            -4_000,
            "EC2 i-0abc123def (m5.large) running: 15-minute block #3 started ($8.00)",
        ),
        line(
            EventKind::Failure(loadgen::OutcomeKind::Timeout),
            Source::LoadGen,
            2,
            -1_000,
            "2 requests timed out (no full answer in time)",
        ),
    ]
}

/// A team with `score` whole points, its charts and its events.
fn team(rank: u32, name: &str, score: i64, trend: i64, p99_ms: u64) -> TeamRow {
    let score_series = (0..40u64)
        .map(|i| {
            let wiggle = i64::try_from(i % 7).unwrap() * 3_000;
            let at = GameTime(i * 15_000);
            (
                at,
                Points(score * 1000 * i64::try_from(i).unwrap() / 39 - wiggle),
            )
        })
        .collect();
    let p99_series = (0..40u64)
        .map(|i| {
            (
                GameTime(i * 15_000),
                Duration::from_millis(p99_ms + (i * 37) % 90),
            )
        })
        .collect();
    TeamRow {
        rank,
        team: name.to_string(),
        name: String::new(),
        score: Points(score * 1000 + 500),
        trend: Points::whole(trend),
        tick: TickHealth {
            correct_per_s: 7.7,
            error_pct: if trend < 0 { 13.4 } else { 0.0 },
            p50: Duration::from_millis(p99_ms / 4),
            p99: Duration::from_millis(p99_ms),
        },
        instances: usize::try_from(rank).unwrap() + 1,
        cost: Cents(1250 * i64::from(rank)),
        urls: vec![format!("http://{name}.example:8080")],
        charts: Charts::drawn(ChartWindow {
            score: score_series,
            p99: p99_series,
        }),
        recent: std::sync::Arc::new(recent(name).into_iter().map(Into::into).collect()),
        event_count: recent(name).len() as u64,
        sends: 6000,
        late_sends: 3,
        outcomes: vec![("correct".into(), 5800), ("http_status".into(), 200)],
        endpoint: Default::default(),
        // The team losing points lately has losses; the others lost nothing.
        losses: if trend < 0 { losses() } else { Vec::new() },
    }
}

/// Four teams (two tied), two announcements, paused and frozen, 12:34 into 45 minutes.
pub fn game() -> Snapshot {
    let teams = vec![
        team(1, "tortoise-and-hare", 412, 38, 180),
        team(2, "null-pointers", 388, -4, 95),
        team(3, "the-load-balancers", 120, 0, 1450),
        team(3, "cache-me-outside", 120, 7, 64),
    ];
    Snapshot {
        game: "spring-gameday".into(),
        now: GameTime(754_000),
        duration: Duration::from_secs(45 * 60),
        paused: true,
        frozen: Some(scoreboard_domain::GameTime(1_000)),
        over: false,
        load: LoadNow {
            offered: "8.0 req/s".into(),
            phase: "phase 2 of 4 (ramp to 20 req/s)".into(),
        },
        announcements: vec![
            Announcement {
                at: GameTime(0),
                text: "Welcome! The shop opens now.".into(),
            },
            Announcement {
                at: GameTime(600_000),
                text: "Round 2: prices must be in dollars from now on".into(),
            },
        ],
        public: teams.clone(),
        teams,
        writes: LedgerWrites {
            count: 120,
            seconds: 0.4,
        },
        ledger: Default::default(),
        breaks: Default::default(),
    }
}

pub fn shared(snapshot: Snapshot) -> Arc<Snapshot> {
    Arc::new(snapshot)
}

/// The snapshot with its teams in another order, ranks renumbered.
pub fn reranked(mut snapshot: Snapshot, order: &[&str]) -> Snapshot {
    let mut teams = Vec::new();
    for (rank, name) in (1..).zip(order) {
        let mut row = snapshot
            .teams
            .iter()
            .find(|t| t.team == *name)
            .unwrap()
            .clone();
        row.rank = rank;
        teams.push(row);
    }
    snapshot.teams = teams;
    snapshot
}

/// Draws `draw` on a `width`×`height` test terminal and gives the buffer.
pub fn draw(width: u16, height: u16, draw: impl FnOnce(&mut ratatui::Frame)) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(draw).unwrap();
    terminal.backend().buffer().clone()
}

/// One widget filling a `width`×`height` test terminal.
pub fn widget(width: u16, height: u16, widget: impl Widget) -> Buffer {
    draw(width, height, |frame| {
        frame.render_widget(widget, frame.area())
    })
}

/// The buffer's text, one string per row, trailing blanks dropped (styles are not text:
/// tests check the ones that matter directly).
pub fn lines(buffer: &Buffer) -> Vec<String> {
    let width = usize::from(buffer.area.width);
    buffer
        .content
        .chunks(width)
        .map(|row| {
            let mut line = String::new();
            let mut hidden = 0;
            for cell in row {
                // The cells behind a wide symbol repeat nothing.
                if hidden > 0 {
                    hidden -= 1;
                    continue;
                }
                line.push_str(cell.symbol());
                hidden = Span::raw(cell.symbol()).width().saturating_sub(1);
            }
            line.trim_end().to_string()
        })
        .collect()
}

/// Where `text` first appears in the buffer, as (column, row) of its first character.
pub fn find(buffer: &Buffer, text: &str) -> Option<(u16, u16)> {
    lines(buffer).iter().enumerate().find_map(|(y, line)| {
        let at = line.find(text)?;
        let x = line[..at].chars().count();
        Some((u16::try_from(x).unwrap(), u16::try_from(y).unwrap()))
    })
}

pub fn contains(buffer: &Buffer, text: &str) -> bool {
    find(buffer, text).is_some()
}

/// Compares the buffer's text with `tests/snapshots/tui_<name>.txt`. A missing file, or
/// `UPDATE_SNAPSHOTS=1`, writes the file and fails, so a snapshot is never passed unseen.
#[track_caller]
pub fn assert_snapshot(name: &str, buffer: &Buffer) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("tui_{name}.txt"));
    let actual = lines(buffer).join("\n") + "\n";
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1");
    if update || !path.exists() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
        panic!(
            "wrote snapshot {}: review it, then run the tests again without UPDATE_SNAPSHOTS\n{actual}",
            path.display()
        );
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    if expected != actual {
        let expected_lines: Vec<&str> = expected.lines().collect();
        let actual_lines: Vec<&str> = actual.lines().collect();
        let mut report = String::new();
        for row in 0..expected_lines.len().max(actual_lines.len()) {
            let (e, a) = (expected_lines.get(row), actual_lines.get(row));
            if e != a {
                report.push_str(&format!(
                    "row {row}\n  expected: {:?}\n  actual:   {:?}\n",
                    e.unwrap_or(&"<none>"),
                    a.unwrap_or(&"<none>")
                ));
            }
        }
        panic!(
            "screen differs from {} (UPDATE_SNAPSHOTS=1 rewrites it):\n{report}\nactual screen:\n{actual}",
            path.display()
        );
    }
}
