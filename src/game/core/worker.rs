//! A load worker's decisions without I/O: given the game's clock as the coordinator stored
//! it, the team URLs it published and what the worker runs now, what the worker does next
//! (stop its engine, point a team elsewhere, start a run); and which of its batches go to
//! the ledger now and which are held for the drain batch at the end ([`Batches`]).
//! worker.rs is the shell that reads the ledger, drives the engine and writes.

use std::sync::Arc;
use std::time::Duration;

use loadgen::{BatchId, OutcomeBatch};
use scoreboard_domain::GameTime;
use scoreboard_ledger::{GameSession, RecordedBatch};

use super::clock::TickClock;

/// What the worker runs now: the run of its engine and the URLs it sends to.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Running<'a> {
    pub(crate) run: u64,
    pub(crate) urls: &'a [Vec<String>],
}

/// One thing for the worker to do, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Stop the engine (a pause, or a new run of the game).
    Stop,
    /// Send team `team` (by scenario index) to `urls` from now on.
    SetUrls { team: usize, urls: Vec<String> },
    /// Start run `run` at game time `offset`, `start_in` from now (a game that starts in a
    /// moment begins with it) or at once.
    Start {
        run: u64,
        offset: Duration,
        start_in: Option<Duration>,
    },
}

/// What a worker does at game time `now` (wall clock `now_unix_ms`), running `running`,
/// with the coordinator's `session` and each team's `published` URLs (`None`: not published
/// yet; empty: the team waits to register an endpoint, and gets no load until it has).
pub(crate) fn follow(
    running: Option<Running<'_>>,
    session: &GameSession,
    published: &[Option<Vec<String>>],
    now: Duration,
    now_unix_ms: u64,
) -> Vec<Step> {
    let paused = session.paused_since_unix_ms.is_some();
    let running = running.filter(|r| !paused && r.run == session.run);
    let mut steps = Vec::new();
    if let Some(running) = running {
        for (team, (old, new)) in running.urls.iter().zip(published).enumerate() {
            if let Some(new) = new
                && old != new
                && !new.is_empty()
            {
                steps.push(Step::SetUrls {
                    team,
                    urls: new.clone(),
                });
            }
        }
        return steps;
    }
    steps.push(Step::Stop);
    if paused || published.iter().any(Option::is_none) {
        return steps;
    }
    steps.push(Step::Start {
        run: session.run,
        offset: now,
        start_in: (session.started_unix_ms > now_unix_ms)
            .then(|| Duration::from_millis(session.started_unix_ms - now_unix_ms)),
    });
    steps
}

/// A worker's batches on their way to the ledger: each tick's batch goes as it comes, placed
/// at its tick's end; answers that came after the game's end are held, merged into one drain
/// batch per team, which goes at the end (the coordinator waits for it from every segment,
/// so it knows the segment's last answers are in).
#[derive(Debug)]
pub(crate) struct Batches {
    clock: TickClock,
    /// The worker's segment index (its batch ids' `worker`).
    worker: u32,
    teams: Vec<Arc<str>>,
    /// Per team, the answers that came after the game's end, merged.
    held: Vec<Option<OutcomeBatch>>,
    /// The run of the engine started last.
    last_run: u64,
}

impl Batches {
    pub(crate) fn new(clock: TickClock, worker: u32, teams: &[String]) -> Batches {
        Batches {
            clock,
            worker,
            teams: teams.iter().map(|t| Arc::from(t.as_str())).collect(),
            held: vec![None; teams.len()],
            last_run: 0,
        }
    }

    /// Run `run` of the game started: an empty drain batch belongs to it.
    pub(crate) fn started(&mut self, run: u64) {
        self.last_run = run;
    }

    /// A batch the engine sent: to write now, or `None` when it is held for the drain.
    pub(crate) fn sort(&mut self, batch: OutcomeBatch) -> Option<RecordedBatch> {
        let drain_tick = self.clock.drain_tick();
        if batch.id.tick < drain_tick {
            let at = self.clock.batch_at(batch.id.tick);
            return Some(RecordedBatch { at, batch });
        }
        let team = batch.id.target as usize;
        if self.held.len() <= team {
            self.held.resize(team + 1, None);
        }
        let held = self.held[team].get_or_insert_with(|| {
            let id = BatchId {
                tick: drain_tick,
                ..batch.id
            };
            OutcomeBatch::new(id, batch.target.clone())
        });
        held.merge(&batch);
        None
    }

