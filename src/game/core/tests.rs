//! The core driven by hand: inputs in, effects out, no runtime and no clock.

use std::path::Path;
use std::time::Duration;

use loadgen::{BatchId, Outcome, OutcomeBatch};
use scoreboard_domain::{
    Biller, GameProjection, GameTime, InstanceRun, Observation, Points, Source,
};
use scoreboard_ledger::{ClockEvent, Note, NoteKind, Recorded};

use super::{Command, Core, Effect, Input, Start};
use crate::scenario::Scenario;
use scoreboard::live::Refusal;

const SCENARIO: &str = r#"
[game]
name = "core"
duration = "60s"
seed = 3
tick = "1s"
allow_private_targets = true

[keyset]
count = 10

[hash]
iterations = 10

[load]
phases = [{ at = "0s", rate = 5 }]

[billing]
price = 8
block = "15m"
points_per_dollar = 1

[[team]]
name = "alpha"
url = "http://127.0.0.1:9/"

[[team]]
name = "bravo"
simulate = { flavor = "v2", servers = 1, steps = [ { at = "10s", servers = 2 } ] }

[[timeline]]
at = "5s"
announce = "caches are allowed now"
"#;

fn scenario() -> Scenario {
    crate::scenario::parse(SCENARIO, Path::new("core.toml")).expect("the test scenario parses")
}

fn core(board_every: Duration) -> Core {
    resumed_core(board_every, Duration::ZERO, 1)
}

/// The core of run `run` of the game, resumed at game time `offset`.
fn resumed_core(board_every: Duration, offset: Duration, run: u64) -> Core {
    core_of(&scenario(), board_every, offset, run)
}

/// The core of run `run` of the game `s`, resumed at game time `offset`.
pub(super) fn core_of(s: &Scenario, board_every: Duration, offset: Duration, run: u64) -> Core {
    let start = Start {
        offset,
        ..start_of(s, board_every, run)
    };
    Core::new(s, start).expect("the rules are valid")
}

/// How run `run` of `s` starts at 0, with an empty projection.
pub(super) fn start_of(s: &Scenario, board_every: Duration, run: u64) -> Start {
    let names: Vec<String> = s.teams.iter().map(|t| t.name.clone()).collect();
    Start {
        state: GameProjection::new(&names, s.rules.billing.price, Some(s.game.tick)),
        adjusted: Default::default(),
        biller: Biller::default(),
        run,
        offset: Duration::ZERO,
        paused_ms: 0,
        board_every,
        billing_every_ms: 0,
        collector: None,
    }
}

fn batch(team: u32, name: &str, tick: u64, correct: usize, errors: usize) -> OutcomeBatch {
    let id = BatchId {
        run: 1,
        worker: 0,
        target: team,
        tick,
    };
    let mut b = OutcomeBatch::new(id, name.into());
    let key = hashref::Key::from_groups([1, 2, 3]);
    let answer = hashref::unicorn_hash(key.as_str(), "s", 1);
    let lat = Duration::from_millis(20);
    for _ in 0..correct {
        b.record(Outcome::Correct, key, answer, Some((lat, lat)));
    }
    for _ in 0..errors {
        b.record(Outcome::HttpStatus(503), key, answer, Some((lat, lat)));
    }
    b
}

pub(super) fn says(effects: &[Effect]) -> Vec<&str> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Say(s) => Some(s.as_str()),
            _ => None,
        })
        .collect()
}

fn command(core: &mut Core, at: u64, command: Command) -> Vec<Effect> {
    core.handle(Input::Command {
        at: GameTime(at),
        now_unix_ms: 1_700_000_000_000,
        command,
    })
}

