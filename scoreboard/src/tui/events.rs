//! The selected team's score events, newest first: time, source, points and the whole
//! reason, wrapped under itself; PgUp and PgDn scroll.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::text::wrap;
use crate::live::TeamRow;
use scoreboard_domain::{ScoreEvent, Source};

const POINTS_WIDTH: usize = 9;
const SOURCE_WIDTH: usize = 9;
/// Reasons get at least this many columns, even when that pushes them past the edge.
const REASON_MIN_WIDTH: usize = 12;

/// The selected team's latest score events, `scroll` events down from the newest.
#[derive(Clone, Copy, Debug)]
pub struct EventList<'a> {
    team: Option<&'a TeamRow>,
    scroll: usize,
}

impl<'a> EventList<'a> {
    pub fn new(team: Option<&'a TeamRow>, scroll: usize) -> EventList<'a> {
        EventList { team, scroll }
    }
}

fn source_color(source: Source) -> Color {
    match source {
        Source::LoadGen => Color::Cyan,
        Source::Billing => Color::Yellow,
        Source::Organizer => Color::Magenta,
        Source::Engine => Color::Gray,
    }
}

/// One event as lines: the columns on the first, the reason wrapped under itself.
fn event_lines(event: &ScoreEvent, time_width: usize, width: usize) -> Vec<Line<'static>> {
    let indent = time_width + 1 + POINTS_WIDTH + 1 + SOURCE_WIDTH + 1;
    let points_style = match event.points.0 {
        0 => Style::new(),
        p if p > 0 => Style::new().green().bold(),
        _ => Style::new().red().bold(),
    };
    let reason = wrap(
        &event.reason,
        width.saturating_sub(indent).max(REASON_MIN_WIDTH),
    );
    let mut reason = reason.into_iter();
    let first = Line::from(vec![
        Span::raw(format!("{:>time_width$} ", event.at.to_string())).dark_gray(),
        Span::styled(
            format!("{:>POINTS_WIDTH$} ", event.points.to_string()),
            points_style,
        ),
        Span::styled(
            format!("{:<SOURCE_WIDTH$} ", event.source.name()),
            Style::new().fg(source_color(event.source)),
        ),
        Span::raw(reason.next().unwrap_or_default()),
    ]);
    let rest = reason.map(|line| Line::from(format!("{:indent$}{line}", "")));
    std::iter::once(first).chain(rest).collect()
}

impl Widget for EventList<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Some(team) = self.team else {
            Paragraph::new(Line::from("no team selected").dark_gray())
                .block(Block::bordered().title(" Events "))
                .render(area, buf);
            return;
        };
        let events = &team.recent;
        let mut block = Block::bordered().title(format!(" Events · {} ", team.public_name()));
        // A team without an endpoint, or whose answers fail, says so (and since when).
        let endpoint = &team.endpoint;
        if endpoint.is_waiting() || endpoint.failing_since.is_some() {
            block = block.title(Line::from(format!(" {} ", endpoint.describe())).yellow());
        }
        let inner = block.inner(area);
        let height = usize::from(inner.height);
        // The newest event has the widest time: the column fits it.
        let time_width = events.first().map_or(5, |e| e.at.to_string().len());
        let first = self.scroll.min(events.len().saturating_sub(1));
        let mut lines: Vec<Line> = Vec::new();
        let mut shown = 0;
        for event in events.iter().skip(first) {
            if lines.len() >= height {
                break;
            }
            lines.extend(event_lines(event, time_width, usize::from(inner.width)));
            shown += 1;
        }
        if events.is_empty() {
            lines.push(Line::from("no score events yet").dark_gray());
        }
        let position = match events.len() {
            0 => String::new(),
            total => format!(" {}–{} of {total} ", first + 1, first + shown),
        };
        let block = block.title_bottom(Line::from(position).right_aligned().dark_gray());
        Paragraph::new(lines).block(block).render(area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scoreboard_domain::{GameTime, Points};

    #[test]
    fn long_reasons_wrap_under_themselves() {
        let event = ScoreEvent {
            at: GameTime(61_000),
            team: "t".into(),
            source: Source::LoadGen,
            points: Points(-2500),
            reason: "3 answers were wrong, e.g. GET /price?sku=9 gave 12".into(),
            kind: scoreboard_domain::EventKind::WrongAnswer,
            count: 3,
            cause: "batch:1".into(),
            seq: 0,
        };
        let lines: Vec<String> = event_lines(&event, 5, 50)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            lines,
            [
                "01:01      -2.5 LoadGen   3 answers were wrong,",
                "                          e.g. GET /price?sku=9",
                "                          gave 12",
            ]
        );
    }
}
