//! The core's decisions about the instructor's breaks: a timeline's break becomes one
//! [`Effect::Break`] per team (an id, and a seed from the game's seed, the team and the
//! break's place so a replay picks the same instance); its answer ([`Input::Broken`]) is
//! noted in the ledger with what changed and what was there before; a break with `for` is
//! put back at `at + for` ([`Effect::Restore`], answered by [`Input::Restored`]). An error is
//! said once and noted; the game goes on.
//!
//! [`Input::Broken`]: super::Input::Broken
//! [`Input::Restored`]: super::Input::Restored

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

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
    asked: BTreeMap<String, Asked>,
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
    /// Failed, or restored: nothing more to do.
    Over,
}

impl Breaks {
    /// The breaks of a game of `scenario`, with those its ledger holds in place (`noted`, a
    /// resumed game's): each is put back when due, as if the game had not stopped.
    pub(crate) fn new(scenario: &Scenario, noted: &[BreakNote]) -> Breaks {
        let mend_after = scenario
            .teams
            .iter()
            .filter_map(|t| match &t.endpoint {
                Endpoint::Simulate(sim) => Some((t.name.clone(), sim.mend_after?)),
                Endpoint::Urls(_) | Endpoint::Registers => None,
            })
            .collect();
        let restored: HashSet<&str> = noted
            .iter()
            .filter(|b| b.restore)
            .map(|b| b.record.id.as_str())
            .collect();
        let asked = noted
            .iter()
            .filter(|b| !b.restore && !restored.contains(b.record.id.as_str()))
            .filter_map(|b| {
                let BreakOutcome::Done { record, .. } = &b.record.outcome else {
                    return None;
                };
                let asked = Asked {
                    team: b.team.clone(),
                    action: b.record.action,
                    by: b.record.asked_by,
                    tell: b.record.tell,
                    restore_at: b.record.restore_at,
                    mend_at: None,
                    stage: Stage::Broken(record.clone()),
                };
                Some((b.record.id.clone(), asked))
            })
            .collect();
        Breaks {
            seed: scenario.game.seed,
            mend_after,
            asked,
        }
    }
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
    pub(super) fn ask_break(&mut self, at: GameTime, place: u32, asked: Break) -> Vec<Effect> {
        let mut effects = Vec::new();
        for team in asked.teams {
            let id = format!("break-{}-{place}-{team}", at.0);
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
                    by: AskedBy::Timeline,
                    tell: asked.tell,
                    restore_at,
                    mend_at,
                    stage: Stage::Waiting,
                },
            );
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
        self.teams
            .iter()
            .find(|t| t.name == team)
            .and_then(|t| t.urls.first().cloned())
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
            BreakOutcome::AlreadyMended { .. } | BreakOutcome::Failed { .. } => Stage::Over,
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
            let broken = matches!(asked.stage, Stage::Broken(_));
            // At the time due, not the look's: a replay notes the same times.
            if let Some(due) = asked.mend_at.filter(|due| broken && *due <= now) {
                asked.mend_at = None;
                effects.push(Effect::Mend {
                    id: id.clone(),
                    team: asked.team.clone(),
                    at: due,
                });
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
            let url = self
                .teams
                .iter()
                .find(|t| t.name == asked.team)
                .and_then(|t| t.urls.first().cloned());
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
            BreakOutcome::AlreadyMended { .. } => "restore",
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
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use scoreboard_domain::GameTime;
    use scoreboard_domain::breaks::{AskedBy, BreakAction, BreakOutcome, BreakRecord};
    use scoreboard_ledger::{Note, NoteKind};
    use serde_json::json;

    use super::super::Start;
    use super::super::tests::{core_of, says, start_of};
    use super::super::{Core, Effect, Input};
    use super::{BreakOrder, RestoreOrder, break_seed};
    use crate::scenario::Scenario;

    /// A game with a real team (with its chaos account) and a simulated one that mends
    /// breaks 3 s after them, and `timeline` (its `[[timeline]]` entries).
    fn game(timeline: &str) -> Core {
        core_of(&scenario(timeline), Duration::ZERO, Duration::ZERO, 1)
    }

    fn scenario(timeline: &str) -> Scenario {
        let text = format!(
            r#"
[game]
name = "breaks"
duration = "60s"
seed = 3
allow_private_targets = true
[load]
phases = [{{ at = "0s", rate = 5 }}]
[[team]]
name = "alpha"
url = "http://127.0.0.1:9/"
[[team]]
name = "bravo"
simulate = {{ servers = 2, mend_after = "3s" }}
[[chaos.aws]]
team = "alpha"
region = "eu-west-1"
profile = "alpha-chaos"
{timeline}
"#
        );
        crate::scenario::parse(&text, Path::new("breaks.toml")).expect("parses")
    }

    fn look(core: &mut Core, ms: u64) -> Vec<Effect> {
        core.handle(Input::Look { now: GameTime(ms) })
    }

    /// The effects of one kind, in order.
    fn pick<'a, T>(effects: &'a [Effect], kind: fn(&'a Effect) -> Option<&'a T>) -> Vec<&'a T> {
        effects.iter().filter_map(kind).collect()
    }

