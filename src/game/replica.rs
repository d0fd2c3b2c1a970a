//! A read-only replica of a game: the board and events drawn from the ledger alone (a
//! finished game, or one another process is playing), refreshed every few seconds by the
//! one [`Follower`] of a ledger: each refresh reads only what was written after its
//! projection's cursor (causes, events, and notes: announcements, URLs, checks, names).
//! Once serving, it follows the ledger on a thread of its own ([`Replica::follow`]), so
//! that a database that stops answering never holds up the caller's loop.

use std::time::Duration;

use scoreboard::follower::Follower;
use scoreboard::live::LivePublisher;
use scoreboard_ledger::{Ledger, LedgerAt};

use super::error::GameError;

/// What a replica following its ledger says.
#[derive(Debug)]
pub enum ReplicaNews {
    /// A refresh failed (said once; the board shows what was read before).
    Failed(GameError),
    /// The ledger answers again.
    Back,
}

/// Follows a ledger and publishes what it holds.
pub struct Replica {
    at: LedgerAt,
    /// The ledger, kept open between refreshes (opened again after an error).
    ledger: Option<Box<dyn Ledger + Send>>,
    /// The game as far as it has been read, once the ledger holds one.
    game: Option<Follower>,
    published: bool,
}

impl Replica {
    pub fn new(at: LedgerAt) -> Replica {
        Replica {
            at,
            ledger: None,
            game: None,
            published: false,
        }
    }

    /// Refreshes `live` every `every` on a thread of its own, saying when a refresh fails and
    /// when the ledger answers again (once each); it stops when the receiver is dropped.
    pub fn follow(
        mut self,
        live: LivePublisher,
        every: Duration,
    ) -> std::io::Result<tokio::sync::mpsc::UnboundedReceiver<ReplicaNews>> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        std::thread::Builder::new()
            .name("replica".into())
            .spawn(move || {
                let mut failing = false;
                while !tx.is_closed() {
                    std::thread::sleep(every);
                    let news = match self.refresh(&live) {
                        Err(e) if !failing => Some(ReplicaNews::Failed(e)),
                        Ok(()) if failing => Some(ReplicaNews::Back),
                        _ => None,
                    };
                    if let Some(news) = news {
                        failing = matches!(news, ReplicaNews::Failed(_));
                        if tx.send(news).is_err() {
                            return;
                        }
                    }
                }
            })?;
        Ok(rx)
    }

    /// Reads what is new in the ledger and publishes a fresh snapshot, and the new events.
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
        if self.game.is_none() {
            let game = Follower::start(ledger)?
                .ok_or_else(|| GameError::Unsupported(format!("{} holds no game yet", self.at)))?;
            self.game = Some(game);
        }
        let Some(game) = &mut self.game else {
            return Ok(());
        };
        let moved = game.catch_up(ledger, &mut |event| live.event(event))?;
        if !moved && self.published {
            // Nothing new: the views keep the snapshot they have.
            return Ok(());
        }
        self.published = true;
        live.publish(game.snapshot());
        Ok(())
    }
}
