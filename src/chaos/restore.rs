//! `gameday chaos restore`: the breaks a game left in place (a break noted done, with no
//! restore that put it back or found it mended), listed, or put back as their notes recorded
//! them. A real team's goes through its account (`[[chaos.aws]]`, from the scenario file)
//! and is noted in the ledger as the organizer's restore, so that the debrief and a later
//! `restore` see it. A simulated team's servers ended with its game: nothing to put back.

use std::io::Write;

use scoreboard_domain::GameTime;
use scoreboard_domain::breaks::{AskedBy, BreakNote, BreakOutcome, BreakRecord};
use scoreboard_ledger::{Ledger, LedgerAt, Note, NoteKind};

use super::ChaosError;
use crate::game::{GameError, PlayLock};
use crate::scenario::{Endpoint, Scenario};

/// Which breaks to put back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Which {
    /// None: list those in place.
    List,
    Team(String),
    All,
}

/// A break still in place: its note, whether it was a real team's, what restores of it
/// failed so far.
#[derive(Clone, Debug, PartialEq)]
pub struct InPlace {
    pub note: BreakNote,
    /// Done on a real team's account (its record is what `scoreboard_aws::chaos` applied).
    pub real: bool,
    /// Restores tried and failed, the last one's reason.
    pub failures: usize,
    pub last_failure: Option<String>,
}

impl InPlace {
    /// "shut: close_port at 0:05 (break-5000-0-shut): closed the port of …".
    pub fn line(&self) -> String {
        let b = &self.note;
        let mut line = format!(
            "{}: {} at {} ({}): {}",
            b.team,
            b.record.action,
            b.at,
            b.record.id,
            b.record.words()
        );
        if let Some(why) = &self.last_failure {
            line.push_str(&format!(
                " [{} restore(s) failed, the last: {why}]",
                self.failures
            ));
        }
        if !self.real {
            line.push_str(" [a simulated team's: its servers ended with the game]");
        }
        line
    }
}

/// The breaks of `notes` still in place, in the ledger's order: done, and neither put back
/// nor found mended by a restore (a failed restore leaves it in place, to try again).
/// `scenario`, if given, says which teams are simulated; else the record does.
pub fn in_place(notes: &[Note], scenario: Option<&Scenario>) -> Vec<InPlace> {
    let breaks: Vec<BreakNote> = notes.iter().filter_map(BreakNote::of).collect();
    let simulated = |team: &str| {
        scenario.is_some_and(|s| {
            s.teams
                .iter()
                .any(|t| t.name == team && matches!(t.endpoint, Endpoint::Simulate(_)))
        })
    };
    breaks
        .iter()
        .filter(|b| !b.restore)
        .filter_map(|b| {
            let BreakOutcome::Done { record, .. } = &b.record.outcome else {
                return None;
            };
            let restores = breaks
                .iter()
                .filter(|r| r.restore && r.record.id == b.record.id);
            let mut failures = 0;
            let mut last_failure = None;
            for r in restores {
                match &r.record.outcome {
                    BreakOutcome::Failed { reason } => {
                        failures += 1;
                        last_failure = Some(reason.clone());
                    }
                    BreakOutcome::Done { .. }
                    | BreakOutcome::AlreadyMended { .. }
                    | BreakOutcome::Mended { .. } => return None,
                }
            }
            // What `scoreboard_aws::chaos` applied has its changes; a fleet's, its servers.
            let real = record.get("changes").is_some() && !simulated(&b.team);
            Some(InPlace {
                note: b.clone(),
                real,
                failures,
                last_failure,
            })
        })
        .collect()
}

/// `gameday chaos restore`: lists the breaks `at`'s game left in place, or puts back
/// `which`, saying what each came to on `out`. Refused while a game is played on the
/// ledger. Returns how many real breaks asked for are still in place (0: all put back).
pub fn restore(
    at: &LedgerAt,
    which: &Which,
    scenario: Option<&Scenario>,
    out: &mut dyn Write,
) -> Result<usize, ChaosError> {
    // Held while restoring: no game starts on the ledger meanwhile.
    let _lock = PlayLock::take(at).map_err(|e| match e {
        GameError::Busy { .. } => ChaosError::Running(e),
        e => ChaosError::Lock(e),
    })?;
    let mut ledger = at.open_existing()?;
    let notes: Vec<Note> = ledger
        .notes_after(0, usize::MAX)?
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    let left = in_place(&notes, scenario);
    let chosen: Vec<&InPlace> = left
        .iter()
        .filter(|b| match which {
            Which::List | Which::All => true,
            Which::Team(team) => &b.note.team == team,
        })
        .collect();
    if *which == Which::List {
        return list(&chosen, out).map(|()| 0);
    }
    if chosen.is_empty() {
        writeln!(out, "no break {}is still in place", of_team(which))?;
        return Ok(0);
    }
    let mut not_restored = 0;
    for b in chosen {
        if !put_back(ledger.as_mut(), b, scenario, out)? {
            not_restored += 1;
        }
    }
    Ok(not_restored)
}

fn of_team(which: &Which) -> String {
    match which {
        Which::Team(team) => format!("of {team} "),
        Which::List | Which::All => String::new(),
    }
}

