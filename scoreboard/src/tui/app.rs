//! The cockpit's state: the latest snapshot and what the organizer is looking at, and the
//! screen layout that puts each panel in its place.

use std::sync::Arc;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use super::input::InputMode;
use super::{Board, EventList, Footer, Header, LossPanel, ScoreChart};
use tokio::sync::oneshot;

use crate::live::{CheckReply, Snapshot, TeamRow};

/// From this width on, the events and the charts sit side by side instead of stacked.
const SIDE_BY_SIDE_WIDTH: u16 = 120;

/// The organizer's cockpit: the latest snapshot and the UI state around it.
///
/// [`App::render`] only reads; [`App::handle_key`] and [`App::update`] only write.
#[derive(Debug)]
pub struct App {
    pub(super) snapshot: Arc<Snapshot>,
    /// The selected team by name, so the selection follows the team when ranks change.
    pub(super) selected: Option<String>,
    /// How many of the selected team's events (newest first) are scrolled past.
    pub(super) scroll: usize,
    pub(super) mode: InputMode,
    /// The runner is gone: treated like a game that is over.
    pub(super) gone: bool,
    pub(super) exit: bool,
    /// A request sent to the game, waiting for its answer.
    pub(super) pending: Option<Pending>,
    /// A line for the organizer in place of the keys (the answer to the last request),
    /// until the next key.
    pub(super) notice: Option<String>,
}

/// A request sent to the game whose answer the footer will show.
#[derive(Debug)]
pub(super) enum Pending {
    /// A team's new endpoint: what its check finds.
    Check(String, oneshot::Receiver<CheckReply>),
    /// A break or a restore (in words): done, or refused with why.
    Done(String, oneshot::Receiver<Result<(), crate::live::Refusal>>),
}

impl App {
    /// A cockpit on `snapshot`, with the leading team selected.
    pub fn new(snapshot: Arc<Snapshot>) -> App {
        let mut app = App {
            snapshot: Arc::new(Snapshot::default()),
            selected: None,
            scroll: 0,
            mode: InputMode::Normal,
            gone: false,
            exit: false,
            pending: None,
            notice: None,
        };
        app.update(snapshot);
        app
    }

    /// Shows a newer snapshot. The selected team stays selected wherever it is ranked; when it
    /// left the board, the leader is selected.
    pub fn update(&mut self, snapshot: Arc<Snapshot>) {
        self.snapshot = snapshot;
        let still_there = self
            .selected
            .as_deref()
            .is_some_and(|name| self.snapshot.teams.iter().any(|t| t.team == name));
        if !still_there {
            self.selected = self.snapshot.teams.first().map(|t| t.team.clone());
            self.scroll = 0;
        }
    }

    /// Takes in the answer to the last request (a team's new endpoint, a break, a
    /// restore), once it came; true when it did.
    pub fn poll_answers(&mut self) -> bool {
        let said = match &mut self.pending {
            None => return false,
            Some(Pending::Check(team, answer)) => match answer.try_recv() {
                Err(oneshot::error::TryRecvError::Empty) => return false,
                Err(oneshot::error::TryRecvError::Closed) => {
                    format!("{team}: no answer from the game")
                }
                Ok(Ok(check)) if check.passed => {
                    format!("{team}: endpoint set; check passed: {}", check.text)
                }
                Ok(Ok(check)) => {
                    format!("{team}: endpoint set, but its check failed: {}", check.text)
                }
                Ok(Err(refused)) => format!("{team}: refused: {refused}"),
            },
            Some(Pending::Done(what, answer)) => match answer.try_recv() {
                Err(oneshot::error::TryRecvError::Empty) => return false,
                Err(oneshot::error::TryRecvError::Closed) => {
                    format!("{what}: no answer from the game")
                }
                Ok(Ok(())) => format!("{what}: under way (the log says how it went)"),
                Ok(Err(refused)) => format!("{what}: refused: {refused}"),
            },
        };
        self.notice = Some(said);
        self.pending = None;
        true
    }

    /// The game runner is gone: the cockpit says so and leaves on the next key.
    pub fn game_gone(&mut self) {
        self.gone = true;
    }

    pub fn snapshot(&self) -> &Arc<Snapshot> {
        &self.snapshot
    }

    /// The selected team's name.
    pub fn selected(&self) -> Option<&str> {
        self.selected.as_deref()
    }

    pub fn mode(&self) -> &InputMode {
        &self.mode
    }

    /// How many of the selected team's events are scrolled past.
    pub fn scroll(&self) -> usize {
        self.scroll
    }

    /// The organizer asked to leave (after quitting the game, or after it ended).
    pub fn exit_requested(&self) -> bool {
        self.exit
    }

    /// The game ended or its runner is gone: any key leaves.
    pub fn finished(&self) -> bool {
        self.snapshot.over || self.gone
    }

    /// Where the selected team is on the board.
    pub(super) fn selected_index(&self) -> Option<usize> {
        let name = self.selected.as_deref()?;
        self.snapshot.teams.iter().position(|t| t.team == name)
    }

    fn selected_row(&self) -> Option<&TeamRow> {
        self.selected_index().map(|i| &self.snapshot.teams[i])
    }

    /// Draws the whole screen from the snapshot and the UI state.
    pub fn render(&self, frame: &mut Frame) {
        let row = self.selected_row();
        let screen = Screen::split(frame.area(), self.snapshot.teams.len(), row);
        let snapshot = &self.snapshot;
        frame.render_widget(Header::new(snapshot), screen.header);
        frame.render_widget(
            Board::new(&snapshot.teams, self.selected_index()),
            screen.board,
        );
        frame.render_widget(LossPanel::new(row), screen.losses);
        frame.render_widget(EventList::new(row, self.scroll), screen.events);
        frame.render_widget(ScoreChart::new(row), screen.chart);
        let footer =
            Footer::new(snapshot, &self.mode, self.finished()).with_notice(self.notice.as_deref());
        if let Some(cursor) = footer.cursor(screen.footer) {
            frame.set_cursor_position(cursor);
        }
        frame.render_widget(footer, screen.footer);
    }
}

/// Where each panel goes on a screen of a given size.
struct Screen {
    header: Rect,
    board: Rect,
    /// What is costing the selected team points, above its events.
    losses: Rect,
    events: Rect,
    chart: Rect,
    footer: Rect,
}

impl Screen {
    fn split(area: Rect, teams: usize, selected: Option<&TeamRow>) -> Screen {
        let header_height = Header::HEIGHT;
        // The board takes what its teams need, up to half the room; it scrolls past that.
        let room = area.height.saturating_sub(header_height + Footer::HEIGHT);
        let wanted = u16::try_from(teams).unwrap_or(u16::MAX).saturating_add(3);
        let board_height = wanted.min((room / 2).max(5));
        let [header, board, bottom, footer] = Layout::vertical([
            Constraint::Length(header_height),
            Constraint::Length(board_height),
            Constraint::Min(0),
            Constraint::Length(Footer::HEIGHT),
        ])
        .areas(area);
        let [team, chart] = if area.width >= SIDE_BY_SIDE_WIDTH {
            Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
                .areas(bottom)
        } else {
            let chart_height = (bottom.height / 3).clamp(ScoreChart::MIN_HEIGHT, 10);
            Layout::vertical([Constraint::Min(0), Constraint::Length(chart_height)]).areas(bottom)
        };
        let losses_height = LossPanel::height(selected, team.height, team.width);
        let [losses, events] =
            Layout::vertical([Constraint::Length(losses_height), Constraint::Min(0)]).areas(team);
        Screen {
            header,
            board,
            losses,
            events,
            chart,
            footer,
        }
    }
}
