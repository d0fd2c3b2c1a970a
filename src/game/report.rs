//! Replay reports for CI: the results and verdicts as JSON, and as JUnit XML (one test case
//! per expectation) for CI systems that draw test results.

use serde::Serialize;

use super::expect::Verdict;
use super::hook::HookRun;
use loadgen::OutcomeKind;
use scoreboard_domain::GameProjection;

/// What `gameday replay --report-json` writes.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub scenario: String,
    pub game: String,
    /// Game time played, in milliseconds.
    pub played_ms: u64,
    pub finished: bool,
    pub teams: Vec<TeamResult>,
    pub expectations: Vec<Verdict>,
    pub hooks: Vec<HookRun>,
    pub passed: bool,
}

/// One team's line of the results.
#[derive(Clone, Debug, Serialize)]
pub struct TeamResult {
    pub rank: u32,
    pub team: String,
    /// Score in thousandths of a point.
    pub score_milli: i64,
    pub score: String,
    pub correct: u64,
    pub errors: u64,
    pub cost_cents: i64,
    pub blocks: u64,
}

impl Report {
    pub fn new(
        scenario: &str,
        game: &str,
        state: &GameProjection,
        verdicts: Vec<Verdict>,
        hooks: Vec<HookRun>,
        finished: bool,
    ) -> Report {
        let teams = state
            .leaderboard()
            .standings
            .iter()
            .filter_map(|s| {
                let t = state.team(&s.team)?;
                Some(TeamResult {
                    rank: s.rank,
                    team: s.team.clone(),
                    score_milli: s.score.0,
                    score: s.score.to_string(),
                    correct: t.counts.get(OutcomeKind::Correct),
                    errors: t.counts.errors(),
                    cost_cents: t.billing.cost.0,
                    blocks: t.billing.blocks,
                })
            })
            .collect();
        Report {
            scenario: scenario.to_owned(),
            game: game.to_owned(),
            played_ms: state.now.0,
            finished,
            passed: finished && verdicts.iter().all(|v| v.ok),
            teams,
            expectations: verdicts,
            hooks,
        }
    }
}

/// The verdicts as a JUnit XML test suite named after the game.
pub fn junit_xml(report: &Report) -> String {
    let failures = report.expectations.iter().filter(|v| !v.ok).count();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<testsuites tests=\"{n}\" failures=\"{failures}\">\n  <testsuite name=\"{name}\" tests=\"{n}\" failures=\"{failures}\" time=\"{t:.3}\">\n",
        n = report.expectations.len(),
        name = escape(&report.game),
        t = report.played_ms as f64 / 1000.0,
    ));
    for v in &report.expectations {
        x.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\"",
            escape(&report.scenario),
            escape(&v.expected)
        ));
        if v.ok {
            x.push_str("/>\n");
        } else {
            x.push_str(&format!(
                ">\n      <failure message=\"actual: {}\"/>\n    </testcase>\n",
                escape(&v.actual)
            ));
        }
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

/// Text made safe inside an XML attribute.
fn escape(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\t')
        .fold(String::new(), |mut s, c| {
            match c {
                '&' => s.push_str("&amp;"),
                '<' => s.push_str("&lt;"),
                '>' => s.push_str("&gt;"),
                '"' => s.push_str("&quot;"),
                '\'' => s.push_str("&apos;"),
                c => s.push(c),
            }
            s
        })
}
