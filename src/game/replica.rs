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
        // Nothing new: the views keep the snapshot they have.
        if moved || !self.published {
            self.published = true;
            live.publish(game.snapshot());
        }
        // The web's charts and debrief read this projection, handed over when they ask (as
        // a live game hands its own over): one projection for the server, not a second one
        // read from the ledger beside it.
        live.hand_over(&game.projection);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scoreboard::live::Snapshot;
    use scoreboard_domain::GameTime;

    /// A replica hands the web its follower's projection, as a live game hands its own: the
    /// charts and the debrief of `gameday serve` read the one projection the board is drawn
    /// from, never a second one built from the ledger beside it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_replica_hands_its_projection_to_the_web() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("game.db");
        crate::test_ledger::small_game(&path);
        let live = LivePublisher::new(Snapshot::default());
        let view = live.view();
        let _news = Replica::new(LedgerAt::File(path.clone()))
            .follow(live, Duration::from_millis(20))
            .unwrap();
        let handed = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Some(p) = view.projection(Duration::from_secs(1)).await {
                    break p;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the replica hands its projection over");
        assert_eq!(
            handed.now,
            GameTime(180_000),
            "the small game's three ticks"
        );
        assert_eq!(handed.order(), ["alpha", "bravo"]);
        let board = view.now();
        for row in &board.teams {
            assert_eq!(
                handed.team(&row.team).unwrap().score,
                row.score,
                "{}",
                row.team
            );
        }
        // What the ledger gains reaches the projection handed over.
        crate::test_ledger::record_tick(&path, 3);
        tokio::time::timeout(Duration::from_secs(10), async {
            while view.projection(Duration::ZERO).await.unwrap().now < GameTime(240_000) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the fourth tick handed over");
    }
}
