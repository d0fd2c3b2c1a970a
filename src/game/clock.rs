//! The shell's clock: the wall clock in Unix ms, and the game clock's arithmetic (the
//! core's, core/clock.rs) for the shell's own use.

pub(crate) use super::core::clock::TickClock;

/// The wall clock, in milliseconds since the Unix epoch.
pub(crate) fn now_unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
