//! One follower of a ledger: the game it holds, its projection caught up after one cursor
//! (the causes, the events and the notes: announcements, URLs, checks, the teams' names),
//! and what the ledger says beside it (the load workers, the pauses, the notes the charts
//! mark). `gameday serve` publishes its snapshots and hands its projection to the web's
//! history pages (as a live game hands its own over), the web keeps one of its own where
//! nothing in its process hands one over, and `gameday report` draws it once.

use std::time::Duration;

use crate::live::Snapshot;
use scoreboard_domain::{GameProjection, ScoreEvent, SnapshotFacts};
use scoreboard_ledger::{ClockEvent, GameMeta, Ledger, LedgerError, Note, NoteKind};

/// A game as its ledger holds it, read as far as the projection's cursor.
#[derive(Clone, Debug)]
pub struct Follower {
    pub meta: GameMeta,
    pub projection: GameProjection,
    /// Load worker segments that joined.
    pub workers: usize,
    /// The game's pauses and resumes, as the ledger recorded them.
    pub clock: Vec<ClockEvent>,
    /// Its announcements, teams' URL changes and checks, as the ledger recorded them (the
    /// names and the scenario's URLs are the projection's).
    pub notes: Vec<Note>,
    /// Whether its projection follows the ledger's causes and events too (not beside a game
    /// that hands its own over: [`Follower::read_beside`]).
    follows: bool,
}

impl Follower {
    /// A follower of the game in `ledger` that has read nothing yet; `None` when the ledger
    /// holds no game yet.
    pub fn start(ledger: &dyn Ledger) -> Result<Option<Follower>, LedgerError> {
        Self::start_as(ledger, true)
    }

    /// The game in `ledger`, read whole.
    pub fn read(ledger: &dyn Ledger) -> Result<Option<Follower>, LedgerError> {
        Self::read_as(ledger, true)
    }

    /// What the ledger says of the game beside its projection (its rules, workers, pauses
    /// and notes), for a view that has the game's projection from the game itself: its own
    /// follows the notes only.
    pub fn read_beside(ledger: &dyn Ledger) -> Result<Option<Follower>, LedgerError> {
        Self::read_as(ledger, false)
    }

    fn read_as(ledger: &dyn Ledger, follows: bool) -> Result<Option<Follower>, LedgerError> {
        let Some(mut game) = Self::start_as(ledger, follows)? else {
            return Ok(None);
        };
        game.catch_up(ledger, &mut |_| {})?;
        Ok(Some(game))
    }

    fn start_as(ledger: &dyn Ledger, follows: bool) -> Result<Option<Follower>, LedgerError> {
        let Some(meta) = ledger.meta()? else {
            return Ok(None);
        };
        let projection = GameProjection::new(&meta.teams, meta.rules.billing.price, None)
            .with_block(meta.rules.billing.block)
            .with_sla(meta.rules.sla)
            .with_registering(&meta.registering);
        Ok(Some(Follower {
            meta,
            projection,
            workers: 0,
            clock: Vec::new(),
            notes: Vec::new(),
            follows,
        }))
    }

    /// Whether its projection follows the ledger's causes and events ([`Follower::read`])
    /// or only its notes ([`Follower::read_beside`]).
    pub fn follows(&self) -> bool {
        self.follows
    }

    /// Applies what the ledger holds beyond the projection's one cursor, calling `fresh`
    /// with each new event; reads the workers and pauses again (a handful of rows). Returns
    /// whether the projection moved.
    pub fn catch_up(
        &mut self,
        ledger: &dyn Ledger,
        fresh: &mut dyn FnMut(&ScoreEvent),
    ) -> Result<bool, LedgerError> {
        let before = self.projection.cursor();
        let notes = &mut self.notes;
        let mut keep = |note: &Note| {
            if !matches!(note.kind, NoteKind::TeamName | NoteKind::ScenarioUrls) {
                notes.push(note.clone());
            }
        };
        if self.follows {
            self.projection.catch_up_noting(ledger, fresh, &mut keep)?;
        } else {
            self.projection.catch_up_notes(ledger, &mut keep)?;
        }
        self.workers = ledger.workers()?.len();
        // A game pauses a few dozen times at most: read whole.
        self.clock = ledger.clock_events()?;
        Ok(self.projection.cursor() != before)
    }

