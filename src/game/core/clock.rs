//! The game clock's arithmetic in one place: where a tick's batch sits in game time, which
//! tick a moment falls in, the drain tick after the last. (The wall clock is the shell's:
//! game/clock.rs.)

use std::time::Duration;

use scoreboard_domain::GameTime;

/// A game's tick and length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TickClock {
    tick: Duration,
    duration: Duration,
}

impl TickClock {
    pub(crate) fn new(tick: Duration, duration: Duration) -> TickClock {
        TickClock { tick, duration }
    }

    fn tick_ms(&self) -> u64 {
        (self.tick.as_millis() as u64).max(1)
    }

    /// Where tick `tick`'s batch is placed: at the tick's end, never past the game's end.
    pub(crate) fn batch_at(&self, tick: u64) -> GameTime {
        GameTime(((tick + 1) * self.tick_ms()).min(self.duration.as_millis() as u64))
    }

    /// The tick game time `t` falls in.
    pub(crate) fn tick_of(&self, t: Duration) -> u64 {
        t.as_millis() as u64 / self.tick_ms()
    }

    /// The tick after the game's last one: where the answers that come after the end go.
    pub(crate) fn drain_tick(&self) -> u64 {
        (self.duration.as_millis() as u64).div_ceil(self.tick_ms())
    }

    pub(crate) fn duration(&self) -> Duration {
        self.duration
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_sits_at_its_ticks_end_and_never_past_the_game() {
        let clock = TickClock::new(Duration::from_secs(1), Duration::from_millis(2_500));
        assert_eq!(clock.batch_at(0), GameTime(1_000));
        assert_eq!(clock.batch_at(1), GameTime(2_000));
        assert_eq!(clock.batch_at(2), GameTime(2_500));
        assert_eq!(clock.tick_of(Duration::from_millis(2_499)), 2);
        // A partial last tick still has a drain tick after it.
        assert_eq!(clock.drain_tick(), 3);
        let even = TickClock::new(Duration::from_secs(1), Duration::from_secs(3));
        assert_eq!(even.drain_tick(), 3);
        assert_eq!(even.batch_at(2), GameTime(3_000));
    }
}
