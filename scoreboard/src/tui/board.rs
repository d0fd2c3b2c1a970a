//! The scoreboard table: every team by rank with its score, trend, answers, latency and
//! spend; columns of least use give way first on a narrow terminal.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{
    Block, Cell, HighlightSpacing, Row, StatefulWidget, Table, TableState, Widget,
};

use super::text::latency;
use crate::live::TeamRow;

/// The style of the selected team's row (tests look for it).
pub const SELECTED_ROW: Style = Style::new().add_modifier(Modifier::REVERSED.union(Modifier::BOLD));

const HIGHLIGHT_SYMBOL: &str = "▶ ";

/// The team column never gets narrower than this while another column can give way.
const TEAM_MIN_WIDTH: u16 = 16;
/// Longer team names are cut: the numbers matter more.
const TEAM_MAX_WIDTH: u16 = 32;
/// Columns apart on a screen with room to spare.
const WIDE_SPACING: u16 = 3;

/// The board of every team, by rank, with one row selected.
#[derive(Clone, Copy, Debug)]
pub struct Board<'a> {
    teams: &'a [TeamRow],
    selected: Option<usize>,
}

impl<'a> Board<'a> {
    /// `teams` in rank order, as the snapshot holds them; `selected` indexes into it.
    pub fn new(teams: &'a [TeamRow], selected: Option<usize>) -> Board<'a> {
        Board { teams, selected }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Rank,
    Team,
    Score,
    Trend,
    CorrectPerS,
    ErrorPct,
    P50,
    P99,
    Instances,
    Spent,
}

impl Column {
    const ALL: [Column; 10] = [
        Column::Rank,
        Column::Team,
        Column::Score,
        Column::Trend,
        Column::CorrectPerS,
        Column::ErrorPct,
        Column::P50,
        Column::P99,
        Column::Instances,
        Column::Spent,
    ];

    /// The columns that give way on a narrow screen, first to go first.
    const GIVE_WAY: [Column; 7] = [
        Column::P50,
        Column::Instances,
        Column::Trend,
        Column::P99,
        Column::CorrectPerS,
        Column::Spent,
        Column::ErrorPct,
    ];

    fn title(self) -> &'static str {
        match self {
            Column::Rank => "#",
            Column::Team => "team",
            Column::Score => "score",
            Column::Trend => "5 min",
            Column::CorrectPerS => "ok/s",
            Column::ErrorPct => "err%",
            Column::P50 => "p50",
            Column::P99 => "p99",
            Column::Instances => "inst",
            Column::Spent => "spent",
        }
    }

    /// Fixed width; the team column takes the rest.
    fn width(self) -> u16 {
        match self {
            Column::Rank => 3,
            Column::Team => TEAM_MIN_WIDTH,
            Column::Score => 10,
            Column::Trend => 8,
            Column::CorrectPerS => 7,
            Column::ErrorPct => 6,
            Column::P50 | Column::P99 => 7,
            Column::Instances => 4,
            Column::Spent => 9,
        }
    }

    fn constraint(self, team_width: u16) -> Constraint {
        match self {
            Column::Team => Constraint::Length(team_width),
            other => Constraint::Length(other.width()),
        }
    }

    fn header(self) -> Cell<'static> {
        match self {
            Column::Team => Cell::from(self.title()),
            _ => Cell::from(Line::from(self.title()).right_aligned()),
        }
    }

    fn cell(self, row: &TeamRow) -> Cell<'_> {
        let right = |text: String| Line::from(text).right_aligned();
        let waiting = row.endpoint.is_waiting();
        let line = match self {
            // No endpoint yet: no load, so no rates to show.
            Column::CorrectPerS if waiting => right("waiting".into()).yellow(),
            Column::ErrorPct | Column::P50 | Column::P99 if waiting => {
                right("–".into()).dark_gray()
            }
            Column::Rank => right(row.rank.to_string()),
            Column::Team => Line::from(row.public_name()),
            Column::Score => right(row.score.to_string()).bold(),
            Column::Trend => match row.trend.0 {
                0 => right(row.trend.to_string()),
                t if t > 0 => right(row.trend.to_string()).green(),
                _ => right(row.trend.to_string()).red(),
            },
            Column::CorrectPerS => right(format!("{:.1}", row.tick.correct_per_s)),
            Column::ErrorPct if row.tick.error_pct > 0.0 => {
                right(format!("{:.1}", row.tick.error_pct)).red()
            }
            Column::ErrorPct => right(format!("{:.1}", row.tick.error_pct)),
            Column::P50 => right(latency(row.tick.p50)),
            Column::P99 => right(latency(row.tick.p99)),
            Column::Instances => right(row.instances.to_string()),
            Column::Spent => right(row.cost.to_string()),
        };
        Cell::from(line)
    }

    /// The columns that fit in `width`, giving way in [`Column::GIVE_WAY`] order.
    fn fitting(width: u16) -> Vec<Column> {
        let mut columns = Column::ALL.to_vec();
        for column in Column::GIVE_WAY {
            if needed(&columns, 1) <= width {
                break;
            }
            columns.retain(|c| *c != column);
        }
        columns
    }
}