    /// What the views show of the game as read so far (a follower knows the game's name and
    /// length, and the teams' URLs as the notes tell them, not its load).
    pub fn snapshot(&self) -> Snapshot {
        let duration = Duration::from_millis(self.meta.duration_ms);
        let over = self.meta.duration_ms > 0 && self.projection.now.as_duration() >= duration;
        self.projection.snapshot(SnapshotFacts {
            name: &self.meta.name,
            duration,
            over,
            ..SnapshotFacts::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scoreboard_domain::names::TeamName;
    use scoreboard_domain::{Adjustment, GameTime, Points, Rules, Scorer};
    use scoreboard_ledger::prelude::*;
    use scoreboard_ledger::{Recorded, SqliteLedger};

    fn adjust(ledger: &mut SqliteLedger, id: &str, team: &str, at_s: u64) {
        let cause = Recorded::Adjustment(Adjustment {
            id: id.into(),
            at: GameTime(at_s * 1000),
            team: team.into(),
            points: Points::whole(2),
            reason: "well done".into(),
            by: "test".into(),
        });
        let events = Scorer::new(Rules::default()).unwrap().events(&cause);
        assert_eq!(ledger.record(&[(cause, events)]).unwrap(), 1);
    }

    fn note(id: &str, kind: NoteKind, team: Option<&str>, text: &str) -> Note {
        Note {
            id: id.into(),
            at: GameTime(5_000),
            kind,
            team: team.map(String::from),
            text: text.into(),
        }
    }

    /// Names, URLs, notes and events reach the follower after its one cursor: a refresh
    /// with nothing new moves nothing, a rename alone moves it, and the snapshot shows each.
    #[test]
    fn a_follower_catches_up_names_notes_and_events_with_one_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = SqliteLedger::open(&dir.path().join("game.db")).unwrap();
        let meta = GameMeta {
            name: "follow".into(),
            seed: 1,
            rules: Rules::default(),
            teams: vec!["red".into(), "blue".into()],
            registering: Vec::new(),
            duration_ms: 60_000,
        };
        ledger.start_or_resume(&meta, 0).unwrap();
        let name = |team: &str, name: &str| TeamName {
            team: team.into(),
            name: name.into(),
            by_team: true,
        };
        adjust(&mut ledger, "a1", "red", 3);
        ledger.store_team_name(&name("red", "Red Pandas")).unwrap();
        let said = note("n1", NoteKind::Announcement, None, "lunch at noon");
        let moved = note("n2", NoteKind::UrlChange, Some("blue"), "http://b.example");
        let listed = note(
            "n3",
            NoteKind::ScenarioUrls,
            Some("red"),
            "http://r:1\nhttp://r:2",
        );
        ledger.record_notes(&[said, moved, listed]).unwrap();

        let mut game = Follower::start(&ledger).unwrap().unwrap();
        let mut fresh = Vec::new();
        assert!(
            game.catch_up(&ledger, &mut |e| fresh.push(e.team.clone()))
                .unwrap()
        );
        assert_eq!(fresh, ["red"]);
        let snap = game.snapshot();
        let named = |s: &Snapshot, team: &str| {
            s.teams
                .iter()
                .find(|t| t.team == team)
                .unwrap()
                .name
                .clone()
        };
        assert_eq!(named(&snap, "red"), "Red Pandas");
        assert_eq!(snap.announcements.len(), 1);
        assert_eq!(
            game.projection.endpoint("blue").unwrap().url.as_deref(),
            Some("http://b.example")
        );
        // Each team's URLs: the scenario's, or the one it changed to.
        let urls = |s: &Snapshot, team: &str| {
            s.teams
                .iter()
                .find(|t| t.team == team)
                .unwrap()
                .urls
                .clone()
        };
        assert_eq!(urls(&snap, "red"), ["http://r:1", "http://r:2"]);
        assert_eq!(urls(&snap, "blue"), ["http://b.example"]);
        // The markers' notes: the announcement and the URL change, not the name nor the
        // scenario's URLs.
        let kinds: Vec<NoteKind> = game.notes.iter().map(|n| n.kind).collect();
        assert_eq!(kinds, [NoteKind::Announcement, NoteKind::UrlChange]);

        // Nothing new: nothing moves.
        assert!(!game.catch_up(&ledger, &mut |_| panic!("no event")).unwrap());
        // A rename alone moves the cursor and reaches the snapshot.
        ledger
            .store_team_name(&name("blue", "Blue Whales"))
            .unwrap();
        assert!(game.catch_up(&ledger, &mut |_| panic!("no event")).unwrap());
        assert_eq!(named(&game.snapshot(), "blue"), "Blue Whales");
        assert_eq!(game.notes.len(), 2);
        // And an event after it, once.
        adjust(&mut ledger, "a2", "blue", 8);
        let mut fresh = Vec::new();
        assert!(
            game.catch_up(&ledger, &mut |e| fresh.push(e.team.clone()))
                .unwrap()
        );
        assert_eq!(fresh, ["blue"]);
        // A follower read whole from the same ledger stands where this one does.
        let whole = Follower::read(&ledger).unwrap().unwrap();
        assert_eq!(whole.projection.cursor(), game.projection.cursor());
        assert_eq!(whole.snapshot().teams, game.snapshot().teams);
    }
}
