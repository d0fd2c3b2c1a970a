//! The header: game name, clock, load phase, the game's state and the latest announcement.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::live::Snapshot;
use scoreboard_domain::GameTime;

/// The top lines of the cockpit.
#[derive(Clone, Copy, Debug)]
pub struct Header<'a> {
    snapshot: &'a Snapshot,
}

impl<'a> Header<'a> {
    /// Lines the header takes.
    pub const HEIGHT: u16 = 3;

    pub fn new(snapshot: &'a Snapshot) -> Header<'a> {
        Header { snapshot }
    }

    fn title(&self) -> Line<'a> {
        let s = self.snapshot;
        let duration = GameTime::from_duration(s.duration);
        let left = GameTime::from_duration(s.duration.saturating_sub(s.now.as_duration()));
        Line::from(vec![
            Span::from(s.game.as_str()).bold(),
            Span::raw("  "),
            Span::from(s.now.to_string()).bold(),
            Span::raw(format!(" / {duration}  ({left} left)")),
        ])
    }

    /// The game's states worth shouting about, as badges.
    fn badges(&self) -> Line<'static> {
        let s = self.snapshot;
        let badge = |text: &'static str, bg: Color| {
            Span::styled(
                format!(" {text} "),
                Style::new().fg(Color::Black).bg(bg).bold(),
            )
        };
        let mut spans = Vec::new();
        for (on, text, bg) in [
            (s.paused, "PAUSED", Color::Yellow),
            (s.frozen.is_some(), "FROZEN", Color::Cyan),
            (s.over, "GAME OVER", Color::Red),
            (
                s.ledger.down_since_unix_ms.is_some(),
                "LEDGER DOWN",
                Color::Red,
            ),
        ] {
            if on {
                spans.push(Span::raw(" "));
                spans.push(badge(text, bg));
            }
        }
        Line::from(spans).right_aligned()
    }

    fn load(&self) -> Line<'a> {
        let s = self.snapshot;
        let mut spans = Vec::new();
        if !s.load.phase.is_empty() {
            spans.push(Span::raw(s.load.phase.as_str()));
            spans.push(Span::raw(" · ").dark_gray());
        }
        spans.push(Span::raw("offered "));
        spans.push(Span::raw(s.load.offered.as_str()).bold());
        Line::from(spans)
    }

    /// The latest announcement, unless the ledger is down: that matters more to the
    /// organizer.
    fn announcement(&self) -> Line<'a> {
        if let Some(warning) = self.snapshot.ledger.warning() {
            return Line::from(vec![
                Span::raw("! ").red().bold(),
                Span::raw(warning).red().bold(),
            ]);
        }
        match self.snapshot.announcements.last() {
            Some(a) => Line::from(vec![
                Span::raw("» ").magenta().bold(),
                Span::raw(a.at.to_string()).dark_gray(),
                Span::raw(" "),
                Span::raw(a.text.as_str()).magenta(),
            ]),
            None => Line::from("no announcements yet").dark_gray(),
        }
    }
}

impl Widget for Header<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let [first, load, announcement] = Layout::vertical([Constraint::Length(1); 3]).areas(area);
        Paragraph::new(self.title()).render(first, buf);
        // Drawn after the title so the state stays visible when the line is too short.
        let badges = self.badges();
        let badges_width = u16::try_from(badges.width()).unwrap_or(u16::MAX);
        let [_, badges_area] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(badges_width)]).areas(first);
        badges.render(badges_area, buf);
        Paragraph::new(self.load()).render(load, buf);
        Paragraph::new(self.announcement()).render(announcement, buf);
    }
}
