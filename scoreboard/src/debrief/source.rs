//! A game read from its ledger for a report: what the game is, its projection (caught up
//! from the ledger's cursor, so a server that keeps one reads only what is new), how many
//! load workers joined, and what the ledger recorded as it happened beyond the score: the
//! pauses and resumes, the announcements, the teams' new URLs.

use super::{Marker, MarkerKind};
use crate::{ClockEvent, GameMeta, GameProjection, Ledger, LedgerError, Note, NoteKind};

/// Notes read at a time beside a game's own projection.
const NOTE_CHUNK: usize = 4096;

/// A game as its ledger holds it.
#[derive(Clone, Debug)]
pub struct LedgerGame {
    pub meta: GameMeta,
    pub projection: GameProjection,
    pub workers: usize,
    /// The game's pauses and resumes, as the ledger recorded them.
    pub clock: Vec<ClockEvent>,
    /// Its announcements and teams' URL changes, as the ledger recorded them.
    pub notes: Vec<Note>,
    /// The position of the last note read when the projection is the game's own (the
    /// next catch-up reads only newer ones); else the projection's cursor has it.
    notes_cursor: u64,
    /// Whether it keeps its projection caught up with the ledger (not when the game running
    /// in this process hands its own over: [`LedgerGame::read_beside`]).
    follows: bool,
}

impl LedgerGame {
    /// The game in `ledger`, read whole; `None` when it holds no game yet.
    pub fn read(ledger: &dyn Ledger) -> Result<Option<LedgerGame>, LedgerError> {
        Self::read_as(ledger, true)
    }

    /// What the ledger says of the game beside its projection (its rules, workers, pauses
    /// and notes), for a view that has the game's projection from the game itself: its own
    /// stays empty.
    pub fn read_beside(ledger: &dyn Ledger) -> Result<Option<LedgerGame>, LedgerError> {
        Self::read_as(ledger, false)
    }

    fn read_as(ledger: &dyn Ledger, follows: bool) -> Result<Option<LedgerGame>, LedgerError> {
        let Some(meta) = ledger.meta()? else {
            return Ok(None);
        };
        let projection = GameProjection::new(&meta.teams, meta.rules.billing.price, None)
            .with_block(meta.rules.billing.block)
            .with_sla(meta.rules.sla)
            .with_registering(&meta.registering);
        let mut game = LedgerGame {
            meta,
            projection,
            workers: 0,
            clock: Vec::new(),
            notes: Vec::new(),
            notes_cursor: 0,
            follows,
        };
        game.catch_up(ledger)?;
        Ok(Some(game))
    }

    /// Whether its projection follows the ledger ([`LedgerGame::read`]) or stays empty
    /// ([`LedgerGame::read_beside`]).
    pub fn follows(&self) -> bool {
        self.follows
    }

    /// Applies what the ledger holds beyond the projection's cursor (its causes, events and
    /// notes), keeping the notes the markers show.
    pub fn catch_up(&mut self, ledger: &dyn Ledger) -> Result<(), LedgerError> {
        let notes = &mut self.notes;
        let mut keep = |note: &Note| {
            if note.kind != NoteKind::TeamName {
                notes.push(note.clone());
            }
        };
        if self.follows {
            self.projection
                .catch_up_noting(ledger, &mut |_| {}, &mut keep)?;
        } else {
            // The game's own projection has the notes: these are the markers'.
            loop {
                let chunk = ledger.notes_after(self.notes_cursor, NOTE_CHUNK)?;
                for (seq, note) in &chunk {
                    self.notes_cursor = *seq;
                    keep(note);
                }
                if chunk.len() < NOTE_CHUNK {
                    break;
                }
            }
        }
        self.workers = ledger.workers()?.len();
        // A game pauses a few dozen times at most: read whole.
        self.clock = ledger.clock_events()?;
        Ok(())
    }

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
                // Checks are the team's own business: the timeline keeps what changed. A
                // name is not a moment of the game (an organizer's rename is an event).
                NoteKind::CheckPassed | NoteKind::CheckFailed | NoteKind::TeamName => {
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