#[test]
fn batches_are_placed_at_their_ticks_end_scored_and_counted() {
    let mut core = core(Duration::ZERO);
    let effects = core.handle(Input::Batches(vec![
        batch(0, "alpha", 0, 10, 0),
        batch(1, "bravo", 59, 4, 2),
    ]));
    let [Effect::Record(items)] = effects.as_slice() else {
        panic!("one record: {effects:?}");
    };
    let at: Vec<GameTime> = items
        .iter()
        .map(|(r, _)| match r {
            Recorded::Batch(b) => b.at,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(at, [GameTime(1_000), GameTime(60_000)]);
    // 10 correct answers at 1 point; 4 correct and two 503s at −0.5 each.
    assert_eq!(core.state.team("alpha").unwrap().score, Points::whole(10));
    assert_eq!(core.state.team("bravo").unwrap().score, Points::whole(3));
    assert!(items[1].1.iter().all(|e| e.team == "bravo"));
    assert!(core.handle(Input::Batches(Vec::new())).is_empty());
}

#[test]
fn a_look_carries_out_what_is_due_once_and_bills_and_prints_on_schedule() {
    let mut core = core(Duration::from_secs(10));
    let first = core.handle(Input::Look {
        now: GameTime(4_000),
    });
    assert_eq!(first, [Effect::Bill(GameTime(4_000))]);
    let due = core.handle(Input::Look {
        now: GameTime(10_000),
    });
    assert_eq!(
        says(&due),
        ["[00:05] ANNOUNCEMENT: caches are allowed now"],
        "{due:?}"
    );
    assert!(
        matches!(&due[2], Effect::Step { team, step, at } if team == "bravo" && step.servers == Some(2) && *at == GameTime(10_000)),
        "{due:?}"
    );
    assert!(due.contains(&Effect::Board));
    assert_eq!(core.state.announcements.len(), 1);
    // Nothing again until the next board.
    let again = core.handle(Input::Look {
        now: GameTime(12_000),
    });
    assert_eq!(again, [Effect::Bill(GameTime(12_000))]);
}

#[test]
fn an_observation_charges_each_started_block_once() {
    let mut core = core(Duration::ZERO);
    let run = InstanceRun {
        team: "bravo".into(),
        instance: "i-1".into(),
        instance_type: "t3.micro".into(),
        since: GameTime(0),
        until: GameTime(30_000),
    };
    let observation = Observation {
        at: GameTime(30_000),
        runs: vec![run],
    };
    let effects = core.handle(Input::Observed(observation.clone()));
    let [Effect::Record(items)] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].1[0].source, Source::Billing);
    assert_eq!(core.state.team("bravo").unwrap().billing.instances, 1);
    assert_eq!(core.state.team("bravo").unwrap().score, Points::whole(-8));
    assert!(core.handle(Input::Observed(observation)).is_empty());
}

/// A finished game resumed starts its fleet again at the end: the block that would start
/// there is not charged, while the blocks of the game are.
#[test]
fn no_block_is_charged_at_or_after_the_end() {
    let mut core = core(Duration::ZERO);
    let run = |since: u64, until: u64| InstanceRun {
        team: "bravo".into(),
        instance: "i-1".into(),
        instance_type: "t3.micro".into(),
        since: GameTime(since),
        until: GameTime(until),
    };
    let played = Observation {
        at: GameTime(60_000),
        runs: vec![run(0, 60_000)],
    };
    let effects = core.handle(Input::Observed(played));
    let [Effect::Record(items)] = effects.as_slice() else {
        panic!("the first block is charged");
    };
    assert_eq!(items.len(), 1);
    // An instance first seen at the end (01:00), or after it, would start a block there.
    let again = Observation {
        at: GameTime(60_000),
        runs: vec![InstanceRun {
            instance: "i-2".into(),
            ..run(60_000, 60_000)
        }],
    };
    assert!(core.handle(Input::Observed(again)).is_empty());
    let late = Observation {
        at: GameTime(61_000),
        runs: vec![InstanceRun {
            instance: "i-3".into(),
            ..run(60_500, 61_000)
        }],
    };
    assert!(core.handle(Input::Observed(late)).is_empty());
    assert_eq!(core.state.team("bravo").unwrap().score, Points::whole(-8));
}

