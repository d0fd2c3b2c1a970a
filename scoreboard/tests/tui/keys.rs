//! Keys against the cockpit's state and the controls they send.

use ratatui::crossterm::event::KeyCode;
use scoreboard::live::{Command, Control, Snapshot};
use scoreboard::tui::{App, InputMode};

use crate::util::{char_key, ctrl_c, game, key, reranked, shared};

fn cockpit() -> App {
    App::new(shared(game()))
}

#[test]
fn arrows_select_teams_and_the_selection_follows_a_team_across_ranks() {
    let mut app = cockpit();
    assert_eq!(app.selected(), Some("tortoise-and-hare"));
    app.handle_key(key(KeyCode::Down));
    app.handle_key(key(KeyCode::Down));
    assert_eq!(app.selected(), Some("the-load-balancers"));
    app.handle_key(key(KeyCode::Up));
    assert_eq!(app.selected(), Some("null-pointers"));

    // null-pointers takes the lead: still selected, now at the top.
    app.update(shared(reranked(
        game(),
        &[
            "null-pointers",
            "tortoise-and-hare",
            "cache-me-outside",
            "the-load-balancers",
        ],
    )));
    assert_eq!(app.selected(), Some("null-pointers"));
    app.handle_key(key(KeyCode::Up));
    assert_eq!(app.selected(), Some("null-pointers"), "already at the top");
    app.handle_key(key(KeyCode::Down));
    assert_eq!(app.selected(), Some("tortoise-and-hare"));
}

#[test]
fn a_team_that_leaves_the_board_hands_the_selection_to_the_leader() {
    let mut app = cockpit();
    app.handle_key(key(KeyCode::Down));
    app.update(shared(reranked(
        game(),
        &["cache-me-outside", "tortoise-and-hare"],
    )));
    assert_eq!(app.selected(), Some("cache-me-outside"));
}

#[test]
fn page_keys_scroll_events_within_bounds_and_a_new_team_starts_at_the_top() {
    let mut app = cockpit();
    app.handle_key(key(KeyCode::PageDown));
    assert_eq!(app.scroll(), 5);
    app.handle_key(key(KeyCode::PageDown));
    assert_eq!(app.scroll(), 5, "the oldest of 6 events stays in view");
    app.handle_key(key(KeyCode::PageUp));
    app.handle_key(key(KeyCode::PageUp));
    assert_eq!(app.scroll(), 0);
    app.handle_key(key(KeyCode::End));
    assert_eq!(app.scroll(), 5);
    app.handle_key(key(KeyCode::Down));
    assert_eq!(app.scroll(), 0);
}

#[test]
fn p_pauses_a_running_game_and_resumes_a_paused_one() {
    let running = Snapshot {
        paused: false,
        ..game()
    };
    let mut app = App::new(shared(running.clone()));
    assert_eq!(
        app.handle_key(char_key('p'))
            .as_ref()
            .and_then(Control::command),
        Some(&Command::Pause)
    );
    app.update(shared(Snapshot {
        paused: true,
        ..running
    }));
    assert_eq!(
        app.handle_key(char_key('p'))
            .as_ref()
            .and_then(Control::command),
        Some(&Command::Resume)
    );
}

#[test]
fn f_freezes_and_unfreezes_the_public_board() {
    let live = Snapshot {
        frozen: None,
        ..game()
    };
    let mut app = App::new(shared(live.clone()));
    assert_eq!(
        app.handle_key(char_key('f'))
            .as_ref()
            .and_then(Control::command),
        Some(&Command::Freeze)
    );
    app.update(shared(Snapshot {
        frozen: Some(scoreboard_domain::GameTime(1_000)),
        ..live
    }));
    assert_eq!(
        app.handle_key(char_key('f'))
            .as_ref()
            .and_then(Control::command),
        Some(&Command::Unfreeze)
    );
}

#[test]
fn a_then_typing_then_enter_announces() {
    let mut app = cockpit();
    assert!(app.handle_key(char_key('a')).is_none());
    for c in "Round 3: quit early? No!".chars() {
        // Letters that are commands elsewhere are text here.
        assert!(app.handle_key(char_key(c)).is_none());
    }
    assert_eq!(
        app.mode(),
        &InputMode::Announce("Round 3: quit early? No!".into())
    );
    match app.handle_key(key(KeyCode::Enter)) {
        Some(Control::Command(Command::Announce(text), _)) => {
            assert_eq!(text, "Round 3: quit early? No!")
        }
        other => panic!("expected an announcement, got {other:?}"),
    }
    assert_eq!(app.mode(), &InputMode::Normal);
}

#[test]
fn esc_drops_an_announcement() {
    let mut app = cockpit();
    app.handle_key(char_key('a'));
    app.handle_key(char_key('h'));
    assert!(app.handle_key(key(KeyCode::Esc)).is_none());
    assert_eq!(app.mode(), &InputMode::Normal);
    assert!(app.handle_key(key(KeyCode::Enter)).is_none());
}

#[test]
fn q_then_y_quits() {
    let mut app = cockpit();
    assert!(app.handle_key(char_key('q')).is_none());
    assert_eq!(app.mode(), &InputMode::ConfirmQuit);
    assert!(!app.exit_requested());
    assert_eq!(
        app.handle_key(char_key('y'))
            .as_ref()
            .and_then(Control::command),
        Some(&Command::Quit)
    );
    assert!(app.exit_requested());
}

#[test]
fn q_then_anything_else_cancels() {
    let mut app = cockpit();
    app.handle_key(char_key('q'));
    assert!(app.handle_key(char_key('n')).is_none());
    assert_eq!(app.mode(), &InputMode::Normal);
    assert!(!app.exit_requested());
    app.handle_key(char_key('q'));
    // A command key answers the question, it does not run.
    assert!(app.handle_key(char_key('p')).is_none());
    assert!(!app.exit_requested());
}

#[test]
fn ctrl_c_quits_at_once_even_while_typing() {
    let mut app = cockpit();
    assert_eq!(
        app.handle_key(ctrl_c()).as_ref().and_then(Control::command),
        Some(&Command::Quit)
    );
    assert!(app.exit_requested());

    let mut app = cockpit();
    app.handle_key(char_key('a'));
    assert_eq!(
        app.handle_key(ctrl_c()).as_ref().and_then(Control::command),
        Some(&Command::Quit)
    );
    assert!(app.exit_requested());
}

#[test]
fn once_the_game_is_over_any_key_leaves_without_a_control() {
    let mut app = App::new(shared(Snapshot {
        over: true,
        ..game()
    }));
    assert!(app.finished());
    assert!(app.handle_key(char_key('p')).is_none());
    assert!(app.exit_requested());
}
