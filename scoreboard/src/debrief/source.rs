//! What a followed ledger marks on the debrief's charts: the pauses and resumes, the
//! announcements and the teams' new URLs ([`Follower::markers`]).

use super::{Marker, MarkerKind};
use crate::follower::Follower;
use scoreboard_domain::breaks::BreakNote;
use scoreboard_ledger::NoteKind;

impl Follower {
    /// What the ledger marks on the charts: the pauses and resumes, the announcements (made
    /// live or from the scenario's timeline: the ledger is their one source) and the teams'
    /// new URLs.
    pub fn markers(&self) -> Vec<Marker> {
        let clock = self.clock.iter().map(|e| Marker {
            at: e.at,
            kind: MarkerKind::Pause,
            team: None,
            text: if e.paused {
                "game paused"
            } else {
                "game resumed"
            }
            .to_owned(),
        });
        let notes = self.notes.iter().filter_map(|n| {
            let (kind, text) = match n.kind {
                NoteKind::Announcement => (MarkerKind::Announcement, n.text.clone()),
                NoteKind::UrlChange => (MarkerKind::Url, format!("now answers at {}", n.text)),
                NoteKind::Registration => (
                    MarkerKind::Url,
                    format!("registered its endpoint {}", n.text),
                ),
                // Every reader sees the board freeze, the public report too.
                NoteKind::Freeze => (
                    MarkerKind::Announcement,
                    "the public board froze".to_owned(),
                ),
                NoteKind::Unfreeze => (
                    MarkerKind::Announcement,
                    "the public board is live again".to_owned(),
                ),
                // The instructor's breaks and restores: the organizer's marks (a fault's
                // kind is never public), each with what it did.
                NoteKind::Break | NoteKind::Restore => {
                    let b = BreakNote::of(n)?;
                    let what = if b.restore { "restore" } else { "break" };
                    let words = b.record.words();
                    let action = b.record.action;
                    (MarkerKind::Fault, format!("{what} {action}: {words}"))
                }
                // Checks are the team's own business: the timeline keeps what changed. A
                // name is not a moment of the game (an organizer's rename is an event), nor
                // the URLs the scenario gave.
                NoteKind::CheckPassed
                | NoteKind::CheckFailed
                | NoteKind::TeamName
                | NoteKind::ScenarioUrls => {
                    return None;
                }
            };
            let team = (n.kind != NoteKind::Announcement)
                .then(|| n.team.clone())
                .flatten();
            Some(Marker {
                at: n.at,
                kind,
                team,
                text,
            })
        });
        clock.chain(notes).collect()
    }
}