#[test]
fn pause_and_resume_move_the_clock_once_each() {
    let mut core = core(Duration::ZERO);
    let paused = command(&mut core, 5_000, Command::Pause);
    assert_eq!(paused[0], Effect::Pause);
    assert_eq!(
        paused[1],
        Effect::StorePauses {
            paused_ms: 0,
            since_unix_ms: Some(1_700_000_000_000),
            event: ClockEvent {
                at: GameTime(5_000),
                unix_ms: 1_700_000_000_000,
                paused: true
            }
        }
    );
    assert!(command(&mut core, 5_000, Command::Pause).is_empty());
    assert_eq!(command(&mut core, 6_000, Command::Resume), [Effect::Resume]);
    // Still paused until the shell says the load runs again.
    assert!(core.paused());
    let resumed = core.handle(Input::Resumed {
        at: GameTime(5_000),
        run: 2,
        pause: Duration::from_secs(7),
        now_unix_ms: 1_700_000_007_000,
    });
    assert_eq!(
        resumed[0],
        Effect::StorePauses {
            paused_ms: 7_000,
            since_unix_ms: None,
            event: ClockEvent {
                at: GameTime(5_000),
                unix_ms: 1_700_000_007_000,
                paused: false
            }
        }
    );
    assert_eq!(
        says(&resumed),
        ["[00:05] resumed after a pause of 7s: the game ends 7s later"]
    );
    assert_eq!((core.paused(), core.run()), (false, 2));
    assert!(command(&mut core, 6_000, Command::Resume).is_empty());
}

#[test]
fn a_full_outbox_pauses_and_the_ledgers_return_resumes_but_not_an_organizers_pause() {
    let mut core = core(Duration::ZERO);
    let full = core.handle(Input::LedgerFull {
        at: GameTime(3_000),
        waiting: 30,
        now_unix_ms: 1,
    });
    assert!(full.contains(&Effect::Pause), "{full:?}");
    let back = core.handle(Input::LedgerBack {
        at: GameTime(3_000),
        after: Duration::from_secs(8),
        written: 30,
    });
    assert_eq!(back.last(), Some(&Effect::Resume));
    core.handle(Input::Resumed {
        at: GameTime(3_000),
        run: 2,
        pause: Duration::from_secs(8),
        now_unix_ms: 9,
    });
    // The organizer pauses, the ledger goes and comes back: the organizer's pause holds.
    command(&mut core, 4_000, Command::Pause);
    assert!(
        core.handle(Input::LedgerFull {
            at: GameTime(4_000),
            waiting: 30,
            now_unix_ms: 2,
        })
        .is_empty()
    );
    let back = core.handle(Input::LedgerBack {
        at: GameTime(4_000),
        after: Duration::from_secs(1),
        written: 30,
    });
    assert!(!back.contains(&Effect::Resume), "{back:?}");
}

#[test]
fn an_adjustment_is_checked_and_a_retried_request_lands_once() {
    let mut core = core(Duration::ZERO);
    let adjust = |team: &str, reason: &str, request: Option<&str>| Command::Adjust {
        team: team.into(),
        points: Points::whole(5),
        reason: reason.into(),
        by: "organizer".into(),
        request: request.map(str::to_owned),
    };
    let effects = command(&mut core, 1_000, adjust("zulu", "x", None));
    assert_eq!(
        effects,
        [Effect::Reply(Err(Refusal::NoSuchTeam("zulu".into())))]
    );
    let effects = command(&mut core, 1_000, adjust("alpha", "  ", None));
    assert!(matches!(&effects[..], [Effect::Reply(Err(e))] if e.to_string().contains("reason")));
    let first = command(&mut core, 1_000, adjust("alpha", " fixed ", Some("k1")));
    let Effect::Record(items) = &first[0] else {
        panic!("{first:?}");
    };
    let Recorded::Adjustment(a) = &items[0].0 else {
        panic!("{items:?}");
    };
    assert_eq!((a.id.as_str(), a.reason.as_str()), ("req-k1", "fixed"));
    assert_eq!(first.last(), Some(&Effect::Reply(Ok(()))));
    let again = command(&mut core, 2_000, adjust("alpha", "fixed", Some("k1")));
    assert_eq!(again, [Effect::Reply(Ok(()))]);
    assert_eq!(core.state.team("alpha").unwrap().score, Points::whole(5));
}

