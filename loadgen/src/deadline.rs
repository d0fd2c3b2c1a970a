//! Request deadlines kept by the engine loop: each request in flight carries its deadline,
//! and the loop's own timer (one a target) expires the overdue ones, instead of a tokio
//! timer registered and removed for every request (that was 1.4 % of the client's CPU).

use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use futures_util::stream::FuturesUnordered;
use pin_project_lite::pin_project;
use tokio::time::Instant;

pin_project! {
    /// A request's future with its deadline and what the loop needs to know of it (`tag`).
    /// It finishes with `(tag, Some(output))`, or with `(tag, None)` once expired (the
    /// request is abandoned as it drops).
    pub(crate) struct Deadlined<F, T> {
        #[pin]
        inner: F,
        tag: T,
        deadline: Instant,
        expired: bool,
        // The waker of its last poll, to finish it when it expires.
        waker: Option<Waker>,
    }
}

impl<F, T> Deadlined<F, T> {
    pub(crate) fn new(inner: F, tag: T, deadline: Instant) -> Self {
        Deadlined {
            inner,
            tag,
            deadline,
            expired: false,
            waker: None,
        }
    }

    /// Expires it if its deadline is `now` or earlier, waking it so that it finishes;
    /// otherwise returns its deadline.
    fn expire_by(self: Pin<&mut Self>, now: Instant) -> Option<Instant> {
        let this = self.project();
        if *this.expired {
            return None;
        }
        if *this.deadline > now {
            return Some(*this.deadline);
        }
        *this.expired = true;
        if let Some(waker) = this.waker.take() {
            waker.wake();
        }
        None
    }
}

impl<F: Future, T: Copy> Future for Deadlined<F, T> {
    type Output = (T, Option<F::Output>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if *this.expired {
            return Poll::Ready((*this.tag, None));
        }
        match this.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => *this.waker = Some(cx.waker().clone()),
        }
        this.inner.poll(cx).map(|out| (*this.tag, Some(out)))
    }
}

/// Expires every request in `in_flight` whose deadline is `now` or earlier; returns the
/// earliest deadline of those left, when the loop must look again.
pub(crate) fn expire<F: Future, T: Copy>(
    in_flight: &mut FuturesUnordered<Deadlined<F, T>>,
    now: Instant,
) -> Option<Instant> {
    Pin::new(in_flight)
        .iter_pin_mut()
        .filter_map(|request| request.expire_by(now))
        .min()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::StreamExt;

    use super::*;

    #[tokio::test]
    async fn overdue_requests_finish_as_expired_and_the_rest_run_on() {
        let start = Instant::now();
        let ms = Duration::from_millis;
        let mut in_flight = FuturesUnordered::new();
        for (tag, deadline, takes) in [(1, 50, 10_000), (2, 10_000, 200), (3, 10_000, 5)] {
            let work = tokio::time::sleep(ms(takes));
            in_flight.push(Deadlined::new(work, tag, start + ms(deadline)));
        }
        // Nothing is overdue yet: the earliest deadline comes back.
        assert_eq!(expire(&mut in_flight, start), Some(start + ms(50)));
        assert_eq!(in_flight.next().await, Some((3, Some(()))), "3 takes 5 ms");
        tokio::time::sleep_until(start + ms(50)).await;
        assert_eq!(
            expire(&mut in_flight, Instant::now()),
            Some(start + ms(10_000))
        );
        assert_eq!(
            in_flight.next().await,
            Some((1, None)),
            "1 expired at 50 ms"
        );
        assert_eq!(
            in_flight.next().await,
            Some((2, Some(()))),
            "2 takes 200 ms"
        );
        assert!(start.elapsed() < ms(10_000), "1 did not run its 10 s");
        assert_eq!(expire(&mut in_flight, Instant::now()), None);
    }
}
