//! What is costing the selected team points: the last five minutes' losses by kind, worst
//! first, each with its points, count and latest reason on one line and the hint under it
//! (with less room, one line a kind: its points, count and hint).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::text::wrap;
use crate::live::TeamRow;
use scoreboard_domain::projection::LossLine;

const POINTS_WIDTH: usize = 8;
/// Kinds shown at most: the worst ones (the team page and the debrief list them all).
const SHOWN: usize = 3;

/// The selected team's losses of the last five minutes.
#[derive(Clone, Copy, Debug)]
pub struct LossPanel<'a> {
    team: Option<&'a TeamRow>,
}

impl<'a> LossPanel<'a> {
    pub fn new(team: Option<&'a TeamRow>) -> LossPanel<'a> {
        LossPanel { team }
    }

    /// The rows the panel wants in an area `width` wide out of `room`: each kind shown with
    /// its hint wrapped under it (one line when nothing was lost) and the borders, never
    /// more than half the room, never less than 3.
    pub fn height(team: Option<&TeamRow>, room: u16, width: u16) -> u16 {
        let inner = usize::from(width.saturating_sub(2));
        let shown = team.map_or(&[][..], |t| &t.losses[..t.losses.len().min(SHOWN)]);
        let lines: usize = shown.iter().map(|l| full_lines(l, inner).len()).sum();
        let lines = u16::try_from(lines.max(1)).unwrap_or(u16::MAX);
        lines.saturating_add(2).min(room / 2).max(3)
    }
}

/// `text` cut to `width` characters, an ellipsis marking the cut.
fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let kept: String = text.chars().take(width.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// A kind's points, count and label, then `rest` (dimmed, or as a hint) clipped to `width`.
fn head_line(loss: &LossLine, width: usize, rest: Span<'static>) -> Line<'static> {
    let what = format!("{} × {}", loss.count, loss.label());
    let used = POINTS_WIDTH + 1 + what.chars().count() + 2;
    let rest = Span::styled(
        format!("  {}", clip(&rest.content, width.saturating_sub(used))),
        rest.style,
    );
    Line::from(vec![
        Span::styled(
            format!("{:>POINTS_WIDTH$} ", loss.points.to_string()),
            Style::new().red().bold(),
        ),
        Span::raw(what).bold(),
        rest,
    ])
}

/// A kind with room: points, count, kind and the latest reason, the hint wrapped under them.
fn full_lines(loss: &LossLine, width: usize) -> Vec<Line<'static>> {
    let example = Span::raw(loss.example.clone()).dark_gray();
    let indent = POINTS_WIDTH + 1;
    let hint = wrap(&loss.hint, width.saturating_sub(indent + 2).max(12));
    std::iter::once(head_line(loss, width, example))
        .chain(hint.into_iter().enumerate().map(|(i, line)| {
            let arrow = if i == 0 { "→ " } else { "  " };
            Line::from(vec![
                Span::raw(format!("{:indent$}{arrow}", "")),
                Span::raw(line).yellow(),
            ])
        }))
        .collect()
}

/// A kind without room: one line, the hint in place of the reason (the events show those).
fn short_line(loss: &LossLine, width: usize) -> Line<'static> {
    head_line(loss, width, Span::raw(format!("→ {}", loss.hint)).yellow())
}

impl Widget for LossPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let block = Block::bordered().title(" Costing points · last 5 minutes ");
        let Some(team) = self.team else {
            Paragraph::new(Line::from("no team selected").dark_gray())
                .block(block)
                .render(area, buf);
            return;
        };
        let inner = block.inner(area);
        let (height, width) = (usize::from(inner.height), usize::from(inner.width));
        let losses = &team.losses[..team.losses.len().min(SHOWN)];
        let full: Vec<Line> = losses.iter().flat_map(|l| full_lines(l, width)).collect();
        let mut lines = if full.len() <= height {
            full
        } else {
            losses.iter().map(|l| short_line(l, width)).collect()
        };
        if losses.is_empty() {
            lines.push(Line::from("nothing lost in the last 5 minutes").green());
        }
        let block = match team.losses.len().saturating_sub(SHOWN) {
            0 => block,
            more => block.title_bottom(
                Line::from(format!(
                    " {more} more {} on the team page ",
                    if more == 1 { "kind" } else { "kinds" }
                ))
                .right_aligned()
                .dark_gray(),
            ),
        };
        Paragraph::new(lines).block(block).render(area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_clipped_with_an_ellipsis() {
        assert_eq!(clip("abcdef", 6), "abcdef");
        assert_eq!(clip("abcdefg", 6), "abcde…");
        assert_eq!(clip("abc", 0), "…");
    }
}
