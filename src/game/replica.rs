//! A read-only replica of a game: the board and events drawn from the ledger alone (a
//! finished game, or one another process is playing), refreshed every few seconds.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use scoreboard::live::LivePublisher;
use scoreboard::{EventFilter, GameTime, Ledger, SqliteLedger};

use super::GameError;
use super::snapshot::{Flags, GameFacts, snapshot};
use super::state::GameState;

/// Follows a ledger and publishes what it holds.
pub struct Replica {
    db: PathBuf,
    seen: HashSet<(String, u32)>,
}

impl Replica {
    pub fn new(db: &Path) -> Replica {
        Replica {
            db: db.to_owned(),
            seen: HashSet::new(),
        }
    }

    /// Reads the ledger again and publishes a fresh snapshot, and the events not seen yet.
    pub fn refresh(&mut self, live: &LivePublisher) -> Result<(), GameError> {
        let ledger = SqliteLedger::open_existing(&self.db)?;
        let meta = ledger.meta()?.ok_or_else(|| {
            GameError::Unsupported(format!("{} holds no game yet", self.db.display()))
        })?;
        let mut state = GameState::new(&meta.teams, meta.rules.billing.price);
        let tick = Duration::from_secs(1);
        ledger.for_each_cause(&mut |cause| state.apply(&cause, &[], tick))?;
        let events = ledger.events(&EventFilter::default())?;
        let mut fresh = Vec::new();
        for event in &events {
            state.apply_event(event);
            if self.seen.insert((event.cause.clone(), event.seq)) {
                fresh.push(event);
            }
        }
        state.now = events.iter().map(|e| e.at).max().unwrap_or(GameTime(0));
        let duration = Duration::from_millis(meta.duration_ms);
        let over = meta.duration_ms > 0 && state.now.as_duration() >= duration;
        let urls: Vec<Vec<String>> = meta.teams.iter().map(|_| Vec::new()).collect();
        let facts = GameFacts {
            name: &meta.name,
            duration,
            pacing: None,
            teams: &meta.teams,
            urls: &urls,
        };
        let flags = Flags {
            paused: false,
            over,
        };
        live.publish(snapshot(facts, &state, flags, None));
        for event in fresh {
            live.event(event);
        }
        Ok(())
    }
}