    fn orders(effects: &[Effect]) -> Vec<&BreakOrder> {
        pick(effects, |e| {
            if let Effect::Break(o) = e {
                Some(o)
            } else {
                None
            }
        })
    }

    fn restores(effects: &[Effect]) -> Vec<&RestoreOrder> {
        pick(effects, |e| {
            if let Effect::Restore(o) = e {
                Some(o)
            } else {
                None
            }
        })
    }

    fn notes(effects: &[Effect]) -> Vec<&Note> {
        pick(effects, |e| {
            if let Effect::Note(n) = e {
                Some(n)
            } else {
                None
            }
        })
    }

    fn done(what: &str) -> BreakOutcome {
        BreakOutcome::Done {
            what: what.into(),
            record: json!({ "group_id": "sg-1", "rule": "tcp 80 from 0.0.0.0/0" }),
        }
    }

    #[test]
    fn a_break_with_for_is_noted_with_its_before_state_then_restored() {
        let timeline = "[[timeline]]\nat = \"5s\"\nbreak = { team = \"alpha\", action = \
                        \"close_port\", for = \"10s\" }";
        let mut core = game(timeline);
        assert!(orders(&look(&mut core, 4_000)).is_empty());
        let effects = look(&mut core, 5_000);
        let [order] = orders(&effects)[..] else {
            panic!("one break: {effects:?}")
        };
        assert_eq!(order.team, "alpha");
        assert_eq!(order.action, BreakAction::ClosePort);
        assert_eq!(order.seed, break_seed(3, "alpha", 5_000, 0));
        let replayed = orders(&look(&mut game(timeline), 5_000))[0].clone();
        assert_eq!(&replayed, order, "a replay breaks the same way");
        let id = order.id.clone();
        assert_eq!(core.breaks_in_flight(), 1, "a game that ends waits for it");

        let effects = core.handle(Input::Broken {
            id: id.clone(),
            at: GameTime(5_200),
            outcome: done("revoked tcp 80"),
        });
        let [note] = notes(&effects)[..] else {
            panic!("one note: {effects:?}")
        };
        assert_eq!(
            (note.kind, note.team.as_deref()),
            (NoteKind::Break, Some("alpha"))
        );
        let record = BreakRecord::from_text(&note.text).expect("a break record");
        assert_eq!(record.asked_by, AskedBy::Timeline);
        assert!(!record.tell);
        let BreakOutcome::Done { record: before, .. } = &record.outcome else {
            panic!("done: {record:?}")
        };
        assert_eq!(before["group_id"], "sg-1", "the before-state is kept");
        assert_eq!(core.breaks_in_flight(), 0);
        assert_eq!(
            core.state().breaks().len(),
            1,
            "the organizer's views have it"
        );
        let told = &core.state().endpoint("alpha").unwrap().told;
        assert!(told.is_empty(), "the team is not told: {told:?}");

        assert!(restores(&look(&mut core, 14_999)).is_empty());
        let effects = look(&mut core, 15_000);
        let [restore] = restores(&effects)[..] else {
            panic!("one restore: {effects:?}")
        };
        assert_eq!(
            (restore.id.as_str(), restore.record["group_id"].as_str()),
            (id.as_str(), Some("sg-1"))
        );
        assert!(
            restores(&look(&mut core, 16_000)).is_empty(),
            "restored once"
        );
        assert_eq!(core.breaks_in_flight(), 1, "the restore is under way");
        let effects = core.handle(Input::Restored {
            id: id.clone(),
            at: GameTime(15_100),
            outcome: done("authorized tcp 80 again"),
        });
        let [note] = notes(&effects)[..] else {
            panic!("one note: {effects:?}")
        };
        assert_eq!(note.kind, NoteKind::Restore);
        assert_eq!(note.id, format!("{id}-restore"));
        assert_eq!(core.state().breaks().len(), 2);
        assert_eq!(core.breaks_in_flight(), 0);
    }

