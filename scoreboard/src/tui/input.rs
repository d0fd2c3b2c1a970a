//! Keys: what each one does to the cockpit's state and which control it sends the game.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use tokio::sync::oneshot;

use super::App;
use crate::live::{Command, Control, Reply};

/// How many events PgUp and PgDn move by.
const EVENTS_PAGE: usize = 5;

/// What the keys mean right now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum InputMode {
    /// Keys are commands.
    #[default]
    Normal,
    /// The organizer is typing an announcement: Enter sends it, Esc drops it.
    Announce(String),
    /// The organizer is typing a team's endpoint URL (its registration if it has none):
    /// Enter sends it, Esc drops it.
    Url { team: String, text: String },
    /// `q` was pressed: `y` ends the game, any other key cancels.
    ConfirmQuit,
}

impl App {
    /// Applies a key to the cockpit; gives the control to send to the game, if any.
    ///
    /// Ctrl-C anywhere ends the game as a confirmed `q` does. Once the game is over, any key
    /// leaves.
    pub fn handle_key(&mut self, key: KeyEvent) -> Option<Control> {
        // Terminals that report releases (Windows) would otherwise act twice per key.
        if key.kind == KeyEventKind::Release {
            return None;
        }
        if self.finished() {
            self.exit = true;
            return None;
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return Some(self.quit());
        }
        self.notice = None;
        match std::mem::take(&mut self.mode) {
            InputMode::Normal => self.command(key),
            InputMode::Announce(text) => match typed(text, key) {
                Typed::More(text) => {
                    self.mode = InputMode::Announce(text);
                    None
                }
                Typed::Done(text) => Some(Command::Announce(text).into()),
                Typed::Dropped => None,
            },
            InputMode::Url { team, text } => match typed(text, key) {
                Typed::More(text) => {
                    self.mode = InputMode::Url { team, text };
                    None
                }
                Typed::Done(url) => Some(self.set_url(team, url)),
                Typed::Dropped => None,
            },
            InputMode::ConfirmQuit => match key.code {
                KeyCode::Char('y' | 'Y') => Some(self.quit()),
                _ => None,
            },
        }
    }

    fn quit(&mut self) -> Control {
        self.mode = InputMode::Normal;
        self.exit = true;
        Command::Quit.into()
    }

    fn command(&mut self, key: KeyEvent) -> Option<Control> {
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return None;
        }
        match key.code {
            KeyCode::Up => self.select_by(-1),
            KeyCode::Down => self.select_by(1),
            KeyCode::PageUp => self.scroll = self.scroll.saturating_sub(EVENTS_PAGE),
            KeyCode::PageDown => self.scroll_down(EVENTS_PAGE),
            KeyCode::Home => self.scroll = 0,
            KeyCode::End => self.scroll_down(usize::MAX),
            KeyCode::Char('p') if self.snapshot.paused => return Some(Command::Resume.into()),
            KeyCode::Char('p') => return Some(Command::Pause.into()),
            KeyCode::Char('f') if self.snapshot.frozen.is_some() => {
                return Some(Command::Unfreeze.into());
            }
            KeyCode::Char('f') => return Some(Command::Freeze.into()),
            KeyCode::Char('a') => self.mode = InputMode::Announce(String::new()),
            KeyCode::Char('u') => {
                if let Some(team) = self.selected.clone() {
                    let text = String::new();
                    self.mode = InputMode::Url { team, text };
                }
            }
            KeyCode::Char('q') => self.mode = InputMode::ConfirmQuit,
            _ => {}
        }
        None
    }

    /// Asks the game to send `team`'s load to `url`; what its check finds comes back later.
    fn set_url(&mut self, team: String, url: String) -> Control {
        let (reply, answer) = oneshot::channel();
        self.notice = Some(format!("{team}: checking {url}…"));
        self.pending = Some((team.clone(), answer));
        Control::Command(Command::SetUrl { team, url }, Reply::Check(reply))
    }

    /// Moves the selection `step` rows down the board (up when negative), stopping at the ends.
    fn select_by(&mut self, step: isize) {
        let teams = &self.snapshot.teams;
        let Some(last) = teams.len().checked_sub(1) else {
            return;
        };
        let index = match self.selected_index() {
            Some(i) => i.saturating_add_signed(step).min(last),
            None => 0,
        };
        if self.selected.as_deref() != Some(teams[index].team.as_str()) {
            self.selected = Some(teams[index].team.clone());
            self.scroll = 0;
        }
    }

    /// Scrolls toward older events, keeping at least the oldest one in view.
    fn scroll_down(&mut self, by: usize) {
        let events = self
            .selected_index()
            .map_or(0, |i| self.snapshot.teams[i].recent.len());
        self.scroll = self.scroll.saturating_add(by).min(events.saturating_sub(1));
    }
}

