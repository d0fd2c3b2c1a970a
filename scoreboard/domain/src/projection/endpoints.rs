//! Each team's endpoint as the game's notes and batches tell it: whether the team still has
//! to register one (and so gets no load), when it did, the last check of it, and since when
//! its answers have been failing. Read by the board, the cockpit, the admin page and the
//! debrief; a few fields a team, whatever the length of the game.

use serde::Serialize;

use crate::breaks::BreakNote;
use crate::{GameTime, Note, NoteKind};

/// The last check of a team's endpoint, in words (never scored).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EndpointCheck {
    pub at: GameTime,
    pub passed: bool,
    /// What the check found, in the words of score reasons, with what to try.
    pub text: String,
}

/// One team's endpoint now.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EndpointStatus {
    /// The team registers its own endpoint during the game (no URL in the scenario).
    pub registers: bool,
    /// The URL it registered or changed to last (none: the scenario's, or none yet).
    pub url: Option<String>,
    /// Its URLs as the scenario gives them (none for a team that registers its own, or a
    /// simulated one, or in a ledger older than these notes).
    pub scenario_urls: Vec<String>,
    /// When it registered its first endpoint.
    pub registered_at: Option<GameTime>,
    pub last_check: Option<EndpointCheck>,
    /// Since when every answer (or the last check) failed; none while it answers right.
    pub failing_since: Option<GameTime>,
    /// It answered right at least once (a load's answer or a check).
    pub answered: bool,
    /// The load has had answers from it (from then on the load, not checks, says whether
    /// it fails).
    pub loaded: bool,
    /// The instructor's breaks and restores the team is told of (`tell = true`), in its
    /// words, oldest first. Breaks not told are the organizer's alone.
    pub told: Vec<ToldBreak>,
}

/// A break or restore told to the team: when, and what broke and what to look at.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ToldBreak {
    pub at: GameTime,
    pub text: String,
}

/// Where a team's endpoint stands, for a line of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointState {
    /// Registers its own endpoint and has not yet: no load, no load points.
    Waiting,
    /// Has an endpoint that answered nothing yet (no load so far, no check).
    Registered,
    /// Its last answers (or its last check, before any load) were right.
    Answering,
    /// Nothing right since this game time.
    Failing(GameTime),
}

impl EndpointStatus {
    /// The team has an endpoint to send load to (or never had to register one).
    pub fn is_waiting(&self) -> bool {
        self.registers && self.registered_at.is_none()
    }

    pub fn state(&self) -> EndpointState {
        if self.is_waiting() {
            EndpointState::Waiting
        } else if let Some(since) = self.failing_since {
            EndpointState::Failing(since)
        } else if self.answered {
            EndpointState::Answering
        } else {
            EndpointState::Registered
        }
    }

    /// The URLs the load goes to now: the one the team registered or changed to last, else
    /// the scenario's.
    pub fn urls(&self) -> Vec<String> {
        match &self.url {
            Some(url) => vec![url.clone()],
            None => self.scenario_urls.clone(),
        }
    }

    /// The state in a few words: "waiting for its endpoint since 00:00", "answering",
    /// "failing since 12:04".
    pub fn describe(&self) -> String {
        match self.state() {
            EndpointState::Waiting => "waiting for its endpoint since 00:00".to_owned(),
            EndpointState::Registered => "registered, no answers yet".to_owned(),
            EndpointState::Answering => "answering".to_owned(),
            EndpointState::Failing(since) => format!("failing since {since}"),
        }
    }

    /// Takes in a note about this team.
    pub(super) fn note(&mut self, note: &Note) {
        match note.kind {
            NoteKind::Announcement | NoteKind::TeamName | NoteKind::Freeze | NoteKind::Unfreeze => {
            }
            NoteKind::Break | NoteKind::Restore => {
                if let Some(b) = BreakNote::of(note).filter(|b| b.record.tell) {
                    self.told.push(ToldBreak {
                        at: note.at,
                        text: b.team_words(),
                    });
                }
            }
            NoteKind::ScenarioUrls => {
                self.scenario_urls = note.text.lines().map(str::to_owned).collect();
            }
            NoteKind::UrlChange | NoteKind::Registration => {
                if note.kind == NoteKind::Registration {
                    self.registered_at.get_or_insert(note.at);
                }
                // A new endpoint: what the old one did says nothing of it. Its check speaks
                // for it until the load does.
                self.url = Some(note.text.clone());
                self.loaded = false;
                self.failing_since = None;
            }
            NoteKind::CheckPassed | NoteKind::CheckFailed => {
                let passed = note.kind == NoteKind::CheckPassed;
                if self.last_check.as_ref().is_some_and(|c| c.at > note.at) {
                    return;
                }
                self.last_check = Some(EndpointCheck {
                    at: note.at,
                    passed,
                    text: note.text.clone(),
                });
                // A check speaks for the endpoint until the load does.
                if !self.loaded {
                    self.failing_since = match (passed, self.failing_since) {
                        (true, _) => None,
                        (false, since) => Some(since.unwrap_or(note.at)),
                    };
                    self.answered |= passed;
                }
            }
        }
    }

