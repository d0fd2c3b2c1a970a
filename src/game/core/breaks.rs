//! The core's decisions about the instructor's breaks: a timeline's break becomes one
//! [`Effect::Break`] per team (an id, and a seed from the game's seed, the team and the
//! break's place so a replay picks the same instance); its answer ([`Input::Broken`]) is
//! noted in the ledger with what changed and what was there before; a break with `for` is
//! put back at `at + for` ([`Effect::Restore`], answered by [`Input::Restored`]), unless a
//! simulated team mends it first (its `mend_after`: [`Effect::Mend`], answered by
//! [`Input::Mended`] and noted as the break's restore). An error is said once and noted;
//! the game goes on.
//!
//! [`Input::Broken`]: super::Input::Broken
//! [`Input::Restored`]: super::Input::Restored
//! [`Input::Mended`]: super::Input::Mended

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use scoreboard::live::Refusal;
use scoreboard_domain::GameTime;
use scoreboard_domain::breaks::{AskedBy, BreakAction, BreakNote, BreakOutcome, BreakRecord};
use scoreboard_ledger::{Note, NoteKind};

use super::{Core, Effect};
use crate::scenario::{Break, Endpoint, Scenario};

/// What the shell is to break: the team's stack, by `action`, choosing with `seed`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct BreakOrder {
    pub(crate) id: String,
    pub(crate) team: String,
    pub(crate) action: BreakAction,
    pub(crate) seed: u64,
    pub(crate) at: GameTime,
    /// A real team's endpoint now (its load balancer's URL finds its resources).
    pub(crate) url: Option<String>,
}

/// What the shell is to put back: what its break recorded (`record`, the break's JSON).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RestoreOrder {
    pub(crate) id: String,
    pub(crate) team: String,
    pub(crate) action: BreakAction,
    pub(crate) record: serde_json::Value,
    pub(crate) at: GameTime,
    pub(crate) url: Option<String>,
}

/// Every break asked in this process, by id, and how far each has got.
#[derive(Debug, Default)]
pub(crate) struct Breaks {
    /// The game's seed, which each break's seed derives from.
    seed: u64,
    /// Each simulated team's reaction time (`mend_after`), if it mends breaks itself.
    mend_after: BTreeMap<String, Duration>,
    /// The teams a break can reach (simulated, or in `[[chaos.aws]]`), in scenario order.
    breakable: Vec<String>,
    asked: BTreeMap<String, Asked>,
    /// A resumed game's breaks of simulated teams still in place: their servers, new with
    /// this run, are to be broken again (taken once, by [`Core::breaks_again`]).
    again: Vec<BreakOrder>,
}

/// One team's break.
#[derive(Debug)]
struct Asked {
    team: String,
    action: BreakAction,
    by: AskedBy,
    tell: bool,
    /// When it is put back (`None`: only when the organizer asks).
    restore_at: Option<GameTime>,
    /// When the (simulated) team mends it itself, until it has.
    mend_at: Option<GameTime>,
    stage: Stage,
}

/// Where a break stands.
#[derive(Debug, PartialEq)]
enum Stage {
    /// Asked of the shell; no answer yet.
    Waiting,
    /// Done: what it recorded, which restore puts back.
    Broken(serde_json::Value),
    /// Restore asked of the shell.
    Restoring,
    /// The (simulated) team's mend asked of the shell: what the break recorded, in case
    /// the mend fails and a restore must put it back.
    Mending(serde_json::Value),
    /// Failed, or restored: nothing more to do.
    Over,
}

