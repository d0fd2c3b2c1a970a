//! The post-game report (`gameday report`, `/report`): one self-contained HTML file (inline
//! CSS and SVG, nothing fetched) drawn from the game's projection: the final table, the score
//! race, each team's health over time with the game's markers, fairness, why teams lost
//! points, and the timeline. The public see only the table, the race and the announcements,
//! as of the freeze when the board is frozen.

mod charts;
mod page;
mod source;

use scoreboard_domain::projection::Series;
use scoreboard_domain::{GameProjection, GameTime, Leaderboard, Points, Rules, TeamState};

/// Points a chart has at most along its time axis.
pub const CHART_POINTS: usize = 240;
/// Teams the race names in its legend.
pub const RACE_LEGEND: usize = 10;

/// Why a report could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum DebriefError {
    #[error("drawing a chart: {0}")]
    Chart(String),
}

/// What a marker on the charts stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MarkerKind {
    Announcement,
    Fault,
    Step,
    Url,
    Pause,
    Organizer,
}

impl MarkerKind {
    pub fn name(self) -> &'static str {
        match self {
            MarkerKind::Announcement => "announcement",
            MarkerKind::Fault => "fault",
            MarkerKind::Step => "step",
            MarkerKind::Url => "url",
            MarkerKind::Pause => "pause",
            MarkerKind::Organizer => "organizer",
        }
    }

    fn colour(self) -> &'static str {
        match self {
            MarkerKind::Announcement => "#1f77b4",
            MarkerKind::Fault => "#d62728",
            MarkerKind::Step => "#2ca02c",
            MarkerKind::Url => "#9467bd",
            MarkerKind::Pause => "#7f7f7f",
            MarkerKind::Organizer => "#ff7f0e",
        }
    }

    /// Whether the public may see it.
    fn public(self) -> bool {
        matches!(self, MarkerKind::Announcement | MarkerKind::Pause)
    }
}

/// Something that happened at a moment of the game, drawn on the charts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    pub at: GameTime,
    pub kind: MarkerKind,
    /// The team it concerns, or `None` for every team.
    pub team: Option<String>,
    pub text: String,
}

/// Who reads the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// The table, the race and the announcements.
    Public,
    /// Everything.
    Organizer,
}

/// What a report is drawn from.
#[derive(Clone, Debug)]
pub struct Debrief<'a> {
    pub game: &'a str,
    pub projection: &'a GameProjection,
    pub rules: &'a Rules,
    /// Markers beyond the projection's own (its organizer events): the ledger's pauses,
    /// announcements and URL changes ([`crate::follower::Follower::markers`]), the scenario's faults and
    /// steps. One source each: the live game's announcements are not added again.
    pub markers: Vec<Marker>,
    pub audience: Audience,
    /// Draw the game only up to here (the public report of a frozen board); `None`: all.
    pub until: Option<GameTime>,
    /// Load worker segments that joined (0 when the game ran its load itself).
    pub workers: usize,
}

/// A team's line in the final table.
#[derive(Clone, Debug)]
pub struct FinalRow<'a> {
    pub rank: u32,
    pub team: &'a str,
    pub score: Points,
    pub state: &'a TeamState,
}

impl<'a> Debrief<'a> {
    /// The whole report as one HTML document.
    pub fn render(&self) -> Result<String, DebriefError> {
        page::render(self)
    }

    /// Where the charts end: the cut, or now.
    fn end(&self) -> GameTime {
        self.until
            .map_or(self.projection.now, |u| u.min(self.projection.now))
    }

    /// The public name of `team`: the projection's (its id until it has one).
    pub fn name<'n>(&'n self, team: &'n str) -> &'n str {
        self.projection.name(team).unwrap_or(team)
    }

    /// Every team by rank, scored up to [`Debrief::end`] when the report is cut.
    pub fn standings(&self) -> Vec<FinalRow<'a>> {
        let p = self.projection;
        let score = |t: &TeamState| match self.until {
            None => t.score,
            Some(until) => score_until(t, until),
        };
        Leaderboard::from_totals(
            p.order()
                .iter()
                .filter_map(|name| Some((name.clone(), score(p.team(name)?), Points(0)))),
        )
        .standings
        .into_iter()
        .filter_map(|s| {
            let (team, state) = p
                .order()
                .iter()
                .find(|n| **n == s.team)
                .and_then(|n| Some((n.as_str(), p.team(n)?)))?;
            Some(FinalRow {
                rank: s.rank,
                team,
                score: s.score,
                state,
            })
        })
        .collect()
    }

    /// A team's charted series, from the start to [`Debrief::end`].
    fn series(&self, state: &TeamState) -> Series {
        state.history.series(GameTime(0), self.end(), CHART_POINTS)
    }

    /// Every marker the audience may see, in time order, up to the end.
    pub fn markers(&self) -> Vec<Marker> {
        let p = self.projection;
        let organizer = p.organizer.iter().map(|e| Marker {
            at: e.at,
            kind: MarkerKind::Organizer,
            team: Some(e.team.clone()),
            text: format!("{} {}: {}", e.points, self.name(&e.team), e.reason),
        });
        let end = self.end();
        let mut all: Vec<Marker> = organizer
            .chain(self.markers.iter().cloned())
            .filter(|m| m.at <= end)
            .filter(|m| self.audience == Audience::Organizer || m.kind.public())
            .collect();
        all.sort_by_key(|a| (a.at, a.kind));
        all.dedup();
        all
    }
}

/// A team's score from the start up to `until` (its bucket included, as in the charts).
fn score_until(t: &TeamState, until: GameTime) -> Points {
    t.history.points_until(until)
}

#[cfg(test)]
mod tests;