    /// At the game's end: one batch per team after the last tick, with the answers that
    /// came after the end (none, often).
    pub(crate) fn drain(&mut self) -> Vec<RecordedBatch> {
        let at = GameTime::from_duration(self.clock.duration());
        let tick = self.clock.drain_tick();
        let mut held = std::mem::take(&mut self.held);
        held.resize(self.teams.len(), None);
        held.into_iter()
            .zip(&self.teams)
            .enumerate()
            .map(|(i, (held, team))| {
                let batch = held.unwrap_or_else(|| {
                    let id = BatchId {
                        run: self.last_run,
                        worker: self.worker,
                        target: i as u32,
                        tick,
                    };
                    OutcomeBatch::new(id, team.clone())
                });
                RecordedBatch { at, batch }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(run: u64, paused: bool) -> GameSession {
        GameSession {
            started_unix_ms: 10_000,
            run,
            resumed: run > 1,
            paused_ms: 0,
            paused_since_unix_ms: paused.then_some(12_000),
        }
    }

    fn urls(list: &[&str]) -> Vec<Option<Vec<String>>> {
        list.iter().map(|u| Some(vec![(*u).to_owned()])).collect()
    }

    fn running_urls(list: &[&str]) -> Vec<Vec<String>> {
        list.iter().map(|u| vec![(*u).to_owned()]).collect()
    }

    #[test]
    fn a_worker_starts_once_every_team_has_a_url() {
        let s = session(1, false);
        let partial = vec![Some(vec!["http://a".to_owned()]), None];
        assert_eq!(
            follow(None, &s, &partial, Duration::ZERO, 11_000),
            [Step::Stop]
        );
        let both = urls(&["http://a", "http://b"]);
        assert_eq!(
            follow(None, &s, &both, Duration::from_secs(1), 11_000),
            [
                Step::Stop,
                Step::Start {
                    run: 1,
                    offset: Duration::from_secs(1),
                    start_in: None
                }
            ]
        );
        // A game whose clock starts in 2 s: begin with it.
        let early = follow(None, &s, &both, Duration::ZERO, 8_000);
        assert_eq!(
            early.last(),
            Some(&Step::Start {
                run: 1,
                offset: Duration::ZERO,
                start_in: Some(Duration::from_secs(2))
            })
        );
    }

    #[test]
    fn a_running_worker_follows_url_changes_pauses_and_new_runs() {
        let old = urls(&["http://a", "http://b"]);
        let sending = running_urls(&["http://a", "http://b"]);
        let running = Some(Running {
            run: 1,
            urls: &sending,
        });
        assert!(follow(running, &session(1, false), &old, Duration::ZERO, 11_000).is_empty());
        // Team 1 moved; a team with no URL published keeps its old one.
        let moved = vec![Some(Vec::new()), Some(vec!["https://b2".to_owned()])];
        assert_eq!(
            follow(running, &session(1, false), &moved, Duration::ZERO, 11_000),
            [Step::SetUrls {
                team: 1,
                urls: vec!["https://b2".to_owned()]
            }]
        );
        // Paused: stop, and nothing starts until the pause ends.
        assert_eq!(
            follow(running, &session(1, true), &old, Duration::ZERO, 13_000),
            [Step::Stop]
        );
        // Resumed as run 2: the old engine stops and the new run starts where the clock is.
        assert_eq!(
            follow(
                running,
                &session(2, false),
                &old,
                Duration::from_secs(7),
                20_000
            ),
            [
                Step::Stop,
                Step::Start {
                    run: 2,
                    offset: Duration::from_secs(7),
                    start_in: None
                }
            ]
        );
    }

    #[test]
    fn a_team_waiting_for_its_endpoint_does_not_hold_the_start_and_gets_load_once_it_has_one() {
        let s = session(1, false);
        // Published, with no URL: the worker starts, that team's target waits.
        let waiting = vec![Some(vec!["http://a".to_owned()]), Some(Vec::new())];
        let steps = follow(None, &s, &waiting, Duration::ZERO, 11_000);
        assert!(
            matches!(steps.last(), Some(Step::Start { run: 1, .. })),
            "{steps:?}"
        );
        let sending = vec![vec!["http://a".to_owned()], Vec::new()];
        let running = Some(Running {
            run: 1,
            urls: &sending,
        });
        assert!(follow(running, &s, &waiting, Duration::ZERO, 11_000).is_empty());
        let registered = urls(&["http://a", "http://b"]);
        assert_eq!(
            follow(running, &s, &registered, Duration::ZERO, 12_000),
            [Step::SetUrls {
                team: 1,
                urls: vec!["http://b".to_owned()]
            }]
        );
    }

    fn engine_batch(run: u64, target: u32, tick: u64, sends: u64) -> OutcomeBatch {
        let id = BatchId {
            run,
            worker: 1,
            target,
            tick,
        };
        let mut b = OutcomeBatch::new(id, Arc::from(["a", "b"][target as usize]));
        b.sends = sends;
        b
    }

    #[test]
    fn batches_of_the_game_go_now_and_answers_after_its_end_make_one_drain_batch_per_team() {
        // 2.5 s of 1-second ticks: ticks 0, 1, 2 (partial); the drain tick is 3.
        let clock = TickClock::new(Duration::from_secs(1), Duration::from_millis(2_500));
        let mut batches = Batches::new(clock, 1, &["a".to_owned(), "b".to_owned()]);
        batches.started(2);
        let now = batches
            .sort(engine_batch(2, 0, 2, 5))
            .expect("a tick of the game");
        assert_eq!((now.at, now.batch.sends), (GameTime(2_500), 5));
        // Team 0's late answers, over two engine batches: held, then merged.
        assert!(batches.sort(engine_batch(2, 0, 3, 2)).is_none());
        assert!(batches.sort(engine_batch(2, 0, 4, 1)).is_none());
        let drain = batches.drain();
        let got: Vec<(u64, u32, u32, u64, u64)> = drain
            .iter()
            .map(|d| {
                let id = d.batch.id;
                (id.run, id.worker, id.target, id.tick, d.batch.sends)
            })
            .collect();
        // Team 1 had none: an empty drain batch of the last run still says so.
        assert_eq!(got, [(2, 1, 0, 3, 3), (2, 1, 1, 3, 0)]);
        assert!(drain.iter().all(|d| d.at == GameTime(2_500)));
        // Drained once: a second call has nothing held.
        assert_eq!(batches.drain()[0].batch.sends, 0);
    }
}