/// The listing: each break in place, and how to put them back.
fn list(left: &[&InPlace], out: &mut dyn Write) -> Result<(), ChaosError> {
    if left.is_empty() {
        writeln!(out, "no break is still in place")?;
        return Ok(());
    }
    writeln!(out, "{} break(s) still in place:", left.len())?;
    for b in left {
        writeln!(out, "  {}", b.line())?;
    }
    writeln!(
        out,
        "put them back with --team TEAM or --all (a real team's account comes from \
         --scenario FILE); nothing was changed"
    )?;
    Ok(())
}

/// Puts back one break and notes it; false when it is still in place.
fn put_back(
    ledger: &mut dyn Ledger,
    b: &InPlace,
    scenario: Option<&Scenario>,
    out: &mut dyn Write,
) -> Result<bool, ChaosError> {
    let head = format!(
        "{}: {} ({})",
        b.note.team, b.note.record.action, b.note.record.id
    );
    if !b.real {
        writeln!(
            out,
            "{head}: a simulated team's break cannot be restored after its game: its servers \
             ended with the game, so there is nothing to put back; nothing recorded"
        )?;
        return Ok(true);
    }
    let account = scenario.and_then(|s| s.chaos.iter().find(|a| a.team == b.note.team));
    let Some(account) = account else {
        let why = match scenario {
            None => "its account is the scenario's [[chaos.aws]]: give it with --scenario FILE",
            Some(_) => "the scenario has no [[chaos.aws]] account for this team",
        };
        writeln!(out, "{head}: not restored: {why}")?;
        return Ok(false);
    };
    restore_on(ledger, b, account, scenario, &head, out)
}

/// Puts back a real team's break through its account and notes what came of it; false
/// when it is still in place.
#[cfg(feature = "aws")]
fn restore_on(
    ledger: &mut dyn Ledger,
    b: &InPlace,
    account: &crate::scenario::AwsTeam,
    scenario: Option<&Scenario>,
    head: &str,
    out: &mut dyn Write,
) -> Result<bool, ChaosError> {
    let outcome = real_restore(account, scenario, b)?;
    let said = match &outcome {
        BreakOutcome::Done { what, .. } => format!("restored: {what}"),
        BreakOutcome::AlreadyMended { what } => {
            format!("already mended by the team, nothing changed: {what}")
        }
        BreakOutcome::Mended { what } => format!("mended by the team: {what}"),
        BreakOutcome::Failed { reason } => format!("could not restore: {reason}"),
    };
    let failed = matches!(outcome, BreakOutcome::Failed { .. });
    note_restore(ledger, b, outcome)?;
    writeln!(out, "{head}: {said} (noted in the ledger)")?;
    Ok(!failed)
}

/// Without the SDK a real team's break cannot be put back: said, nothing noted.
#[cfg(not(feature = "aws"))]
fn restore_on(
    _ledger: &mut dyn Ledger,
    _b: &InPlace,
    _account: &crate::scenario::AwsTeam,
    _scenario: Option<&Scenario>,
    head: &str,
    out: &mut dyn Write,
) -> Result<bool, ChaosError> {
    writeln!(
        out,
        "{head}: not restored: this gameday was built without the AWS SDK: rebuild with \
         `cargo build --release --features aws`"
    )?;
    Ok(false)
}

/// Notes the organizer's restore of `b` at the game's time now (at most its end).
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
fn note_restore(
    ledger: &mut dyn Ledger,
    b: &InPlace,
    outcome: BreakOutcome,
) -> Result<(), ChaosError> {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let end = ledger.meta()?.map_or(0, |m| m.duration_ms);
    let at = match ledger.session()? {
        Some(session) => {
            let played = u64::try_from(session.game_time(now_ms).as_millis()).unwrap_or(u64::MAX);
            if end > 0 { played.min(end) } else { played }
        }
        None => end,
    };
    let id = &b.note.record.id;
    let note_id = match b.failures {
        0 => format!("{id}-restore"),
        n => format!("{id}-restore-{}", n + 1),
    };
    let record = BreakRecord {
        id: id.clone(),
        action: b.note.record.action,
        asked_by: AskedBy::Organizer,
        tell: b.note.record.tell,
        restore_at: b.note.record.restore_at,
        outcome,
    };
    ledger.record_notes(&[Note {
        id: note_id,
        at: GameTime(at),
        kind: NoteKind::Restore,
        team: Some(b.note.team.clone()),
        text: record.to_text(),
    }])?;
    Ok(())
}

/// Puts back a real team's break through its account: what came of it.
#[cfg(feature = "aws")]
fn real_restore(
    account: &crate::scenario::AwsTeam,
    scenario: Option<&Scenario>,
    b: &InPlace,
) -> Result<BreakOutcome, ChaosError> {
    let BreakOutcome::Done { record, .. } = &b.note.record.outcome else {
        unreachable!("only a done break is in place");
    };
    let url = scenario
        .and_then(|s| s.teams.iter().find(|t| t.name == b.note.team))
        .and_then(|t| match &t.endpoint {
            Endpoint::Urls(urls) => urls.first().cloned(),
            _ => None,
        })
        .unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ChaosError::Runtime)?;
    let target = crate::game::chaos_target(account, url);
    Ok(runtime.block_on(crate::game::restore_real_break(target, record)))
}
