//! What is costing the selected team points: the last five minutes' losses by kind, worst
//! first, each with its points, count and latest reason on one line and the hint under it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use crate::live::TeamRow;
use crate::projection::LossLine;

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

    /// The rows the panel wants out of `room`: two per kind shown (one when nothing was
    /// lost) and its borders, never more than half the room, never less than 3.
    pub fn height(team: Option<&TeamRow>, room: u16) -> u16 {
        let kinds = team.map_or(0, |t| t.losses.len().min(SHOWN)) as u16;
        (2 + (2 * kinds).max(1)).min(room / 2).max(3)
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

/// A loss as its lines: points, count and kind, and the latest reason; the hint under them
/// (when `hint` is true).
fn loss_lines(loss: &LossLine, width: usize, hint: bool) -> Vec<Line<'static>> {
    let what = format!("{} × {}", loss.count, loss.kind.label());
    let used = POINTS_WIDTH + 1 + what.chars().count() + 2;
    let example = clip(&loss.example, width.saturating_sub(used));
    let first = Line::from(vec![
        Span::styled(
            format!("{:>POINTS_WIDTH$} ", loss.points.to_string()),
            Style::new().red().bold(),
        ),
        Span::raw(what).bold(),
        Span::raw(format!("  {example}")).dark_gray(),
    ]);
    if !hint {
        return vec![first];
    }
    let indent = POINTS_WIDTH + 1;
    let hint = clip(&loss.hint, width.saturating_sub(indent + 2));
    vec![
        first,
        Line::from(vec![
            Span::raw(format!("{:indent$}→ ", "")),
            Span::raw(hint).yellow(),
        ]),
    ]
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
        // The hints when every shown kind has room for one; else one line per kind.
        let hints = height >= 2 * losses.len();
        let mut lines: Vec<Line> = losses
            .iter()
            .flat_map(|l| loss_lines(l, width, hints))
            .take(height)
            .collect();
        if losses.is_empty() {
            lines.push(Line::from("nothing lost in the last 5 minutes").green());
        }
        let more = team.losses.len().saturating_sub(SHOWN);
        let block = if more > 0 {
            block.title_bottom(
                Line::from(format!(" {more} more kinds on the team page "))
                    .right_aligned()
                    .dark_gray(),
            )
        } else {
            block
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