    #[test]
    fn a_restore_due_before_the_breaks_answer_waits_for_it() {
        let mut core = game(
            "[[timeline]]\nat = \"5s\"\nbreak = { team = \"alpha\", action = \"deny_nacl\", \
             for = \"1s\" }",
        );
        let id = orders(&look(&mut core, 5_000))[0].id.clone();
        assert!(
            restores(&look(&mut core, 7_000)).is_empty(),
            "nothing broken yet"
        );
        core.handle(Input::Broken {
            id: id.clone(),
            at: GameTime(7_500),
            outcome: done("denied tcp 80"),
        });
        let effects = look(&mut core, 8_000);
        let [restore] = restores(&effects)[..] else {
            panic!("the restore, once broken: {effects:?}")
        };
        assert_eq!(
            (restore.id.as_str(), restore.at),
            (id.as_str(), GameTime(6_000))
        );
    }

    #[test]
    fn every_team_breaks_once_each_with_its_own_seed_and_no_for_is_never_restored() {
        let mut core =
            game("[[timeline]]\nat = \"5s\"\nbreak = { team = \"*\", action = \"stop_instance\" }");
        let effects = look(&mut core, 5_000);
        let orders: Vec<BreakOrder> = orders(&effects).into_iter().cloned().collect();
        let teams: Vec<&str> = orders.iter().map(|o| o.team.as_str()).collect();
        assert_eq!(teams, ["alpha", "bravo"]);
        assert_ne!(orders[0].seed, orders[1].seed);
        assert_ne!(orders[0].id, orders[1].id);
        for o in &orders {
            core.handle(Input::Broken {
                id: o.id.clone(),
                at: GameTime(5_000),
                outcome: done("stopped i-1"),
            });
        }
        let later: Vec<Effect> = (6..60).flat_map(|s| look(&mut core, s * 1_000)).collect();
        assert!(
            restores(&later).is_empty(),
            "no `for`: no restore: {later:?}"
        );
    }

    #[test]
    fn a_told_break_is_on_the_teams_page_in_its_words() {
        let mut core = game(
            "[[timeline]]\nat = \"5s\"\nbreak = { team = \"alpha\", action = \"drop_route\", \
             tell = true }",
        );
        let id = orders(&look(&mut core, 5_000))[0].id.clone();
        core.handle(Input::Broken {
            id,
            at: GameTime(5_000),
            outcome: done("deleted 0.0.0.0/0"),
        });
        let told = |team: &str| core.state().endpoint(team).unwrap().told.clone();
        let alpha = told("alpha");
        assert_eq!(alpha.len(), 1);
        assert!(alpha[0].text.contains("route tables"), "{alpha:?}");
        assert!(told("bravo").is_empty());
    }

    #[test]
    fn an_error_is_said_once_noted_and_never_restored() {
        let mut core = game(
            "[[timeline]]\nat = \"5s\"\nbreak = { team = \"alpha\", action = \"detach_igw\", \
             for = \"5s\" }",
        );
        let id = orders(&look(&mut core, 5_000))[0].id.clone();
        let failed = BreakOutcome::Failed {
            reason: "AccessDenied: not authorized to perform ec2:DetachInternetGateway".into(),
        };
        let effects = core.handle(Input::Broken {
            id: id.clone(),
            at: GameTime(5_300),
            outcome: failed.clone(),
        });
        let said = says(&effects);
        assert_eq!(said.len(), 1);
        assert!(
            said[0].contains("could not break") && said[0].contains("AccessDenied"),
            "{said:?}"
        );
        assert_eq!(notes(&effects).len(), 1, "the record has it");
        let again = core.handle(Input::Broken {
            id,
            at: GameTime(5_400),
            outcome: failed,
        });
        assert!(again.is_empty(), "said once: {again:?}");
        let later: Vec<Effect> = (6..20).flat_map(|s| look(&mut core, s * 1_000)).collect();
        assert!(restores(&later).is_empty(), "nothing to restore: {later:?}");
        assert!(!core.quit(), "the game goes on");
    }