#[test]
fn a_url_change_is_refused_for_a_simulated_team_and_a_bad_url() {
    let mut core = core(Duration::ZERO);
    let set = |team: &str, url: &str| Command::SetUrl {
        team: team.into(),
        url: url.into(),
    };
    let sim = command(&mut core, 0, set("bravo", "http://127.0.0.1:8080/"));
    assert!(matches!(&sim[..], [Effect::Reply(Err(e))] if e.to_string().contains("simulated")));
    let bad = command(&mut core, 0, set("alpha", "ftp://x/"));
    assert!(matches!(&bad[..], [Effect::Reply(Err(_))]), "{bad:?}");
    let ok = command(&mut core, 0, set("alpha", "http://127.0.0.1:8080/"));
    assert_eq!(
        ok,
        [
            Effect::SetUrl {
                team: 0,
                url: "http://127.0.0.1:8080/".into(),
                note: Note {
                    id: "r1-n1-1700000000000".into(),
                    at: GameTime(0),
                    kind: NoteKind::UrlChange,
                    team: Some("alpha".into()),
                    text: "http://127.0.0.1:8080/".into(),
                }
            },
            Effect::Probe {
                team: 0,
                url: "http://127.0.0.1:8080/".into()
            },
            Effect::Reply(Ok(()))
        ]
    );
}

#[test]
fn freeze_is_a_note_of_the_board_then_and_a_stop_is_said_once() {
    let mut core = core(Duration::ZERO);
    let frozen = command(&mut core, 1_000, Command::Freeze);
    assert_eq!(
        says(&frozen),
        ["[00:01] public scoreboard frozen: the standings stay hidden until the end"]
    );
    let note = notes(&frozen)[0].clone();
    assert_eq!((note.kind, note.at), (NoteKind::Freeze, GameTime(1_000)));
    assert_eq!(core.state.frozen_at(), Some(GameTime(1_000)));
    assert!(command(&mut core, 1_000, Command::Freeze).is_empty());
    let live = command(&mut core, 2_000, Command::Unfreeze);
    assert_eq!(says(&live), ["[00:02] public scoreboard live again"]);
    assert_eq!(notes(&live)[0].kind, NoteKind::Unfreeze);
    assert_eq!(core.state.frozen_at(), None);
    let stop = command(&mut core, 3_000, Command::Quit);
    assert_eq!(stop.last(), Some(&Effect::Stop));
    assert!(core.quit());
    assert!(
        core.handle(Input::Stop {
            at: GameTime(3_000),
            signal: Some(super::Signal::Terminate)
        })
        .is_empty()
    );
    // A stopped game neither pauses nor resumes.
    assert!(command(&mut core, 3_000, Command::Pause).is_empty());
}

/// The notes among `effects`, the URL changes' too.
/// The timeline freezes the board at 20 s and shows it again at 40 s, once each; a game
/// resumed in between is still frozen (its projection read the note back) and shows it
/// again on time.
#[test]
fn the_timeline_freezes_the_board_and_a_resumed_game_stays_frozen() {
    let text = format!(
        "{SCENARIO}\n[[timeline]]\nat = \"20s\"\nfreeze = true\n\
         [[timeline]]\nat = \"40s\"\nfreeze = false\n"
    );
    let s = crate::scenario::parse(&text, Path::new("freeze.toml")).unwrap();
    let mut core = core_of(&s, Duration::ZERO, Duration::ZERO, 1);
    let look = |core: &mut Core, at: u64| core.handle(Input::Look { now: GameTime(at) });
    let due = look(&mut core, 25_000);
    let frozen: Vec<&Note> = notes(&due)
        .into_iter()
        .filter(|n| n.kind == NoteKind::Freeze)
        .collect();
    assert_eq!(frozen.len(), 1, "{due:?}");
    assert_eq!(
        (frozen[0].at, frozen[0].id.as_str()),
        (GameTime(20_000), "timeline-20000-freeze-true")
    );
    assert_eq!(core.state.frozen_at(), Some(GameTime(20_000)));
    assert!(notes(&look(&mut core, 30_000)).is_empty());

    // A restart at 30 s: the projection read back from the ledger holds the freeze note.
    let mut state = GameProjection::new(
        &["alpha".into(), "bravo".into()],
        s.rules.billing.price,
        None,
    );
    state.apply_note(frozen[0]);
    let mut resumed = Core::new(
        &s,
        Start {
            state,
            offset: Duration::from_secs(30),
            ..start_of(&s, Duration::ZERO, 2)
        },
    )
    .unwrap();
    assert_eq!(resumed.state.frozen_at(), Some(GameTime(20_000)));
    let due = look(&mut resumed, 41_000);
    let kinds: Vec<NoteKind> = notes(&due).iter().map(|n| n.kind).collect();
    assert!(kinds.contains(&NoteKind::Unfreeze), "{due:?}");
    assert_eq!(resumed.state.frozen_at(), None);
}

