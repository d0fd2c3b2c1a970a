//! The leaderboard: each team's total, its rank (ties share a rank), and its trend.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::{GameTime, Points, ScoreEvent};

/// One team's line on the board.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    /// 1 for the best; teams with equal scores share a rank (1, 1, 3).
    pub rank: u32,
    pub team: String,
    pub score: Points,
    /// Points over the trend window ending now.
    pub trend: Points,
}

/// Teams ranked by score.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Leaderboard {
    pub standings: Vec<Standing>,
}

impl Leaderboard {
    /// The trend window of the story's dashboard.
    pub const TREND_WINDOW: Duration = Duration::from_secs(5 * 60);

    /// Ranks `teams` (a team with no event yet has 0) from their events up to `now`.
    pub fn compute<'a>(
        teams: impl IntoIterator<Item = &'a str>,
        events: impl IntoIterator<Item = &'a ScoreEvent>,
        now: GameTime,
        window: Duration,
    ) -> Leaderboard {
        let mut totals: BTreeMap<&str, (Points, Points)> = teams
            .into_iter()
            .map(|t| (t, (Points(0), Points(0))))
            .collect();
        let window = window.as_millis() as u64;
        for e in events {
            if e.at > now {
                continue;
            }
            let entry = totals.entry(&e.team).or_default();
            entry.0 += e.points;
            // Within the window ending now (events at time 0 count in the first minutes).
            if e.at.0 + window > now.0 {
                entry.1 += e.points;
            }
        }
        Leaderboard::from_totals(
            totals
                .into_iter()
                .map(|(team, (score, trend))| (team.to_owned(), score, trend)),
        )
    }

    /// Ranks teams given as (team, score, trend): best score first, ties share a rank
    /// (and are listed by name).
    pub fn from_totals(totals: impl IntoIterator<Item = (String, Points, Points)>) -> Leaderboard {
        let mut standings: Vec<Standing> = totals
            .into_iter()
            .map(|(team, score, trend)| Standing {
                rank: 0,
                team,
                score,
                trend,
            })
            .collect();
        standings.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.team.cmp(&b.team)));
        for i in 0..standings.len() {
            standings[i].rank = if i > 0 && standings[i].score == standings[i - 1].score {
                standings[i - 1].rank
            } else {
                i as u32 + 1
            };
        }
        Leaderboard { standings }
    }

    /// The standing of `team`.
    pub fn get(&self, team: &str) -> Option<&Standing> {
        self.standings.iter().find(|s| s.team == team)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Source;

    fn ev(team: &str, at_s: u64, points: i64) -> ScoreEvent {
        ScoreEvent {
            at: GameTime(at_s * 1000),
            team: team.into(),
            source: Source::LoadGen,
            points: Points::whole(points),
            reason: String::new(),
            cause: format!("{team}{at_s}"),
            seq: 0,
        }
    }

    #[test]
    fn ties_share_a_rank_and_trend_covers_the_window() {
        let events = [
            ev("a", 10, 5),
            ev("b", 20, 5),
            ev("c", 400, 9),
            ev("c", 30, -1),
            ev("d", 900, 100),
        ];
        let board = Leaderboard::compute(
            ["a", "b", "c", "e"],
            &events,
            GameTime(600_000),
            Leaderboard::TREND_WINDOW,
        );
        let ranks: Vec<(u32, &str, i64)> = board
            .standings
            .iter()
            .map(|s| (s.rank, s.team.as_str(), s.score.0 / 1000))
            .collect();
        // d's only event is still in the future; e has none yet but is a team of the game.
        assert_eq!(ranks, [(1, "c", 8), (2, "a", 5), (2, "b", 5), (4, "e", 0)]);
        assert_eq!(board.get("c").unwrap().trend, Points::whole(9));
        assert_eq!(board.get("a").unwrap().trend, Points(0));
    }
}
