//! `gameday chaos plan SCENARIO`: per team, each break of the timeline in time order and
//! what it would touch, changing nothing. A real team's (`[[chaos.aws]]`) is read from its
//! account with the seed the game will use, so the plan names the instance the game will
//! pick; a simulated team's is its simulated effect, in words.

use std::time::Duration;

use scoreboard_domain::breaks::BreakAction;

use super::ChaosError;
use crate::game::break_seed;
use crate::preflight::PreflightError;
use crate::scenario::{Action, Endpoint, Scenario, SimulatedTeam, TeamSpec};

/// A break the game will ask of one team: where it is on the timeline and its seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Scheduled {
    /// The id the game gives it (`break-{at_ms}-{place}-{team}`, its notes' id).
    pub id: String,
    pub at: Duration,
    /// Its order among the breaks of that moment (the game's id and seed use it).
    pub place: u32,
    pub action: BreakAction,
    pub lasting: Option<Duration>,
    pub tell: bool,
    pub seed: u64,
}

impl Scheduled {
    /// "at 5s, close_port for 8s (told)".
    pub fn heading(&self) -> String {
        let lasting = self.lasting.map_or(" (until restored)".to_owned(), |d| {
            format!(" for {}", humantime::format_duration(d))
        });
        let told = if self.tell { ", told" } else { "" };
        format!(
            "at {} ({}): {}{lasting}{told}",
            humantime::format_duration(self.at),
            self.id,
            self.action
        )
    }
}

/// One team's plan: a line for each break, and whether every one could be planned.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TeamPlan {
    pub team: String,
    /// What kind of team it is and how its resources are found.
    pub about: String,
    pub lines: Vec<String>,
    /// Why it could not be planned (an AWS error, a missing account), if so.
    pub failed: Option<String>,
}

/// Each team's breaks, in scenario order and time order, as the game's core numbers them:
/// the timeline sorted by time (entries of one time in file order), a break's place its
/// order among the breaks of its moment.
pub fn scheduled(s: &Scenario) -> Vec<(&TeamSpec, Vec<Scheduled>)> {
    let mut entries: Vec<_> = s.timeline.iter().collect();
    entries.sort_by_key(|e| e.at);
    let mut per_team: Vec<(&TeamSpec, Vec<Scheduled>)> =
        s.teams.iter().map(|t| (t, Vec::new())).collect();
    let mut last: Option<(u64, u32)> = None;
    for entry in entries {
        let Action::Break(asked) = &entry.action else {
            continue;
        };
        let at_ms = u64::try_from(entry.at.as_millis()).unwrap_or(u64::MAX);
        let place = match last {
            Some((t, place)) if t == at_ms => place + 1,
            _ => 0,
        };
        last = Some((at_ms, place));
        for team in &asked.teams {
            let Some((_, list)) = per_team.iter_mut().find(|(t, _)| &t.name == team) else {
                continue;
            };
            list.push(Scheduled {
                id: format!("break-{at_ms}-{place}-{team}"),
                at: entry.at,
                place,
                action: asked.action,
                lasting: asked.lasting,
                tell: asked.tell,
                seed: break_seed(s.game.seed, team, at_ms, place),
            });
        }
    }
    per_team.retain(|(_, list)| !list.is_empty());
    per_team
}

/// The plan of every team `s` breaks. Refused, as `play` refuses it, when this build cannot
/// act on the scenario's accounts.
pub fn plan(s: &Scenario) -> Result<Vec<TeamPlan>, ChaosError> {
    crate::game::breaks_supported(&s.chaos).map_err(|source| PreflightError::Unsupported {
        path: s.path.clone(),
        source,
    })?;
    let mut plans = Vec::new();
    for (team, breaks) in scheduled(s) {
        let account = s.chaos.iter().find(|a| a.team == team.name);
        let plan = match (&team.endpoint, account) {
            (Endpoint::Simulate(sim), _) => simulated(&team.name, sim, &breaks),
            (_, None) => TeamPlan {
                team: team.name.clone(),
                about: "a real team".to_owned(),
                lines: breaks.iter().map(Scheduled::heading).collect(),
                failed: Some(
                    "no [[chaos.aws]] account names it: the game cannot break it".to_owned(),
                ),
            },
            #[cfg(feature = "aws")]
            (endpoint, Some(account)) => real::plan(account, endpoint, &team.name, &breaks)?,
            // Refused above: a build without the SDK has no account to act on.
            #[cfg(not(feature = "aws"))]
            (_, Some(_)) => unreachable!("refused by breaks_supported"),
        };
        plans.push(plan);
    }
    Ok(plans)
}