/// What a key did to a line being typed.
enum Typed {
    More(String),
    /// Enter, with something typed (trimmed).
    Done(String),
    /// Esc, or Enter on nothing.
    Dropped,
}

fn typed(mut text: String, key: KeyEvent) -> Typed {
    match key.code {
        KeyCode::Esc => return Typed::Dropped,
        KeyCode::Enter => {
            let text = text.trim();
            return match text.is_empty() {
                true => Typed::Dropped,
                false => Typed::Done(text.to_owned()),
            };
        }
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            text.push(c)
        }
        _ => {}
    }
    Typed::More(text)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::live::{Snapshot, TeamRow};

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn app(teams: &[&str]) -> App {
        let teams = teams
            .iter()
            .map(|name| TeamRow {
                team: name.to_string(),
                ..TeamRow::default()
            })
            .collect();
        App::new(Arc::new(Snapshot {
            teams,
            ..Snapshot::default()
        }))
    }

    #[test]
    fn selection_stops_at_the_ends_of_the_board() {
        let mut app = app(&["a", "b"]);
        app.handle_key(key(KeyCode::Up));
        assert_eq!(app.selected(), Some("a"));
        app.handle_key(key(KeyCode::Down));
        app.handle_key(key(KeyCode::Down));
        assert_eq!(app.selected(), Some("b"));
    }

    #[test]
    fn an_empty_board_ignores_selection_and_scrolling() {
        let mut app = app(&[]);
        app.handle_key(key(KeyCode::Down));
        app.handle_key(key(KeyCode::PageDown));
        assert_eq!((app.selected(), app.scroll()), (None, 0));
    }

    #[test]
    fn backspace_and_blank_announcements() {
        let mut app = app(&["a"]);
        app.handle_key(key(KeyCode::Char('a')));
        for c in "hix".chars() {
            app.handle_key(key(KeyCode::Char(c)));
        }
        app.handle_key(key(KeyCode::Backspace));
        assert_eq!(app.mode(), &InputMode::Announce("hi".into()));
        for _ in 0..3 {
            app.handle_key(key(KeyCode::Backspace));
        }
        app.handle_key(key(KeyCode::Char(' ')));
        assert!(app.handle_key(key(KeyCode::Enter)).is_none());
        assert_eq!(app.mode(), &InputMode::Normal);
    }

    #[test]
    fn key_releases_are_ignored() {
        let mut app = app(&["a"]);
        let mut release = key(KeyCode::Char('q'));
        release.kind = KeyEventKind::Release;
        app.handle_key(release);
        assert_eq!(app.mode(), &InputMode::Normal);
    }

    #[test]
    fn u_sets_the_selected_teams_endpoint_and_shows_what_its_check_found() {
        let mut app = app(&["a", "b"]);
        app.handle_key(key(KeyCode::Down));
        app.handle_key(key(KeyCode::Char('u')));
        for c in " http://b.example/ ".chars() {
            app.handle_key(key(KeyCode::Char(c)));
        }
        let Some(Control::Command(Command::SetUrl { team, url }, Reply::Check(reply))) =
            app.handle_key(key(KeyCode::Enter))
        else {
            panic!("Enter sends the URL");
        };
        assert_eq!((team.as_str(), url.as_str()), ("b", "http://b.example/"));
        assert_eq!(app.mode(), &InputMode::Normal);
        assert!(!app.poll_answers(), "no answer yet");
        let check = scoreboard_domain::projection::EndpointCheck {
            at: scoreboard_domain::GameTime(5000),
            passed: false,
            text: "connection refused: nothing listens on 127.0.0.1:9".into(),
        };
        reply.send(Ok(check)).unwrap();
        assert!(app.poll_answers());
        let notice = app.notice.clone().unwrap();
        assert!(
            notice.contains("check failed: connection refused"),
            "{notice}"
        );
        // Esc drops a URL being typed.
        app.handle_key(key(KeyCode::Char('u')));
        app.handle_key(key(KeyCode::Char('x')));
        assert!(app.handle_key(key(KeyCode::Esc)).is_none());
        assert_eq!(app.mode(), &InputMode::Normal);
    }
}