fn notes(effects: &[Effect]) -> Vec<&Note> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Note(n) | Effect::SetUrl { note: n, .. } => Some(n),
            _ => None,
        })
        .collect()
}

#[test]
fn announcements_and_url_changes_are_noted_once_each_for_the_ledger() {
    let mut core = core(Duration::ZERO);
    let live = command(&mut core, 2_000, Command::Announce("Lunch at noon".into()));
    assert_eq!(says(&live), ["[00:02] ANNOUNCEMENT: Lunch at noon"]);
    let moved = command(
        &mut core,
        3_000,
        Command::SetUrl {
            team: "alpha".into(),
            url: "http://127.0.0.1:8081/".into(),
        },
    );
    let due = core.handle(Input::Look {
        now: GameTime(6_000),
    });
    let all: Vec<&Note> = [&live, &moved, &due]
        .into_iter()
        .flat_map(|e| notes(e))
        .collect();
    let said: Vec<(NoteKind, Option<&str>, &str, GameTime)> = all
        .iter()
        .map(|n| (n.kind, n.team.as_deref(), n.text.as_str(), n.at))
        .collect();
    assert_eq!(
        said,
        [
            (
                NoteKind::Announcement,
                None,
                "Lunch at noon",
                GameTime(2_000)
            ),
            (
                NoteKind::UrlChange,
                Some("alpha"),
                "http://127.0.0.1:8081/",
                GameTime(3_000)
            ),
            (
                NoteKind::Announcement,
                None,
                "caches are allowed now",
                GameTime(5_000)
            ),
        ]
    );
    let ids: std::collections::BTreeSet<&str> = all.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(
        all[2].id, "timeline-5000-0",
        "named by its place in the scenario"
    );
    assert_eq!(ids.len(), 3, "every note has an id of its own: {ids:?}");
    // A refused URL is not noted.
    let refused = command(
        &mut core,
        4_000,
        Command::SetUrl {
            team: "bravo".into(),
            url: "http://127.0.0.1:8081/".into(),
        },
    );
    assert!(notes(&refused).is_empty(), "{refused:?}");
    // A game resumed at the announcement's moment makes it again under the same id: the
    // ledger keeps it once. A live one of the new run is a new note.
    let mut resumed = resumed_core(Duration::ZERO, Duration::from_secs(5), 2);
    let again = resumed.handle(Input::Look {
        now: GameTime(5_000),
    });
    assert_eq!(notes(&again)[0].id, "timeline-5000-0");
    let live = command(
        &mut resumed,
        6_000,
        Command::Announce("Lunch at noon".into()),
    );
    assert_eq!(notes(&live)[0].id, "r2-n1-1700000000000");
}

const REGISTERING: &str = r#"
[game]
name = "registering"
duration = "60s"
seed = 3
tick = "1s"
allow_private_targets = true

[keyset]
count = 10

[hash]
iterations = 10

[load]
phases = [{ at = "0s", rate = 5 }]

[[team]]
name = "alpha"

[[team]]
name = "bravo"
simulate = { flavor = "v2", servers = 1 }

[[timeline]]
at = "5s"
register = { team = "alpha", url = "http://127.0.0.1:9/" }
"#;

