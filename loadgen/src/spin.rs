//! Polling again before sleeping: a loop whose answers come microseconds apart yields to
//! the runtime (which then polls its sockets without blocking) for a short window instead of
//! sleeping at once, but only while its recent sleeps were that short.
//!
//! A client faster than its server otherwise sleeps after nearly every answer: over TLS to
//! one nginx worker, loadgen slept about 240 times a 1,000 requests, each sleep a blocking
//! `epoll_wait`, a context switch and a wakeup from the other CPU, paid by the client and by
//! the server that wakes it (loadgen/README.md, "Over TLS").

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};

/// A sleep shorter than this says answers come close together: spin before the next one.
const SHORT_SLEEP: Duration = Duration::from_micros(50);

/// How long a loop polls again before it sleeps after all: as long as a short sleep, so
/// that an answer that would have ended a short sleep ends the spin instead.
const SPIN_WINDOW: Duration = SHORT_SLEEP;

/// What one loop has learnt of its sleeps.
#[derive(Debug, Default)]
pub(crate) struct Idle {
    /// The last sleep was short (or a spin found work): spin before the next.
    short: bool,
    /// When the loop last went to sleep, until it is polled again.
    slept_at: Option<Instant>,
}

impl Idle {
    /// Awaits `wait`. While it is pending with requests in flight (`busy`) and the last
    /// sleep was short, yields to the runtime for up to [`SPIN_WINDOW`] before sleeping.
    pub(crate) async fn until<F: Future>(&mut self, busy: bool, wait: F) -> F::Output {
        let mut wait = pin!(wait);
        let mut pending_since: Option<Instant> = None;
        poll_fn(|cx| {
            if let Some(at) = self.slept_at.take() {
                self.learn(at.elapsed());
            }
            if let Poll::Ready(out) = wait.as_mut().poll(cx) {
                return Poll::Ready(out);
            }
            let now = Instant::now();
            let pending_for = now.duration_since(*pending_since.get_or_insert(now));
            if self.spins(busy, pending_for) {
                // Tokio's yield: the runtime polls its sockets without blocking, wakes what
                // is ready, and polls this task again.
                let _ = pin!(tokio::task::yield_now()).poll(cx);
                return Poll::Pending;
            }
            self.slept_at = Some(now);
            Poll::Pending
        })
        .await
    }

    /// A sleep of `slept` ended: was it short?
    fn learn(&mut self, slept: Duration) {
        self.short = slept < SHORT_SLEEP;
    }

    /// Whether a loop pending for `pending_for` polls again rather than sleeps.
    fn spins(&self, busy: bool, pending_for: Duration) -> bool {
        busy && self.short && pending_for < SPIN_WINDOW
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_busy_loop_after_a_short_sleep_spins_and_only_for_the_window() {
        let us = Duration::from_micros;
        let mut idle = Idle::default();
        assert!(!idle.spins(true, Duration::ZERO), "nothing learnt yet");
        idle.learn(us(20));
        assert!(idle.spins(true, Duration::ZERO));
        assert!(idle.spins(true, SPIN_WINDOW - us(1)));
        assert!(!idle.spins(true, SPIN_WINDOW), "past the window it sleeps");
        assert!(
            !idle.spins(false, Duration::ZERO),
            "nothing in flight: sleep"
        );
        idle.learn(Duration::from_millis(5));
        assert!(
            !idle.spins(true, Duration::ZERO),
            "a long sleep turns it off"
        );
        idle.learn(SHORT_SLEEP);
        assert!(!idle.spins(true, Duration::ZERO));
    }

    #[tokio::test]
    async fn a_loop_that_spins_still_gets_its_answer_and_learns_from_sleeps() {
        let mut idle = Idle {
            short: true,
            slept_at: None,
        };
        // Spins, then sleeps on a timer well past the window: the sleep, at least 5 ms
        // whatever the machine does, turns spinning off.
        idle.until(true, tokio::time::sleep(Duration::from_millis(5)))
            .await;
        assert!(!idle.short, "a 5 ms sleep is not short");
        assert!(idle.slept_at.is_none(), "learnt as the loop woke");
        assert_eq!(idle.until(true, async { 7 }).await, 7);
    }
}