impl Breaks {
    /// The breaks of a game of `scenario`, with those its ledger holds in place (`noted`, a
    /// resumed game's): each is put back (or mended) when due, as if the game had not
    /// stopped, and a simulated team's is to be done again to its new servers.
    pub(crate) fn new(scenario: &Scenario, noted: &[BreakNote]) -> Breaks {
        let mend_after: BTreeMap<String, Duration> = scenario
            .teams
            .iter()
            .filter_map(|t| match &t.endpoint {
                Endpoint::Simulate(sim) => Some((t.name.clone(), sim.mend_after?)),
                Endpoint::Urls(_) | Endpoint::Registers => None,
            })
            .collect();
        let simulated = |team: &str| {
            scenario
                .teams
                .iter()
                .any(|t| t.name == team && matches!(t.endpoint, Endpoint::Simulate(_)))
        };
        let restored: HashSet<&str> = noted
            .iter()
            .filter(|b| b.restore)
            .map(|b| b.record.id.as_str())
            .collect();
        let (mut asked, mut again) = (BTreeMap::new(), Vec::new());
        for b in noted
            .iter()
            .filter(|b| !b.restore && !restored.contains(b.record.id.as_str()))
        {
            let BreakOutcome::Done { record, .. } = &b.record.outcome else {
                continue;
            };
            let (id, team) = (b.record.id.clone(), b.team.clone());
            if simulated(&team) {
                again.push(BreakOrder {
                    id: id.clone(),
                    team: team.clone(),
                    action: b.record.action,
                    seed: break_seed(scenario.game.seed, &team, b.at.0, 0),
                    at: b.at,
                    url: None,
                });
            }
            let mend_at = mend_after
                .get(&team)
                .map(|d| GameTime(b.at.0 + d.as_millis() as u64));
            let broken = Asked {
                team,
                action: b.record.action,
                by: b.record.asked_by,
                tell: b.record.tell,
                restore_at: b.record.restore_at,
                mend_at,
                stage: Stage::Broken(record.clone()),
            };
            asked.insert(id, broken);
        }
        let breakable = scenario
            .teams
            .iter()
            .filter(|t| {
                matches!(t.endpoint, Endpoint::Simulate(_))
                    || scenario.chaos.iter().any(|c| c.team == t.name)
            })
            .map(|t| t.name.clone())
            .collect();
        Breaks {
            seed: scenario.game.seed,
            mend_after,
            breakable,
            asked,
            again,
        }
    }
}

/// Team `team`'s endpoint now, if it has one.
fn url_in(teams: &[super::TeamInfo], team: &str) -> Option<String> {
    teams
        .iter()
        .find(|t| t.name == team)
        .and_then(|t| t.urls.first().cloned())
}

/// A break's seed: the game's seed, the team, and the break's place on the timeline (its
/// time and its order among the entries of that time), mixed (FNV-1a, then SplitMix64's
/// finalizer) so that the same game breaks the same instance.
pub(crate) fn break_seed(game_seed: u64, team: &str, at_ms: u64, place: u32) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let bytes = game_seed
        .to_le_bytes()
        .into_iter()
        .chain(at_ms.to_le_bytes())
        .chain(place.to_le_bytes())
        .chain(team.bytes());
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

impl Core {
    /// A break of the timeline at `at`, the `place`-th of that moment: one order per team.
    pub(super) fn timeline_break(&mut self, at: GameTime, place: u32, asked: Break) -> Vec<Effect> {
        let tag = place.to_string();
        self.ask_break(at, (&tag, place, AskedBy::Timeline), asked)
    }

    /// A break the organizer asks now (`note_id`: the live id that names it), of one team or
    /// (`"*"`) of every team a break can reach. Refused when it can reach none of them.
    pub(super) fn organizer_break(
        &mut self,
        at: GameTime,
        note_id: &str,
        team: String,
        asked: (BreakAction, Option<Duration>, bool),
    ) -> Vec<Effect> {
        let refuse = |refusal| vec![Effect::Reply(Err(refusal))];
        if self.running.quit {
            return refuse(Refusal::Conflict("the game is over".into()));
        }
        let teams = if team == "*" {
            self.breaks.breakable.clone()
        } else if !self.teams.iter().any(|t| t.name == team) {
            return refuse(Refusal::NoSuchTeam(team));
        } else if !self.breaks.breakable.contains(&team) {
            return refuse(Refusal::Conflict(format!(
                "{team} is neither simulated nor in [[chaos.aws]]: the game cannot reach its \
                 stack (declare its account and role in the scenario's [[chaos.aws]])"
            )));
        } else {
            vec![team]
        };
        if teams.is_empty() {
            return refuse(Refusal::Conflict(
                "no team can be broken: none is simulated or in [[chaos.aws]]".into(),
            ));
        }
        let (action, lasting, tell) = asked;
        let asked = Break {
            teams,
            action,
            lasting,
            tell,
        };
        let place = u32::try_from(self.organizer.notes).unwrap_or(u32::MAX);
        let mut effects = self.ask_break(at, (note_id, place, AskedBy::Organizer), asked);
        effects.push(Effect::Reply(Ok(())));
        effects
    }

