//! The cockpit's loop on a test backend with scripted keys: what it sends, when it returns.

use std::collections::VecDeque;
use std::io;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyEvent};
use scoreboard::live::{Command, Control, LivePublisher, Snapshot};
use scoreboard::tui::run_with;

use crate::util::{char_key, contains, game};

/// Controls the view sent so far.
fn sent(publisher: &mut LivePublisher) -> Vec<Control> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut controls = Vec::new();
        while let Ok(Some(control)) =
            tokio::time::timeout(Duration::from_millis(20), publisher.control()).await
        {
            controls.push(control);
        }
        controls
    })
}

/// Gives the scripted events one per wait (`None` is a wait that timed out), and fails the
/// loop when the script runs out rather than spinning.
fn script(events: Vec<Option<KeyEvent>>) -> impl FnMut(Duration) -> io::Result<Option<Event>> {
    let mut events: VecDeque<_> = events.into();
    move |_timeout| match events.pop_front() {
        Some(event) => Ok(event.map(Event::Key)),
        None => Err(io::Error::other(
            "the script ran out before the cockpit returned",
        )),
    }
}

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(80, 24)).unwrap()
}

#[test]
fn q_y_sends_quit_and_returns() {
    let mut publisher = LivePublisher::new(game());
    let view = publisher.view();
    let mut terminal = terminal();
    let keys = vec![
        None,
        Some(char_key('p')),
        Some(char_key('q')),
        Some(char_key('y')),
    ];
    run_with(&mut terminal, &view, script(keys)).unwrap();
    let sent = sent(&mut publisher);
    let commands: Vec<_> = sent.iter().filter_map(Control::command).collect();
    assert_eq!(commands, [&Command::Resume, &Command::Quit], "{sent:?}");
    let buffer = terminal.backend().buffer();
    assert!(contains(buffer, "spring-gameday"));
    // The last screen drawn is the question `q` asked.
    assert!(contains(buffer, "End the game for everyone?"));
}

#[test]
fn a_new_snapshot_shows_at_once() {
    let publisher = LivePublisher::new(game());
    let view = publisher.view();
    let mut terminal = terminal();
    let mut waits = 0;
    let mut keys = script(vec![Some(char_key('q')), Some(char_key('y'))]);
    run_with(&mut terminal, &view, |timeout| {
        waits += 1;
        match waits {
            1 => {
                publisher.publish(Snapshot {
                    game: "renamed-gameday".into(),
                    ..game()
                });
                Ok(None)
            }
            _ => keys(timeout),
        }
    })
    .unwrap();
    assert!(contains(terminal.backend().buffer(), "renamed-gameday"));
}

#[test]
fn a_game_over_waits_for_a_key_and_sends_nothing() {
    let mut publisher = LivePublisher::new(Snapshot {
        over: true,
        ..game()
    });
    let view = publisher.view();
    let mut terminal = terminal();
    run_with(
        &mut terminal,
        &view,
        script(vec![None, Some(char_key('x'))]),
    )
    .unwrap();
    let buffer = terminal.backend().buffer();
    assert!(contains(buffer, "game over — press any key"));
    assert!(sent(&mut publisher).is_empty());
}

#[test]
fn a_game_gone_before_a_key_says_so_and_leaves_on_a_key() {
    let publisher = LivePublisher::new(game());
    let view = publisher.view();
    drop(publisher);
    let mut terminal = terminal();
    run_with(&mut terminal, &view, script(vec![Some(char_key('x'))])).unwrap();
    assert!(contains(
        terminal.backend().buffer(),
        "the game is gone — press any key"
    ));
}

#[test]
fn a_game_gone_when_a_control_is_sent_ends_the_loop() {
    let mut publisher = Some(LivePublisher::new(game()));
    let view = publisher.as_ref().unwrap().view();
    let mut terminal = terminal();
    let mut waits = 0;
    run_with(&mut terminal, &view, |_| {
        waits += 1;
        // The runner goes away between the last look at it and the key.
        drop(publisher.take());
        Ok(Some(Event::Key(char_key('f'))))
    })
    .unwrap();
    assert_eq!(waits, 1, "the loop returned on the failed send");
}
