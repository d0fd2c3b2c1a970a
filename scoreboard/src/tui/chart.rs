//! The selected team's score and p99 latency over the last ticks, as sparklines.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Sparkline, Widget};

use super::text::latency;
use crate::live::TeamRow;

/// Columns the label takes when it shares its line with the sparkline.
const LABEL_WIDTH: u16 = 16;

/// Two sparklines for the selected team: score and p99, oldest tick on the left.
#[derive(Clone, Copy, Debug)]
pub struct ScoreChart<'a> {
    team: Option<&'a TeamRow>,
}

impl<'a> ScoreChart<'a> {
    /// Lines the chart needs: its borders and one line per sparkline.
    pub const MIN_HEIGHT: u16 = 4;

    pub fn new(team: Option<&'a TeamRow>) -> ScoreChart<'a> {
        ScoreChart { team }
    }
}

/// The last `width` values as bar heights: the newest ticks are the ones worth the room,
/// and the bars start a little below the lowest value shown, so scores can be negative and
/// the lowest tick still shows.
fn bars(values: &[i64], width: u16) -> Vec<u64> {
    let shown = &values[values.len().saturating_sub(usize::from(width))..];
    let lowest = shown.iter().copied().min().unwrap_or(0);
    let highest = shown.iter().copied().max().unwrap_or(0);
    let floor = (highest.abs_diff(lowest) / 8).max(1);
    shown.iter().map(|v| v.abs_diff(lowest) + floor).collect()
}

/// A label and its sparkline: the label on its own line when there is height for it,
/// otherwise at the left of the sparkline.
fn render_series(label: Line, values: &[i64], color: Color, area: Rect, buf: &mut Buffer) {
    let (label_area, spark_area) = if area.height >= 2 {
        let [top, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        (top, rest)
    } else {
        let [left, rest] =
            Layout::horizontal([Constraint::Length(LABEL_WIDTH), Constraint::Min(0)]).areas(area);
        (left, rest)
    };
    Paragraph::new(label).render(label_area, buf);
    Sparkline::default()
        .data(bars(values, spark_area.width))
        .style(Style::new().fg(color))
        .render(spark_area, buf);
}

impl Widget for ScoreChart<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Some(team) = self.team else {
            Block::bordered().title(" Charts ").render(area, buf);
            return;
        };
        let block = Block::bordered().title(format!(" {} · score and p99 ", team.public_name()));
        let inner = block.inner(area);
        block.render(area, buf);
        let [score_area, p99_area] =
            Layout::vertical([Constraint::Fill(1), Constraint::Fill(1)]).areas(inner);
        let scores: Vec<i64> = team.charts.score.iter().map(|(_, p)| p.0).collect();
        let score_label = Line::from(vec![
            Span::raw("score ").dark_gray(),
            Span::raw(team.score.to_string()).bold(),
        ]);
        render_series(score_label, &scores, Color::Green, score_area, buf);
        let p99s: Vec<i64> = (team.charts.p99.iter())
            .map(|(_, d)| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
            .collect();
        let p99_label = Line::from(vec![
            Span::raw("p99 ").dark_gray(),
            Span::raw(latency(team.tick.p99)).bold(),
        ]);
        render_series(p99_label, &p99s, Color::Yellow, p99_area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_keep_the_newest_values_above_the_lowest_shown() {
        assert_eq!(bars(&[100, -5, -3, 4], 3), [1, 3, 10]);
        assert_eq!(bars(&[-20, 60], 10), [10, 90]);
        assert_eq!(bars(&[7], 10), [1]);
        assert!(bars(&[], 10).is_empty());
    }
}