    /// Puts back now what the breaks of `team` (`None`: every team's) changed and is still
    /// in place (one not answered yet: once it is). Refused when nothing is.
    pub(super) fn organizer_restore(&mut self, at: GameTime, team: Option<String>) -> Vec<Effect> {
        if let Some(team) = team
            .as_ref()
            .filter(|t| !self.teams.iter().any(|x| &x.name == *t))
        {
            return vec![Effect::Reply(Err(Refusal::NoSuchTeam(team.clone())))];
        }
        let mut any = false;
        for asked in self.breaks.asked.values_mut() {
            let in_place = matches!(asked.stage, Stage::Waiting | Stage::Broken(_));
            if in_place && team.as_ref().is_none_or(|t| *t == asked.team) {
                asked.restore_at = Some(asked.restore_at.map_or(at, |due| due.min(at)));
                any = true;
            }
        }
        if !any {
            let whose = team.map_or("any team".to_owned(), |t| t);
            let why = format!("nothing of {whose} is broken now");
            return vec![Effect::Reply(Err(Refusal::Conflict(why)))];
        }
        let mut effects = self.restores_due(at);
        effects.push(Effect::Reply(Ok(())));
        effects
    }

    /// One order per team of `asked`, named `break-{at}-{tag}-{team}`, its seed from the
    /// game's, the team, `at` and `place`.
    fn ask_break(
        &mut self,
        at: GameTime,
        (tag, place, by): (&str, u32, AskedBy),
        asked: Break,
    ) -> Vec<Effect> {
        let mut effects = Vec::new();
        for team in asked.teams {
            let id = format!("break-{}-{tag}-{team}", at.0);
            let seed = break_seed(self.breaks.seed, &team, at.0, place);
            let later = |d: Duration| GameTime(at.0 + d.as_millis() as u64);
            let restore_at = asked.lasting.map(later);
            let mend_at = self.breaks.mend_after.get(&team).copied().map(later);
            let lasting = asked.lasting.map_or(String::new(), |d| {
                format!(" for {}", humantime::format_duration(d))
            });
            effects.push(Effect::Say(format!(
                "[{at}] {team}: break {}{lasting}",
                asked.action
            )));
            effects.push(Effect::Break(BreakOrder {
                id: id.clone(),
                team: team.clone(),
                action: asked.action,
                seed,
                at,
                url: self.url_of(&team),
            }));
            self.breaks.asked.insert(
                id,
                Asked {
                    team,
                    action: asked.action,
                    by,
                    tell: asked.tell,
                    restore_at,
                    mend_at,
                    stage: Stage::Waiting,
                },
            );
        }
        effects
    }

    /// A resumed game's breaks of simulated teams still in place, at `at` (the resume): the
    /// same action on the team's new servers, under the same id, so that the restore (or the
    /// mend) that is due puts it back. Taken once; no answer is needed (it is noted already).
    pub(crate) fn breaks_again(&mut self, at: GameTime) -> Vec<Effect> {
        let mut effects = Vec::new();
        for order in std::mem::take(&mut self.breaks.again) {
            let asked = &self.breaks.asked[&order.id];
            let until = match (asked.mend_at, asked.restore_at) {
                (Some(mend), r) if r.is_none_or(|r| mend < r) => {
                    format!("the team mends it at {mend}")
                }
                (_, Some(due)) => format!("its restore at {due}"),
                (_, None) => "the organizer restores it".to_owned(),
            };
            effects.push(Effect::Say(format!(
                "[{at}] {}: still broken since {} ({}): its servers start broken until {until}",
                order.team, order.at, order.action
            )));
            effects.push(Effect::BreakAgain(BreakOrder { at, ..order }));
        }
        effects
    }

    /// Breaks and restores asked of the shell and not answered yet.
    pub(crate) fn breaks_in_flight(&self) -> usize {
        self.breaks
            .asked
            .values()
            .filter(|a| matches!(a.stage, Stage::Waiting | Stage::Restoring))
            .count()
    }

    /// A team's endpoint now, if it has one.
    fn url_of(&self, team: &str) -> Option<String> {
        url_in(&self.teams, team)
    }

    /// The shell's answer to a break: noted (what changed and what was there before, or
    /// why it failed) and said once.
    pub(super) fn broken(
        &mut self,
        id: String,
        at: GameTime,
        outcome: BreakOutcome,
    ) -> Vec<Effect> {
        let Some(asked) = self.breaks.asked.get_mut(&id) else {
            return Vec::new();
        };
        if asked.stage != Stage::Waiting {
            return Vec::new();
        }
        asked.stage = match &outcome {
            BreakOutcome::Done { record, .. } => Stage::Broken(record.clone()),
            BreakOutcome::AlreadyMended { .. }
            | BreakOutcome::Mended { .. }
            | BreakOutcome::Failed { .. } => Stage::Over,
        };
        let failed = matches!(outcome, BreakOutcome::Failed { .. });
        let verb = if failed { "could not break" } else { "broke" };
        self.break_note(id.clone(), id, at, NoteKind::Break, outcome, verb)
    }

