//! Keys: what each one does to the cockpit's state and which control it sends the game.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use std::time::Duration;

use scoreboard_domain::breaks::BreakAction;
use tokio::sync::oneshot;

use super::App;
use super::app::Pending;
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
    /// The organizer is typing a break of the team: an action, then optionally how long
    /// and `tell` (`close_port 2m tell`). Enter sends it, Esc drops it.
    Break { team: String, text: String },
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
            InputMode::Break { team, text } => match typed(text, key) {
                Typed::More(text) => {
                    self.mode = InputMode::Break { team, text };
                    None
                }
                Typed::Done(text) => self.send_break(team, &text),
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
            KeyCode::Char('b') => {
                if let Some(team) = self.selected.clone() {
                    let text = String::new();
                    self.mode = InputMode::Break { team, text };
                }
            }
            KeyCode::Char('r') => {
                if let Some(team) = self.selected.clone() {
                    let what = format!("restore {team}");
                    return Some(self.ask(what, Command::Restore { team: Some(team) }));
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
        self.pending = Some(Pending::Check(team.clone(), answer));
        Control::Command(Command::SetUrl { team, url }, Reply::Check(reply))
    }

    /// Asks the game to break `team` as `text` says (`close_port 2m tell`); a typo is said
    /// at once and nothing is sent.
    fn send_break(&mut self, team: String, text: &str) -> Option<Control> {
        match parse_break(text) {
            Ok((action, lasting, tell)) => {
                let what = format!("break {team}: {}", text.trim());
                let command = Command::Break {
                    team,
                    action,
                    lasting,
                    tell,
                };
                Some(self.ask(what, command))
            }
            Err(why) => {
                self.notice = Some(format!("break {team}: {why}"));
                None
            }
        }
    }

    /// Sends `command`; its answer shows in the footer as `what`'s.
    fn ask(&mut self, what: String, command: Command) -> Control {
        let (reply, answer) = oneshot::channel();
        self.notice = Some(format!("{what}…"));
        self.pending = Some(Pending::Done(what, answer));
        Control::Command(command, Reply::Done(reply))
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

/// A typed break: an action, then optionally a duration (`2m`) and `tell`, in any order.
fn parse_break(text: &str) -> Result<(BreakAction, Option<Duration>, bool), String> {
    let mut words = text.split_whitespace();
    let action = words
        .next()
        .ok_or_else(|| "type an action, e.g. close_port 2m".to_owned())?
        .parse::<BreakAction>()?;
    let (mut lasting, mut tell) = (None, false);
    for word in words {
        match word {
            "tell" => tell = true,
            word => {
                let d = humantime::parse_duration(word)
                    .ok()
                    .filter(|d| !d.is_zero())
                    .ok_or_else(|| {
                        format!("expected a duration like 2m or `tell`, got {word:?}")
                    })?;
                lasting = Some(d);
            }
        }
    }
    Ok((action, lasting, tell))
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

    fn typed_in(app: &mut App, text: &str) -> Option<Control> {
        for c in text.chars() {
            app.handle_key(key(KeyCode::Char(c)));
        }
        app.handle_key(key(KeyCode::Enter))
    }

    #[test]
    fn b_breaks_the_selected_team_as_typed_and_r_restores_it() {
        let mut app = app(&["a", "b"]);
        app.handle_key(key(KeyCode::Down));
        app.handle_key(key(KeyCode::Char('b')));
        let Some(Control::Command(command, Reply::Done(reply))) =
            typed_in(&mut app, "close_port tell 2m")
        else {
            panic!("Enter sends the break");
        };
        let want = Command::Break {
            team: "b".into(),
            action: BreakAction::ClosePort,
            lasting: Some(Duration::from_secs(120)),
            tell: true,
        };
        assert_eq!(command, want);
        reply.send(Ok(())).unwrap();
        assert!(app.poll_answers());
        assert!(app.notice.clone().unwrap().contains("under way"));

        // A typo is said at once; nothing is sent.
        app.handle_key(key(KeyCode::Char('b')));
        assert!(typed_in(&mut app, "unplug").is_none());
        let notice = app.notice.clone().unwrap();
        assert!(notice.contains("expected a break action"), "{notice}");
        app.handle_key(key(KeyCode::Char('b')));
        assert!(typed_in(&mut app, "deny_nacl soon").is_none());
        assert!(app.notice.clone().unwrap().contains("\"soon\""));

        let Some(Control::Command(command, Reply::Done(reply))) =
            app.handle_key(key(KeyCode::Char('r')))
        else {
            panic!("r sends the restore");
        };
        assert_eq!(
            command,
            Command::Restore {
                team: Some("b".into())
            }
        );
        let nothing = crate::live::Refusal::Conflict("nothing of b is broken now".into());
        reply.send(Err(nothing)).unwrap();
        assert!(app.poll_answers());
        let notice = app.notice.clone().unwrap();
        assert_eq!(notice, "restore b: refused: nothing of b is broken now");
    }
}
