//! The leaderboard: each team's total, its rank (ties share a rank), and its trend.

use std::time::Duration;

use crate::Points;

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

    #[test]
    fn ties_share_a_rank_and_are_listed_by_name() {
        let board = Leaderboard::from_totals([
            ("b".to_owned(), Points(5), Points(0)),
            ("c".to_owned(), Points(8), Points(1)),
            ("a".to_owned(), Points(5), Points(2)),
            ("e".to_owned(), Points(0), Points(0)),
        ]);
        let ranks: Vec<(u32, &str)> = board
            .standings
            .iter()
            .map(|s| (s.rank, s.team.as_str()))
            .collect();
        assert_eq!(ranks, [(1, "c"), (2, "a"), (2, "b"), (4, "e")]);
        assert_eq!(board.get("a").unwrap().trend, Points(2));
    }
}
