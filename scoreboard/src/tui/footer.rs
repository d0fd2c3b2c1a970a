//! The bottom line: the keys, the announcement, URL or break being typed, the question being
//! asked, or the answer to the last request.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::input::InputMode;
use super::text::tail;
use crate::live::Snapshot;

const BREAK_PROMPT: &str = "break: action [for] [tell], e.g. close_port 2m (Enter sends): ";
const ANNOUNCE_PROMPT: &str = "announce (Enter sends, Esc cancels): ";
const URL_PROMPT: &str = "endpoint URL (Enter sends, Esc cancels): ";

/// The footer for the cockpit's current mode.
#[derive(Clone, Copy, Debug)]
pub struct Footer<'a> {
    snapshot: &'a Snapshot,
    mode: &'a InputMode,
    finished: bool,
    notice: Option<&'a str>,
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
            notice: None,
        }
    }

    /// With this line in place of the keys (the answer to the last request).
    pub fn with_notice(mut self, notice: Option<&'a str>) -> Footer<'a> {
        self.notice = notice;
        self
    }

    /// The prompt and the text being typed, if anything is.
    fn typing(&self) -> Option<(&'static str, &'a str)> {
        match self.mode {
            InputMode::Announce(text) => Some((ANNOUNCE_PROMPT, text)),
            InputMode::Url { text, .. } => Some((URL_PROMPT, text)),
            InputMode::Break { text, .. } => Some((BREAK_PROMPT, text)),
            InputMode::Normal | InputMode::ConfirmQuit => None,
        }
    }

    /// Where the terminal cursor goes: after the announcement being typed.
    pub fn cursor(&self, area: Rect) -> Option<Position> {
        let (prompt, text) = self.typing()?;
        if self.finished || area.is_empty() {
            return None;
        }
        let prompt = prompt.chars().count();
        let typed = tail(text, self.input_width(area)).chars().count();
        let x = u16::try_from(prompt + typed).unwrap_or(u16::MAX);
        Some(Position::new(
            area.x.saturating_add(x).min(area.right() - 1),
            area.y,
        ))
    }

    /// Columns left for the typed text, one kept for the cursor.
    fn input_width(&self, area: Rect) -> usize {
        let prompt = self.typing().map_or(0, |(p, _)| p.chars().count());
        usize::from(area.width)
            .saturating_sub(prompt)
            .saturating_sub(1)
    }

    /// The keys, as they fit in `width` columns.
    fn keys(&self, width: u16) -> Line<'static> {
        let pause = if self.snapshot.paused {
            "resume"
        } else {
            "pause"
        };
        let freeze = if self.snapshot.frozen.is_some() {
            "unfreeze"
        } else {
            "freeze"
        };
        let keys = [
            ("↑/↓", "team"),
            ("PgUp/PgDn", "events"),
            ("p", pause),
            ("f", freeze),
            ("a", "announce"),
            ("u", "endpoint"),
            ("b", "break"),
            ("r", "restore"),
            ("q", "quit"),
        ];
        let wide: usize = keys
            .iter()
            .map(|(k, w)| k.chars().count() + w.len() + 3)
            .sum();
        // Too narrow for every key at two spaces apart: one space, the shortest words, and
        // no scrolling hint (an 80-column terminal still shows every command).
        let (gap, keys) = if usize::from(width) + 2 >= wide {
            ("  ", keys.to_vec())
        } else {
            let short = keys.into_iter().filter(|(k, _)| *k != "PgUp/PgDn");
            let short = short.map(|(k, w)| match k {
                "↑/↓" => ("↑↓", w),
                "u" => (k, "url"),
                _ => (k, w),
            });
            (" ", short.collect())
        };
        let mut spans = Vec::new();
        for (key, what) in keys {
            if !spans.is_empty() {
                spans.push(Span::raw(gap));
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
        if let Some((prompt, text)) = self.typing() {
            return Line::from(vec![
                Span::raw(prompt).magenta().bold(),
                Span::raw(tail(text, self.input_width(area))),
            ]);
        }
        match self.mode {
            InputMode::Normal => match self.notice {
                Some(notice) => Line::from(notice.to_owned()).yellow(),
                None => self.keys(area.width),
            },
            InputMode::Announce(_) | InputMode::Url { .. } | InputMode::Break { .. } => {
                Line::default()
            }
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