/// The core of [`REGISTERING`], `alpha` waiting for its endpoint.
fn registering_core() -> Core {
    let s = crate::scenario::parse(REGISTERING, Path::new("r.toml")).unwrap();
    let names: Vec<String> = s.teams.iter().map(|t| t.name.clone()).collect();
    let state = GameProjection::new(&names, s.rules.billing.price, Some(s.game.tick))
        .with_registering(&["alpha".to_owned()]);
    let start = Start {
        state,
        adjusted: Default::default(),
        biller: Biller::default(),
        run: 1,
        offset: Duration::ZERO,
        paused_ms: 0,
        board_every: Duration::ZERO,
        billing_every_ms: 0,
        collector: None,
    };
    Core::new(&s, start).unwrap()
}

fn check_alpha() -> Command {
    Command::Check {
        team: "alpha".into(),
    }
}

#[test]
fn a_team_registers_on_the_timeline_then_changes_its_url_each_probed() {
    let mut core = registering_core();
    let check = check_alpha;
    // Nothing to check before it registers.
    let early = command(&mut core, 1_000, check());
    assert!(
        matches!(&early[..], [Effect::Reply(Err(Refusal::Conflict(e)))] if e.contains("register")),
        "{early:?}"
    );
    assert!(core.state.endpoint("alpha").unwrap().is_waiting());
    // The timeline registers it: a registration note (named by its place, so a resumed game
    // records it once), then a probe.
    let due = core.handle(Input::Look {
        now: GameTime(5_000),
    });
    let at = |kind| {
        due.iter().any(|e| {
            matches!(e, Effect::SetUrl { team: 0, note, .. }
                if note.kind == kind && note.id == "timeline-5000-register-alpha")
        })
    };
    assert!(at(NoteKind::Registration), "{due:?}");
    assert!(
        due.iter()
            .any(|e| matches!(e, Effect::Probe { team: 0, .. })),
        "{due:?}"
    );
    let endpoint = core.state.endpoint("alpha").unwrap();
    assert_eq!(endpoint.registered_at, Some(GameTime(5_000)));
    // A later URL is a change, and probed too: a check asked at once is too soon.
    let set = Command::SetUrl {
        team: "alpha".into(),
        url: "http://127.0.0.1:10/".into(),
    };
    let changed = command(&mut core, 6_000, set);
    assert!(
        matches!(&changed[0], Effect::SetUrl { note, .. } if note.kind == NoteKind::UrlChange),
        "{changed:?}"
    );
    let soon = command(&mut core, 6_000, check());
    assert_eq!(
        soon,
        [Effect::Reply(Err(Refusal::TooSoon(Duration::from_secs(
            10
        ))))]
    );
}

#[test]
fn a_check_is_probed_at_most_every_10_s_and_noted_never_scored() {
    let mut core = registering_core();
    let check = check_alpha;
    let set = Command::SetUrl {
        team: "alpha".into(),
        url: "http://127.0.0.1:10/".into(),
    };
    command(&mut core, 6_000, set);
    let soon = command(&mut core, 6_000, check());
    assert_eq!(
        soon,
        [Effect::Reply(Err(Refusal::TooSoon(Duration::from_secs(
            10
        ))))]
    );
    let later = core.handle(Input::Command {
        at: GameTime(16_000),
        now_unix_ms: 1_700_000_010_000,
        command: check(),
    });
    assert_eq!(
        later,
        [
            Effect::Probe {
                team: 0,
                url: "http://127.0.0.1:10/".into()
            },
            Effect::Reply(Ok(()))
        ]
    );
    // What the probe found is noted, never scored.
    let found = core.handle(Input::Checked {
        at: GameTime(16_500),
        team: 0,
        passed: false,
        text: "connection refused: nothing listens on 127.0.0.1:10".into(),
        now_unix_ms: 1_700_000_010_500,
    });
    assert!(
        matches!(&found[..], [Effect::Say(_), Effect::Note(n)] if n.kind == NoteKind::CheckFailed),
        "{found:?}"
    );
    assert_eq!(core.state.team("alpha").unwrap().score, Points(0));
    let endpoint = core.state.endpoint("alpha").unwrap();
    assert_eq!(endpoint.describe(), "failing since 00:16");
    // A simulated team has nothing to check.
    let sim = command(
        &mut core,
        20_000,
        Command::Check {
            team: "bravo".into(),
        },
    );
    assert!(matches!(
        &sim[..],
        [Effect::Reply(Err(Refusal::Conflict(_)))]
    ));
}

