//! Admission control: how many requests may be inside the server (working or queued).

use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts the requests inside the server and refuses one past the capacity at once.
pub(crate) struct Admission {
    inside: AtomicUsize,
    capacity: usize,
}

/// A place inside the server; leaving (drop, also on client disconnect) frees it.
pub(crate) struct Place<'a>(&'a AtomicUsize);

impl Drop for Place<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Admission {
    pub(crate) fn new(capacity: usize) -> Admission {
        Admission {
            inside: AtomicUsize::new(0),
            capacity,
        }
    }

    /// A place if one is free, `None` when the server is full.
    pub(crate) fn try_enter(&self) -> Option<Place<'_>> {
        self.inside
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.capacity).then_some(n + 1)
            })
            .ok()
            .map(|_| Place(&self.inside))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_up_to_capacity_and_frees_on_drop() {
        let a = Admission::new(2);
        let p1 = a.try_enter().unwrap();
        let _p2 = a.try_enter().unwrap();
        assert!(a.try_enter().is_none());
        drop(p1);
        assert!(a.try_enter().is_some());
    }
}
