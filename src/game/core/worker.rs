//! A load worker's decisions without I/O: given the game's clock as the coordinator stored
//! it, the team URLs it published and what the worker runs now, what the worker does next
//! (stop its engine, point a team elsewhere, start a run). worker.rs is the shell that reads
//! the ledger and drives the engine.

use std::time::Duration;

use scoreboard::GameSession;

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
}