/// Columns the table needs with the team column at its narrowest.
fn needed(columns: &[Column], spacing: u16) -> u16 {
    let widths: u16 = columns.iter().map(|c| c.width()).sum();
    let gaps = u16::try_from(columns.len().saturating_sub(1)).unwrap_or(u16::MAX);
    widths + gaps * spacing
}

/// How the fitting columns use the width: the team column as wide as the longest name
/// allows, and wider gaps when there is room to spare.
fn spread(columns: &[Column], width: u16, longest_name: usize) -> (u16, u16) {
    let spacing = if needed(columns, WIDE_SPACING) <= width {
        WIDE_SPACING
    } else {
        1
    };
    let spare = width.saturating_sub(needed(columns, spacing));
    let longest = u16::try_from(longest_name).unwrap_or(u16::MAX);
    let team_width = longest.clamp(TEAM_MIN_WIDTH, TEAM_MAX_WIDTH.max(TEAM_MIN_WIDTH));
    (team_width.min(TEAM_MIN_WIDTH + spare), spacing)
}

impl Widget for Board<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let block = Block::bordered().title(" Board ");
        let symbol_width = u16::try_from(HIGHLIGHT_SYMBOL.chars().count()).unwrap_or(0);
        let inner_width = block.inner(area).width.saturating_sub(symbol_width);
        let columns = Column::fitting(inner_width);
        let longest_name = self
            .teams
            .iter()
            .map(|t| t.public_name().chars().count())
            .max();
        let (team_width, spacing) = spread(&columns, inner_width, longest_name.unwrap_or(0));
        let header = Row::new(columns.iter().map(|c| c.header()))
            .bold()
            .underlined();
        let rows = self
            .teams
            .iter()
            .map(|team| Row::new(columns.iter().map(|c| c.cell(team))));
        let widths = columns.iter().map(|c| c.constraint(team_width));
        let table = Table::new(rows, widths)
            .column_spacing(spacing)
            .header(header)
            .block(block)
            .row_highlight_style(SELECTED_ROW)
            .highlight_symbol(HIGHLIGHT_SYMBOL)
            .highlight_spacing(HighlightSpacing::Always);
        let mut state = TableState::default().with_selected(self.selected);
        StatefulWidget::render(table, area, buf, &mut state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_screens_drop_p50_instances_and_trend_first() {
        assert_eq!(Column::fitting(200), Column::ALL);
        let at_80 = Column::fitting(76);
        assert!(!at_80.contains(&Column::P50));
        assert!(!at_80.contains(&Column::Instances));
        assert!(at_80.contains(&Column::P99) && at_80.contains(&Column::Spent));
        let tiny = Column::fitting(30);
        assert_eq!(tiny, [Column::Rank, Column::Team, Column::Score]);
    }

    #[test]
    fn the_team_column_fits_the_longest_name_within_bounds() {
        let all = Column::ALL;
        assert_eq!(spread(&all, 200, 10), (TEAM_MIN_WIDTH, WIDE_SPACING));
        assert_eq!(spread(&all, 200, 20), (20, WIDE_SPACING));
        assert_eq!(spread(&all, 200, 90), (TEAM_MAX_WIDTH, WIDE_SPACING));
        let at_80 = Column::fitting(76);
        let (team, spacing) = spread(&at_80, 76, 40);
        assert_eq!(spacing, 1);
        assert_eq!(needed(&at_80, 1) - TEAM_MIN_WIDTH + team, 76);
    }
}