    /// Takes in a tick's answers: `correct` of `total` right at `at`.
    pub(super) fn answers(&mut self, at: GameTime, correct: u64, total: u64) {
        if total == 0 {
            return;
        }
        if !self.loaded {
            // The load speaks now. A failure a check saw stands if the load fails too.
            self.loaded = true;
            if correct > 0 {
                self.failing_since = None;
            }
        }
        if correct > 0 {
            self.failing_since = None;
            self.answered = true;
        } else {
            self.failing_since = Some(self.failing_since.map_or(at, |s| s.min(at)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(at_s: u64, kind: NoteKind, text: &str) -> Note {
        Note {
            id: format!("n{at_s}"),
            at: GameTime(at_s * 1000),
            kind,
            team: Some("t".into()),
            text: text.into(),
        }
    }

    #[test]
    fn a_team_waits_until_it_registers_then_its_answers_and_checks_tell_its_state() {
        let mut e = EndpointStatus {
            registers: true,
            ..EndpointStatus::default()
        };
        assert_eq!(e.state(), EndpointState::Waiting);
        assert_eq!(e.describe(), "waiting for its endpoint since 00:00");
        e.note(&note(65, NoteKind::Registration, "http://a.example"));
        assert!(!e.is_waiting());
        assert_eq!(e.registered_at, Some(GameTime(65_000)));
        assert_eq!(e.state(), EndpointState::Registered);
        e.note(&note(66, NoteKind::CheckFailed, "connection refused"));
        assert_eq!(e.describe(), "failing since 01:06");
        // The load's first right answers end it; a failing tick starts it again.
        e.answers(GameTime(70_000), 3, 4);
        assert_eq!(e.state(), EndpointState::Answering);
        e.answers(GameTime(71_000), 0, 4);
        e.answers(GameTime(72_000), 0, 4);
        assert_eq!(e.state(), EndpointState::Failing(GameTime(71_000)));
        // A later registration note (a URL change) does not move the registration time;
        // the new endpoint's check speaks for it until the load does.
        e.note(&note(90, NoteKind::Registration, "http://b.example"));
        assert_eq!(e.registered_at, Some(GameTime(65_000)));
        assert_eq!(e.url.as_deref(), Some("http://b.example"));
        assert_eq!(e.state(), EndpointState::Answering);
        e.note(&note(91, NoteKind::CheckFailed, "connection refused"));
        assert_eq!(e.state(), EndpointState::Failing(GameTime(91_000)));
        e.note(&note(95, NoteKind::UrlChange, "http://c.example"));
        e.note(&note(96, NoteKind::CheckPassed, "3 of 3 answers right"));
        assert_eq!(e.state(), EndpointState::Answering);
    }

    #[test]
    fn the_scenarios_urls_stand_until_the_team_changes_them() {
        let mut e = EndpointStatus::default();
        assert!(e.urls().is_empty(), "an older ledger names none");
        e.note(&note(0, NoteKind::ScenarioUrls, "http://a:1\nhttp://a:2"));
        assert_eq!(e.urls(), ["http://a:1", "http://a:2"]);
        assert_eq!(
            e.state(),
            EndpointState::Registered,
            "not a change of endpoint"
        );
        e.note(&note(30, NoteKind::UrlChange, "http://b.example"));
        assert_eq!(e.urls(), ["http://b.example"]);
        // Recorded again (a resumed game whose scenario changed): the team's own still stands.
        e.note(&note(0, NoteKind::ScenarioUrls, "http://a:3"));
        assert_eq!(e.urls(), ["http://b.example"]);
    }

    #[test]
    fn a_check_that_passes_clears_a_failure_only_the_checks_saw() {
        let mut e = EndpointStatus::default();
        e.note(&note(5, NoteKind::CheckFailed, "refused"));
        assert_eq!(e.state(), EndpointState::Failing(GameTime(5000)));
        e.note(&note(9, NoteKind::CheckPassed, "3 of 3 answers right"));
        assert_eq!(e.state(), EndpointState::Answering);
        // Once the load speaks, a passing check does not hide failing answers.
        e.answers(GameTime(20_000), 0, 10);
        e.note(&note(21, NoteKind::CheckPassed, "3 of 3 answers right"));
        assert_eq!(e.state(), EndpointState::Failing(GameTime(20_000)));
        assert!(e.last_check.as_ref().is_some_and(|c| c.passed));
    }
}