/// A simulated team's breaks in words: what they do to its servers, and when they end.
fn simulated(team: &str, sim: &SimulatedTeam, breaks: &[Scheduled]) -> TeamPlan {
    let servers = match sim.servers {
        1 => "its only server".to_owned(),
        n => format!("one of its {n} servers (chosen from the seed)"),
    };
    let mends = sim.mend_after.map_or(String::new(), |d| {
        format!(
            "; the team mends it after {}",
            humantime::format_duration(d)
        )
    });
    let lines = breaks
        .iter()
        .map(|b| {
            let effect = match b.action {
                BreakAction::TerminateInstance => format!("kills {servers}"),
                BreakAction::StopInstance => format!("stops {servers} (restore starts it again)"),
                BreakAction::ClosePort => {
                    "refuses new connections to its servers and cuts off the open ones".to_owned()
                }
                BreakAction::DenyNacl | BreakAction::DropRoute | BreakAction::DetachIgw => {
                    "drops the traffic to its servers: connections hang, requests time out"
                        .to_owned()
                }
            };
            format!("{}: {effect}{mends}", b.heading())
        })
        .collect();
    TeamPlan {
        team: team.to_owned(),
        about: format!("simulated, {} server(s) at the start", sim.servers),
        lines,
        failed: None,
    }
}

/// A real team's breaks, read from its account with the chaos role.
#[cfg(feature = "aws")]
mod real {
    use scoreboard_aws::chaos::{Chaos, Plan};

    use super::{ChaosError, Scheduled, TeamPlan};
    use crate::scenario::{AwsTeam, Endpoint};

    /// Finds the team's resources (from its scenario URL, else its stack's tags) and plans
    /// each break with the game's seed. An AWS error is the team's, with its reason.
    pub(super) fn plan(
        account: &AwsTeam,
        endpoint: &Endpoint,
        team: &str,
        breaks: &[Scheduled],
    ) -> Result<TeamPlan, ChaosError> {
        let (url, about) = match endpoint {
            Endpoint::Urls(urls) => (
                urls.first().cloned().unwrap_or_default(),
                format!(
                    "real, account in {}, URL {}",
                    account.region,
                    urls.join(" ")
                ),
            ),
            _ => (
                String::new(),
                format!(
                    "real, account in {}; it registers its URL during the game, so until \
                     then its resources are found by its stack's tags alone",
                    account.region
                ),
            ),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(ChaosError::Runtime)?;
        let target = crate::game::chaos_target(account, url);
        let mut plan = TeamPlan {
            team: team.to_owned(),
            about,
            lines: Vec::new(),
            failed: None,
        };
        runtime.block_on(async {
            let chaos = Chaos::connect(target).await;
            for b in breaks {
                match chaos.plan(b.action, b.seed).await {
                    Ok(p) if p.changes.is_empty() => {
                        plan.lines.push(format!("{}: {}", b.heading(), said(&p)));
                        plan.failed.get_or_insert(format!(
                            "{} would find nothing to change, and the game's break would \
                             fail: are [[chaos.aws]]'s region and team those of the stack's \
                             {} tags?",
                            b.action,
                            scoreboard_aws::chaos::TEAM_TAG
                        ));
                    }
                    Ok(p) => plan.lines.push(format!("{}: {}", b.heading(), said(&p))),
                    Err(e) => {
                        let why = loadgen::error_chain(&e);
                        plan.lines
                            .push(format!("{}: cannot plan: {why}", b.heading()));
                        plan.failed.get_or_insert(why);
                    }
                }
            }
        });
        Ok(plan)
    }

    /// The plan's words without the team and the action the heading has said.
    fn said(p: &Plan) -> String {
        let text = p.to_string();
        let said = format!("{} {} ", p.team, p.action);
        text.strip_prefix(&said).map_or(text.clone(), str::to_owned)
    }
}