    #[test]
    fn a_team_that_mends_first_finds_the_restore_changing_nothing() {
        let mut core = game(
            "[[timeline]]\nat = \"5s\"\nbreak = { team = \"bravo\", action = \"close_port\", \
             for = \"10s\" }",
        );
        let id = orders(&look(&mut core, 5_000))[0].id.clone();
        core.handle(Input::Broken {
            id: id.clone(),
            at: GameTime(5_000),
            outcome: done("closed the port of 2 servers"),
        });
        assert!(
            look(&mut core, 7_000)
                .iter()
                .all(|e| !matches!(e, Effect::Mend { .. }))
        );
        let effects = look(&mut core, 8_000);
        assert!(
            effects.iter().any(
                |e| matches!(e, Effect::Mend { id: m, team, .. } if *m == id && team == "bravo")
            ),
            "bravo mends it 3 s after: {effects:?}"
        );
        let effects = look(&mut core, 15_000);
        assert_eq!(restores(&effects).len(), 1, "the restore still comes");
        let effects = core.handle(Input::Restored {
            id,
            at: GameTime(15_000),
            outcome: BreakOutcome::AlreadyMended {
                what: "bravo is mended".into(),
            },
        });
        let said = says(&effects);
        assert!(said[0].contains("already mended"), "{said:?}");
        let record = BreakRecord::from_text(&notes(&effects)[0].text).expect("a record");
        assert!(matches!(record.outcome, BreakOutcome::AlreadyMended { .. }));
    }

    #[test]
    fn a_resumed_game_restores_the_breaks_its_ledger_holds_in_place() {
        let timeline = "[[timeline]]\nat = \"5s\"\nbreak = { team = \"alpha\", action = \
                        \"close_port\", for = \"10s\" }\n[[timeline]]\nat = \"5s\"\n\
                        break = { team = \"bravo\", action = \"close_port\", for = \"1s\" }";
        let mut first = game(timeline);
        let ids: Vec<String> = orders(&look(&mut first, 5_000))
            .iter()
            .map(|o| o.id.clone())
            .collect();
        let mut noted: Vec<Note> = Vec::new();
        for id in &ids {
            let effects = first.handle(Input::Broken {
                id: id.clone(),
                at: GameTime(5_000),
                outcome: done("revoked tcp 80"),
            });
            noted.extend(notes(&effects).into_iter().cloned());
        }
        // bravo's was put back before the game stopped; alpha's was not.
        assert_eq!(restores(&look(&mut first, 6_000)).len(), 1);
        let effects = first.handle(Input::Restored {
            id: ids[1].clone(),
            at: GameTime(6_000),
            outcome: done("put back"),
        });
        noted.extend(notes(&effects).into_iter().cloned());
        let s = scenario(timeline);
        let mut start = start_of(&s, Duration::ZERO, 2);
        for note in &noted {
            start.state.apply_note(note);
        }
        let start = Start {
            offset: Duration::from_secs(8),
            ..start
        };
        let mut resumed = Core::new(&s, start).expect("valid rules");
        assert!(
            orders(&look(&mut resumed, 8_000)).is_empty(),
            "not broken again"
        );
        let effects = look(&mut resumed, 15_000);
        let restored: Vec<(&str, &str)> = restores(&effects)
            .iter()
            .map(|r| (r.id.as_str(), r.team.as_str()))
            .collect();
        assert_eq!(restored, [(ids[0].as_str(), "alpha")]);
        assert_eq!(restores(&effects)[0].record["group_id"], "sg-1");
    }
}