/// The core and what it uses from the rest of the game (the timeline's descriptions, the
/// scenario) read no clock, start no process, open no socket and need no async runtime: the
/// shell does all of that and tells the core through inputs. Fails naming file and line.
#[test]
fn the_core_does_no_io() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for dir in ["game/core", "scenario"] {
        rust_files(&root.join(dir), &mut files);
    }
    files.push(root.join("game/timeline.rs"));
    // Spelled in pieces, so that this file does not name them.
    let forbidden: Vec<String> = [
        ["tok", "io"],
        ["Instant::", "now"],
        ["SystemTime::", "now"],
        ["std::", "process"],
        ["std::", "net"],
        ["thread::", "sleep"],
    ]
    .iter()
    .map(|p| p.concat())
    .collect();
    // Addresses are data: a URL's checks may name them.
    let allowed: Vec<String> = ["IpAddr", "Ipv4Addr", "Ipv6Addr"]
        .iter()
        .map(|t| format!("{}::{t}", forbidden[4]))
        .collect();
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let mut line = line.to_owned();
            for a in &allowed {
                line = line.replace(a.as_str(), "");
            }
            for f in &forbidden {
                if line.contains(f.as_str()) {
                    let at = file.strip_prefix(&root).unwrap_or(file).display();
                    found.push(format!("src/{at}:{}: {f}", n + 1));
                }
            }
        }
    }
    assert!(files.len() > 5, "only {files:?}");
    assert!(
        found.is_empty(),
        "the core must do no I/O and read no clock (the shell does, and sends inputs):\n{}",
        found.join("\n")
    );
}

fn rust_files(dir: &Path, into: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// The scenario's team URLs are recorded once: a new game notes each `url = …` team's (not a
/// simulated team's), a game resumed from a ledger that holds them notes none, and one whose
/// ledger is older than these notes (or whose scenario changed the URLs) notes them then.
#[test]
fn the_scenarios_urls_are_noted_once() {
    let s = scenario();
    let names: Vec<String> = s.teams.iter().map(|t| t.name.clone()).collect();
    let mut state = GameProjection::new(&names, s.rules.billing.price, None);
    let noted = super::scenario_urls(&s, &state, 1);
    assert_eq!(noted.len(), 1, "{noted:?}");
    let note = &noted[0];
    assert_eq!(
        (note.kind, note.team.as_deref(), note.text.as_str(), note.at),
        (
            NoteKind::ScenarioUrls,
            Some("alpha"),
            "http://127.0.0.1:9/",
            GameTime(0)
        )
    );
    state.apply_note(note);
    assert_eq!(
        state
            .rows()
            .iter()
            .find(|r| r.team == "alpha")
            .unwrap()
            .urls,
        ["http://127.0.0.1:9/"]
    );
    assert!(
        super::scenario_urls(&s, &state, 2).is_empty(),
        "a resumed game notes them again"
    );
    let changed = SCENARIO.replace("http://127.0.0.1:9/", "http://127.0.0.1:10/");
    let changed = crate::scenario::parse(&changed, Path::new("core.toml")).unwrap();
    let again = super::scenario_urls(&changed, &state, 2);
    assert_eq!(again.len(), 1);
    assert_eq!(
        again[0].id, "r2-urls-alpha",
        "a new id: the ledger keeps both"
    );
}

/// A name the ledger stored comes in as an input: the board shows it, nothing else is done.
#[test]
fn a_stored_name_is_on_the_board() {
    let mut core = core(Duration::ZERO);
    let name = scoreboard_domain::names::TeamName {
        team: "alpha".into(),
        name: "Alpha Wolves".into(),
        by_team: true,
    };
    assert!(core.handle(Input::Renamed(name)).is_empty());
    assert_eq!(core.state().name("alpha"), Some("Alpha Wolves"));
    assert_eq!(core.state().name("bravo"), None);
}
