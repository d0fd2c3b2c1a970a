//! Tests of the core's breaks: the timeline's and the organizer's, their notes, restores
//! and mends.

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
use crate::game::core::messages::Command;
use crate::scenario::Scenario;
use scoreboard::live::Refusal;

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

/// bravo's close_port at 5 s for 10 s, answered: bravo mends it at 8 s (`Effect::Mend`).
fn bravo_broken_until_its_mend() -> (Core, String) {
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
    let effects = look(&mut core, 8_500);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Mend { id: m, team, at }
            if *m == id && team == "bravo" && at.0 == 8_000)),
        "bravo mends it 3 s after, at the time due: {effects:?}"
    );
    (core, id)
}

#[test]
fn a_team_that_mends_first_is_noted_as_the_restore_and_no_restore_runs_after() {
    let (mut core, id) = bravo_broken_until_its_mend();
    let effects = core.handle(Input::Mended {
        id: id.clone(),
        at: GameTime(8_000),
        outcome: BreakOutcome::Mended {
            what: "the port is open again".into(),
        },
    });
    let said = says(&effects);
    assert!(said[0].contains("mended by the team"), "{said:?}");
    let [note] = notes(&effects)[..] else {
        panic!("one note: {effects:?}")
    };
    assert_eq!(
        (note.kind, note.at, note.team.as_deref()),
        (NoteKind::Restore, GameTime(8_000), Some("bravo"))
    );
    let record = BreakRecord::from_text(&note.text).expect("a record");
    assert_eq!(record.id, id);
    assert_eq!(
        record.outcome,
        BreakOutcome::Mended {
            what: "the port is open again".into()
        }
    );
    let breaks = core.state().breaks();
    assert!(
        breaks.last().is_some_and(|b| b.restore),
        "the projection has it: {breaks:?}"
    );
    let later = look(&mut core, 20_000);
    assert!(
        restores(&later).is_empty() && notes(&later).is_empty(),
        "nothing is due after the mend: {later:?}"
    );
    let (_, reply) = ask(&mut core, 21_000, Command::Restore { team: None });
    assert!(
        matches!(&reply, Err(Refusal::Conflict(_))),
        "nothing is broken after the mend: {reply:?}"
    );
}

#[test]
fn a_mend_that_fails_is_said_and_the_restore_still_comes() {
    let (mut core, id) = bravo_broken_until_its_mend();
    let effects = core.handle(Input::Mended {
        id,
        at: GameTime(8_000),
        outcome: BreakOutcome::Failed {
            reason: "no port".into(),
        },
    });
    assert!(notes(&effects).is_empty(), "{effects:?}");
    assert!(says(&effects)[0].contains("could not mend"), "{effects:?}");
    let effects = look(&mut core, 15_000);
    assert_eq!(
        restores(&effects).len(),
        1,
        "the restore puts it back: {effects:?}"
    );
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

#[test]
fn a_resumed_game_breaks_a_simulated_teams_new_servers_again_until_its_mend() {
    let timeline = "[[timeline]]\nat = \"5s\"\nbreak = { team = \"*\", action = \
                    \"close_port\", for = \"10s\" }";
    let mut first = game(timeline);
    let mut noted: Vec<Note> = Vec::new();
    for order in orders(&look(&mut first, 5_000)) {
        let effects = first.handle(Input::Broken {
            id: order.id.clone(),
            at: GameTime(5_000),
            outcome: done("revoked tcp 80"),
        });
        noted.extend(notes(&effects).into_iter().cloned());
    }
    let s = scenario(timeline);
    let mut start = start_of(&s, Duration::ZERO, 2);
    for note in &noted {
        start.state.apply_note(note);
    }
    let offset = Duration::from_secs(6);
    let mut resumed = Core::new(&s, Start { offset, ..start }).expect("valid rules");
    let effects = resumed.breaks_again(GameTime(6_000));
    let again: Vec<&BreakOrder> = pick(&effects, |e| match e {
        Effect::BreakAgain(o) => Some(o),
        _ => None,
    });
    let [order] = &again[..] else {
        panic!("only the simulated team's servers are new: {effects:?}")
    };
    assert_eq!(
        (order.team.as_str(), order.action, order.at),
        ("bravo", BreakAction::ClosePort, GameTime(6_000))
    );
    assert_eq!(
        order.id, "break-5000-0-bravo",
        "the same break, for its restore"
    );
    assert!(
        says(&effects)[0].contains("until the team mends it at 00:08"),
        "{effects:?}"
    );
    assert!(resumed.breaks_again(GameTime(6_000)).is_empty(), "once");
    // bravo still mends it 3 s after the break, as if the game had not stopped.
    let effects = look(&mut resumed, 8_000);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Mend { id, at, .. }
            if *id == order.id && at.0 == 8_000)),
        "{effects:?}"
    );
}

