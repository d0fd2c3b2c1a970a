//! The bottom line: the keys, the announcement being typed, or the question being asked.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::input::InputMode;
use super::text::tail;
use crate::live::Snapshot;

const ANNOUNCE_PROMPT: &str = "announce (Enter sends, Esc cancels): ";

/// The footer for the cockpit's current mode.
#[derive(Clone, Copy, Debug)]
pub struct Footer<'a> {
    snapshot: &'a Snapshot,
    mode: &'a InputMode,
    finished: bool,
}

impl<'a> Footer<'a> {
    /// Lines the footer takes.
    pub const HEIGHT: u16 = 1;

    /// `finished`: the game is over or gone, and any key leaves.
    pub fn new(snapshot: &'a Snapshot, mode: &'a InputMode, finished: bool) -> Footer<'a> {
        Footer {
            snapshot,
            mode,
            finished,
        }
    }

    /// Where the terminal cursor goes: after the announcement being typed.
    pub fn cursor(&self, area: Rect) -> Option<Position> {
        let InputMode::Announce(text) = self.mode else {
            return None;
        };
        if self.finished || area.is_empty() {
            return None;
        }
        let prompt = ANNOUNCE_PROMPT.chars().count();
        let typed = tail(text, self.input_width(area)).chars().count();
        let x = u16::try_from(prompt + typed).unwrap_or(u16::MAX);
        Some(Position::new(
            area.x.saturating_add(x).min(area.right() - 1),
            area.y,
        ))
    }

    /// Columns left for the typed text, one kept for the cursor.
    fn input_width(&self, area: Rect) -> usize {
        usize::from(area.width)
            .saturating_sub(ANNOUNCE_PROMPT.chars().count())
            .saturating_sub(1)
    }

    fn keys(&self) -> Line<'static> {
        let pause = if self.snapshot.paused {
            "resume"
        } else {
            "pause"
        };
        let freeze = if self.snapshot.frozen {
            "unfreeze"
        } else {
            "freeze"
        };
        let mut spans = Vec::new();
        for (key, what) in [
            ("↑/↓", "team"),
            ("PgUp/PgDn", "events"),
            ("p", pause),
            ("f", freeze),
            ("a", "announce"),
            ("q", "quit"),
        ] {
            if !spans.is_empty() {
                spans.push(Span::raw("  "));
            }
            spans.push(Span::raw(key).cyan().bold());
            spans.push(Span::raw(format!(" {what}")));
        }
        Line::from(spans)
    }

    fn line(&self, area: Rect) -> Line<'a> {
        if self.finished {
            let what = if self.snapshot.over {
                "game over"
            } else {
                "the game is gone"
            };
            return Line::from(format!("{what} — press any key")).red().bold();
        }
        match self.mode {
            InputMode::Normal => self.keys(),
            InputMode::Announce(text) => Line::from(vec![
                Span::raw(ANNOUNCE_PROMPT).magenta().bold(),
                Span::raw(tail(text, self.input_width(area))),
            ]),
            InputMode::ConfirmQuit => Line::from(vec![
                Span::styled(
                    "End the game for everyone?",
                    Style::new().fg(Color::Red).bold(),
                ),
                Span::raw(" y ends it · any other key cancels"),
            ]),
        }
    }
}

impl Widget for Footer<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Paragraph::new(self.line(area)).render(area, buf);
    }
}
