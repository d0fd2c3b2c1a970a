//! What the watcher tells from snapshot to snapshot, and each receiver's shape.

use std::time::Duration;

use scoreboard_domain::snapshot::{Announcement, TeamRow};
use scoreboard_domain::{GameTime, Points};

use super::*;

fn snapshot(now: u64) -> Snapshot {
    Snapshot {
        game: "Rentals".into(),
        now: GameTime(now),
        duration: Duration::from_secs(7200),
        teams: vec![row("a", "Alpha", 1, 30), row("b", "Beta", 2, 10)],
        ..Snapshot::default()
    }
}

fn row(team: &str, name: &str, rank: u32, score: i64) -> TeamRow {
    TeamRow {
        rank,
        team: team.into(),
        name: name.into(),
        score: Points::whole(score),
        ..TeamRow::default()
    }
}

fn moments(m: &[Message]) -> Vec<Moment> {
    m.iter().map(|m| m.moment).collect()
}

#[test]
fn the_watcher_tells_each_moment_once() {
    let mut w = Watcher::default();
    let mut s = snapshot(0);
    s.announcements.push(Announcement {
        at: GameTime(0),
        text: "old".into(),
    });
    let first = w.look(&s);
    assert_eq!(moments(&first), [Moment::Start]);
    assert_eq!(first[0].text, "The game has started: 2h to play.");
    assert!(w.look(&s).is_empty(), "nothing changed");

    s.now = GameTime(60_000);
    s.announcements.push(Announcement {
        at: GameTime(60_000),
        text: "Scale out!".into(),
    });
    s.teams[1].endpoint.registered_at = Some(GameTime(60_000));
    s.paused = true;
    let m = w.look(&s);
    assert_eq!(
        moments(&m),
        [Moment::Announcement, Moment::Registration, Moment::Pause]
    );
    assert_eq!(m[0].text, "Scale out!");
    assert_eq!(
        m[1].text,
        "Team Beta registered its endpoint: its load begins."
    );
    assert_eq!(m[2].text, "The game is paused at 01:00.");

    s.paused = false;
    s.frozen = Some(GameTime(60_000));
    s.ledger.down_since_unix_ms = Some(1);
    s.ledger.error = Some("disk full".into());
    let m = w.look(&s);
    assert_eq!(
        moments(&m),
        [Moment::LedgerDown, Moment::Freeze, Moment::Resume]
    );
    assert!(m[0].text.contains("(disk full)"), "{}", m[0].text);
    assert!(m[0].moment.organizer_only() && !m[1].moment.organizer_only());

    s.ledger = Default::default();
    s.over = true;
    s.now = GameTime(7_200_000);
    let m = w.look(&s);
    assert_eq!(moments(&m), [Moment::LedgerUp, Moment::End]);
    assert_eq!(
        m[1].text,
        "The game is over at 2:00:00. The frozen board is revealed: 1. Alpha (+30), 2. Beta (+10)."
    );
}

#[test]
fn a_restarted_game_says_it_is_back_and_repeats_nothing() {
    let mut w = Watcher::default();
    let mut s = snapshot(90_000);
    s.announcements.push(Announcement {
        at: GameTime(10),
        text: "said before the crash".into(),
    });
    s.teams[0].endpoint.registered_at = Some(GameTime(5));
    let m = w.look(&s);
    assert_eq!(moments(&m), [Moment::Start]);
    assert_eq!(m[0].text, "The game is back at 01:30 (of 2h).");
}

#[test]
fn each_receiver_gets_its_own_shape() {
    let m = Message {
        game: "R&D <night>".into(),
        moment: Moment::Announcement,
        at: GameTime(61_000),
        text: "@everyone <go>".into(),
    };
    let json = |kind| serde_json::from_slice::<serde_json::Value>(&body(kind, &m)).unwrap();
    assert_eq!(
        json(HookKind::Slack),
        serde_json::json!({"text": "R&amp;D &lt;night&gt;: @everyone &lt;go&gt;"})
    );
    let discord = json(HookKind::Discord);
    assert_eq!(discord["content"], "R&D <night>: @everyone <go>");
    assert_eq!(discord["allowed_mentions"]["parse"], serde_json::json!([]));
    assert_eq!(json(HookKind::Mattermost)["username"], "gameday");
    assert_eq!(
        json(HookKind::Json),
        serde_json::json!({"game": "R&D <night>", "event": "announcement", "at": "01:01",
            "at_ms": 61_000, "text": "@everyone <go>"})
    );
}

#[test]
fn a_hook_is_named_without_its_secret() {
    let hook = Hook {
        kind: HookKind::of_url("https://hooks.slack.com/services/T0/B0/secret"),
        url: "https://hooks.slack.com/services/T0/B0/secret".into(),
        audience: Audience::Everyone,
    };
    assert_eq!(hook.kind, HookKind::Slack);
    assert_eq!(hook.label(), "slack webhook at hooks.slack.com");
    assert!(!format!("{hook:?}").contains("secret"));
    assert_eq!(
        HookKind::of_url("https://discord.com/api/webhooks/1/x"),
        HookKind::Discord
    );
    assert_eq!(HookKind::of_url("http://127.0.0.1:9/x"), HookKind::Json);
}

#[test]
fn breaks_and_restores_are_told_to_organizer_hooks_only() {
    use scoreboard_domain::breaks::{AskedBy, BreakAction, BreakNote, BreakOutcome, BreakRecord};
    let mut w = Watcher::default();
    let mut s = snapshot(0);
    w.look(&s);
    let note = |restore: bool, outcome: BreakOutcome| BreakNote {
        at: GameTime(5_000),
        team: "b".into(),
        restore,
        record: BreakRecord {
            id: "break-5000-0-b".into(),
            action: BreakAction::DropRoute,
            asked_by: AskedBy::Timeline,
            tell: false,
            restore_at: None,
            outcome,
        },
    };
    std::sync::Arc::make_mut(&mut s.breaks).push(note(
        false,
        BreakOutcome::Done {
            what: "delete the route 0.0.0.0/0 → igw-1 of rtb-1".into(),
            record: serde_json::json!({}),
        },
    ));
    let m = w.look(&s);
    assert_eq!(moments(&m), [Moment::Break]);
    assert_eq!(
        m[0].text,
        "b: break drop_route: delete the route 0.0.0.0/0 → igw-1 of rtb-1"
    );
    std::sync::Arc::make_mut(&mut s.breaks).push(note(
        true,
        BreakOutcome::AlreadyMended {
            what: "rtb-1 has its route again".into(),
        },
    ));
    let m = w.look(&s);
    assert_eq!(moments(&m), [Moment::Restore]);
    assert!(m[0].text.contains("already mended"), "{}", m[0].text);
    assert!(Moment::Break.organizer_only() && Moment::Restore.organizer_only());
    assert!(w.look(&s).is_empty(), "each once");
}