/// The organizer's command at `ms`, and the reply it got.
fn ask(core: &mut Core, ms: u64, command: Command) -> (Vec<Effect>, Result<(), Refusal>) {
    let effects = core.handle(Input::Command {
        at: GameTime(ms),
        now_unix_ms: 1_000_000 + ms,
        command,
    });
    let reply = effects
        .iter()
        .find_map(|e| match e {
            Effect::Reply(r) => Some(r.clone()),
            _ => None,
        })
        .expect("a reply");
    (effects, reply)
}

fn organizer_break(team: &str, lasting: Option<u64>) -> Command {
    Command::Break {
        team: team.into(),
        action: BreakAction::DropRoute,
        lasting: lasting.map(Duration::from_secs),
        tell: true,
    }
}

#[test]
fn the_organizer_breaks_a_team_then_restores_it_and_every_refusal_says_why() {
    let mut core = game("");
    let (effects, reply) = ask(&mut core, 2_000, organizer_break("alpha", None));
    assert_eq!(reply, Ok(()));
    let [order] = orders(&effects)[..] else {
        panic!("one break: {effects:?}")
    };
    assert_eq!(
        (order.team.as_str(), order.action),
        ("alpha", BreakAction::DropRoute)
    );
    let id = order.id.clone();
    let effects = core.handle(Input::Broken {
        id: id.clone(),
        at: GameTime(2_300),
        outcome: done("deleted the default route"),
    });
    let record = BreakRecord::from_text(&notes(&effects)[0].text).unwrap();
    assert_eq!(record.asked_by, AskedBy::Organizer);
    assert!(record.tell);
    assert_eq!(record.restore_at, None, "no for: only when asked");
    assert!(restores(&look(&mut core, 30_000)).is_empty());

    // Refusals: a team the game lacks, a team it cannot reach, nothing to restore.
    let (_, reply) = ask(&mut core, 3_000, organizer_break("zulu", None));
    assert_eq!(reply, Err(Refusal::NoSuchTeam("zulu".into())));
    let mut plain = core_of(
        &crate::scenario::parse(
            "[game]\nname = \"p\"\nduration = \"60s\"\nallow_private_targets = true\n\
             [load]\nphases = [{ at = \"0s\", rate = 5 }]\n\
             [[team]]\nname = \"alpha\"\nurl = \"http://127.0.0.1:9/\"\n",
            Path::new("p.toml"),
        )
        .unwrap(),
        Duration::ZERO,
        Duration::ZERO,
        1,
    );
    let (_, reply) = ask(&mut plain, 3_000, organizer_break("alpha", None));
    assert!(
        matches!(&reply, Err(Refusal::Conflict(why)) if why.contains("[[chaos.aws]]")),
        "{reply:?}"
    );
    let (_, reply) = ask(&mut plain, 3_000, organizer_break("*", None));
    assert!(matches!(reply, Err(Refusal::Conflict(_))), "{reply:?}");
    let (_, reply) = ask(
        &mut core,
        3_000,
        Command::Restore {
            team: Some("bravo".into()),
        },
    );
    assert!(
        matches!(&reply, Err(Refusal::Conflict(why)) if why.contains("bravo")),
        "{reply:?}"
    );

    // Restore: at once, what the break recorded, noted as put back.
    let (effects, reply) = ask(
        &mut core,
        40_000,
        Command::Restore {
            team: Some("alpha".into()),
        },
    );
    assert_eq!(reply, Ok(()));
    let [restore] = restores(&effects)[..] else {
        panic!("one restore: {effects:?}")
    };
    assert_eq!(
        (restore.id.as_str(), restore.at),
        (id.as_str(), GameTime(40_000))
    );
    let (_, reply) = ask(&mut core, 41_000, Command::Restore { team: None });
    assert!(
        matches!(reply, Err(Refusal::Conflict(_))),
        "under way: nothing left to restore"
    );
}

#[test]
fn the_organizers_break_of_every_team_reaches_those_it_can_and_restore_all_puts_each_back() {
    let mut core = game("");
    let (effects, reply) = ask(&mut core, 2_000, organizer_break("*", Some(20)));
    assert_eq!(reply, Ok(()));
    let teams: Vec<&str> = orders(&effects).iter().map(|o| o.team.as_str()).collect();
    assert_eq!(teams, ["alpha", "bravo"]);
    let ids: Vec<String> = orders(&effects).iter().map(|o| o.id.clone()).collect();
    assert_ne!(ids[0], ids[1]);
    // A second break at the same instant is a break of its own.
    let (again, _) = ask(&mut core, 2_000, organizer_break("alpha", None));
    assert!(!ids.contains(&orders(&again)[0].id));
    for id in &ids {
        core.handle(Input::Broken {
            id: id.clone(),
            at: GameTime(2_100),
            outcome: done("broken"),
        });
    }
    let (effects, reply) = ask(&mut core, 5_000, Command::Restore { team: None });
    assert_eq!(reply, Ok(()));
    let restored: Vec<&str> = restores(&effects).iter().map(|r| r.team.as_str()).collect();
    assert_eq!(
        restored,
        ["alpha", "bravo"],
        "the break still waiting for its answer waits"
    );
    assert!(
        restores(&look(&mut core, 25_000)).is_empty(),
        "for does not restore twice"
    );
}