    /// Breaks a simulated team mends itself by `now` (its `mend_after`), then those whose
    /// `for` is over and that are in place: put back.
    pub(super) fn restores_due(&mut self, now: GameTime) -> Vec<Effect> {
        let mut effects = Vec::new();
        for (id, asked) in &mut self.breaks.asked {
            // At the time due, not the look's: a replay notes the same times. Once mended
            // (its answer: `mended`), nothing is left for a restore to do; a restore due by
            // then puts it back first.
            let restored_first = |due: &GameTime| asked.restore_at.is_some_and(|r| r <= *due);
            if let Some(due) = asked
                .mend_at
                .filter(|due| *due <= now && !restored_first(due))
                && let Stage::Broken(record) = &asked.stage
            {
                asked.mend_at = None;
                asked.stage = Stage::Mending(record.clone());
                effects.push(Effect::Mend {
                    id: id.clone(),
                    team: asked.team.clone(),
                    at: due,
                });
                continue;
            }
            let Some(due) = asked.restore_at.filter(|due| *due <= now) else {
                continue;
            };
            // Not answered yet: the restore waits for the answer. Failed or over: nothing.
            let Stage::Broken(record) = &asked.stage else {
                continue;
            };
            let record = record.clone();
            asked.stage = Stage::Restoring;
            effects.push(Effect::Say(format!(
                "[{due}] {}: restore {}",
                asked.team, asked.action
            )));
            let url = url_in(&self.teams, &asked.team);
            effects.push(Effect::Restore(RestoreOrder {
                id: id.clone(),
                team: asked.team.clone(),
                action: asked.action,
                record,
                at: due,
                url,
            }));
        }
        effects
    }

    /// The shell's answer to a simulated team's mend: noted as the break's restore, by the
    /// team, at the mend's time (no restore runs after it). A mend that failed is said, and
    /// the break stays in place for its restore.
    pub(super) fn mended(
        &mut self,
        id: String,
        at: GameTime,
        outcome: BreakOutcome,
    ) -> Vec<Effect> {
        let Some(asked) = self.breaks.asked.get_mut(&id) else {
            return Vec::new();
        };
        let Stage::Mending(record) = &asked.stage else {
            return Vec::new();
        };
        if let BreakOutcome::Failed { reason } = outcome {
            asked.stage = Stage::Broken(record.clone());
            let said = format!(
                "[{at}] {}: could not mend {}: {reason}",
                asked.team, asked.action
            );
            return vec![Effect::Say(said)];
        }
        asked.stage = Stage::Over;
        let note_id = format!("{id}-restore");
        self.break_note(note_id, id, at, NoteKind::Restore, outcome, "mend")
    }

    /// The shell's answer to a restore: noted and said (a team that mended it first: so, and
    /// nothing changed).
    pub(super) fn restored(
        &mut self,
        id: String,
        at: GameTime,
        outcome: BreakOutcome,
    ) -> Vec<Effect> {
        let Some(asked) = self.breaks.asked.get_mut(&id) else {
            return Vec::new();
        };
        if asked.stage != Stage::Restoring {
            return Vec::new();
        }
        asked.stage = Stage::Over;
        let verb = match outcome {
            BreakOutcome::Done { .. } => "restored",
            BreakOutcome::AlreadyMended { .. } | BreakOutcome::Mended { .. } => "restore",
            BreakOutcome::Failed { .. } => "could not restore",
        };
        let note_id = format!("{id}-restore");
        self.break_note(note_id, id, at, NoteKind::Restore, outcome, verb)
    }

    /// The line for the log and the note for the ledger (applied to the projection) of a
    /// break's or a restore's outcome.
    fn break_note(
        &mut self,
        note_id: String,
        id: String,
        at: GameTime,
        kind: NoteKind,
        outcome: BreakOutcome,
        verb: &str,
    ) -> Vec<Effect> {
        let asked = &self.breaks.asked[&id];
        let record = BreakRecord {
            id,
            action: asked.action,
            asked_by: asked.by,
            tell: asked.tell,
            restore_at: asked.restore_at,
            outcome,
        };
        let said = format!(
            "[{at}] {}: {verb} {}: {}",
            asked.team,
            asked.action,
            record.words()
        );
        let note = Note {
            id: note_id,
            at,
            kind,
            team: Some(asked.team.clone()),
            text: record.to_text(),
        };
        self.state.apply_note(&note);
        vec![Effect::Say(said), Effect::Note(note)]
    }
}

#[cfg(test)]
#[path = "breaks_tests.rs"]
mod tests;
