//! A read-only replica of a game: the board and events drawn from the ledger alone (a
//! finished game, or one another process is playing), refreshed every few seconds.

use std::collections::HashSet;
use std::time::Duration;

use scoreboard::live::LivePublisher;
use scoreboard::{EventFilter, GameTime, Ledger, LedgerAt};

use super::GameError;
use super::snapshot::{Flags, GameFacts, snapshot};
use super::state::GameState;

/// Follows a ledger and publishes what it holds.
pub struct Replica {
    at: LedgerAt,
    /// The ledger, kept open between refreshes (opened again after an error).
    ledger: Option<Box<dyn Ledger + Send>>,
    seen: HashSet<(String, u32)>,
}

impl Replica {
    pub fn new(at: LedgerAt) -> Replica {
        Replica {
            at,
            ledger: None,
            seen: HashSet::new(),
        }
    }

    /// Reads the ledger again and publishes a fresh snapshot, and the events not seen yet.
    pub fn refresh(&mut self, live: &LivePublisher) -> Result<(), GameError> {
        let ledger = match self.ledger.take() {
            Some(ledger) => ledger,
            None => self.at.open_existing()?,
        };
        self.publish(&*ledger, live)?;
        self.ledger = Some(ledger);
        Ok(())
    }

    fn publish(&mut self, ledger: &dyn Ledger, live: &LivePublisher) -> Result<(), GameError> {
        let meta = ledger
            .meta()?
            .ok_or_else(|| GameError::Unsupported(format!("{} holds no game yet", self.at)))?;
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
