//! What is costing a team points: its losses (events with negative points) by kind, over a
//! rolling window of the last five minutes of game time and over the whole game, each kind
//! with how many outcomes it counted, the points it cost, its latest reason and a hint.
//!
//! Bounded: the window is kept as at most [`SLOTS`] slots of [`SLOT`] game time, each with
//! one tally per kind lost in it (a team loses in a handful of kinds at once: a few statuses,
//! a few failures, billing). A 2-hour, 100-team game keeps per team at most 61 slots × the
//! kinds it lost in (about 3 × 61 tallies in a bad five minutes, some 40 KB), whatever the
//! length of the game; a read merges those slots only, so its work does not grow with the
//! game's history either.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use crate::{EventKind, GameTime, Points, ScoreEvent, Source, hints};

/// The window the panel covers: the last five minutes of game time.
pub const LOSS_WINDOW: Duration = Duration::from_secs(5 * 60);
/// The game time one slot of the window covers: the window is exact to this.
const SLOT: Duration = Duration::from_secs(5);
/// Slots kept: the window's, and the one it starts in.
const SLOTS: u64 = LOSS_WINDOW.as_secs() / SLOT.as_secs() + 1;

/// One line of "what is costing you points": a kind of loss over a stretch of game time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LossLine {
    pub kind: EventKind,
    /// The events' source (what tells apart the events of an older ledger, whose kind is
    /// [`EventKind::Unknown`]).
    pub source: Source,
    /// Outcomes counted (the 3 of `3 × 503`; billing blocks, adjustments).
    pub count: u64,
    /// Points lost (negative).
    pub points: Points,
    /// The reason of the latest event of the kind.
    pub example: String,
    /// What the team can try ([`hints::hint`]).
    pub hint: String,
}

impl LossLine {
    /// What a team reads in the first column: the kind's label, or for the events of an
    /// older ledger their source (`LoadGen (older events)`).
    pub fn label(&self) -> Cow<'static, str> {
        match self.kind {
            EventKind::Unknown => Cow::Owned(format!("{} (older events)", self.source)),
            kind => kind.label(),
        }
    }
}

/// Events of one kind: counted, summed, and the latest one's reason.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Tally {
    count: u64,
    points: Points,
    /// The latest event's place (game time, cause, seq): the same example whatever order
    /// the events arrived in.
    latest: (GameTime, String, u32),
    example: String,
}

impl Tally {
    fn of(e: &ScoreEvent) -> Tally {
        Tally {
            count: e.count,
            points: e.points,
            latest: (e.at, e.cause.clone(), e.seq),
            example: e.reason.clone(),
        }
    }

    fn add(&mut self, other: &Tally) {
        self.count += other.count;
        self.points += other.points;
        if other.latest > self.latest {
            self.latest.clone_from(&other.latest);
            self.example.clone_from(&other.example);
        }
    }
}

/// The kinds of loss are told apart by kind, and by source for the events of an older ledger.
type Key = (EventKind, Source);

/// A team's losses: the rolling window by slot, and the whole game.
#[derive(Clone, Debug, Default)]
pub struct Losses {
    /// Slots by number (game time / [`SLOT`]), oldest first, at most [`SLOTS`].
    slots: VecDeque<(u64, BTreeMap<Key, Tally>)>,
    /// Every loss of the game, by kind.
    game: BTreeMap<Key, Tally>,
}

impl Losses {
    /// Takes in one score event (gains and zero-point events are not losses).
    pub(super) fn add(&mut self, e: &ScoreEvent) {
        if e.points.0 >= 0 {
            return;
        }
        let key = (e.kind, e.source);
        let tally = Tally::of(e);
        merge(&mut self.game, key, &tally);
        let slot = e.at.0 / slot_ms();
        let newest = self.slots.back().map_or(slot, |(n, _)| (*n).max(slot));
        if slot + SLOTS <= newest {
            // Older than any window from the latest event on.
            return;
        }
        let i = self.slots.partition_point(|(n, _)| *n < slot);
        match self.slots.get_mut(i) {
            Some((n, kinds)) if *n == slot => merge(kinds, key, &tally),
            _ => self.slots.insert(i, (slot, BTreeMap::from([(key, tally)]))),
        }
        while self.slots.front().is_some_and(|(n, _)| n + SLOTS <= newest) {
            self.slots.pop_front();
        }
    }

    /// The losses of the last [`LOSS_WINDOW`] of game time up to `now` (to the nearest
    /// [`SLOT`]), worst first; `sla` words the hints that name it.
    pub fn recent(&self, now: GameTime, sla: Duration) -> Vec<LossLine> {
        let start = now.0.saturating_sub(LOSS_WINDOW.as_millis() as u64);
        let mut sum = BTreeMap::new();
        for (slot, kinds) in &self.slots {
            let (from, to) = (slot * slot_ms(), (slot + 1) * slot_ms());
            if to > start && from <= now.0 {
                for (key, tally) in kinds {
                    merge(&mut sum, *key, tally);
                }
            }
        }
        lines(sum, sla)
    }

    /// Every loss of the game, worst first.
    pub fn whole_game(&self, sla: Duration) -> Vec<LossLine> {
        lines(self.game.clone(), sla)
    }
}

fn slot_ms() -> u64 {
    SLOT.as_millis() as u64
}

fn merge(into: &mut BTreeMap<Key, Tally>, key: Key, tally: &Tally) {
    match into.get_mut(&key) {
        Some(kept) => kept.add(tally),
        None => {
            into.insert(key, tally.clone());
        }
    }
}

/// The tallies as lines, the most points lost first (then by kind, for a stable order).
fn lines(sum: BTreeMap<Key, Tally>, sla: Duration) -> Vec<LossLine> {
    let mut out: Vec<LossLine> = sum
        .into_iter()
        .map(|((kind, source), t)| LossLine {
            kind,
            source,
            count: t.count,
            points: t.points,
            example: t.example,
            hint: hints::hint(kind, sla).into_owned(),
        })
        .collect();
    out.sort_by_key(|l| l.points);
    out
}

#[cfg(test)]
mod tests {
    use loadgen_outcome::OutcomeKind;

    use super::*;

    fn loss(at_s: u64, kind: EventKind, count: u64, milli: i64, reason: &str) -> ScoreEvent {
        ScoreEvent {
            at: GameTime(at_s * 1000),
            team: "a".into(),
            source: match kind {
                EventKind::Billing => Source::Billing,
                _ => Source::LoadGen,
            },
            points: Points(milli),
            reason: reason.into(),
            kind,
            count,
            cause: format!("batch:{at_s}/{reason}"),
            seq: 0,
        }
    }

    const SLA: Duration = Duration::from_secs(5);
    const S503: EventKind = EventKind::Status(503);

    #[test]
    fn losses_group_by_kind_worst_first_with_the_latest_example() {
        let mut l = Losses::default();
        l.add(&loss(10, S503, 3, -1500, "3 × 503 (a)"));
        l.add(&loss(11, S503, 2, -1000, "2 × 503 (b)"));
        l.add(&loss(
            11,
            EventKind::WrongAnswer,
            1,
            -1000,
            "1 answer did not match",
        ));
        l.add(&loss(12, EventKind::Billing, 1, -4000, "EC2 i-1 block #1"));
        // Gains and zero-point events are not losses.
        l.add(&loss(12, EventKind::Correct, 40, 40_000, "40 correct"));
        l.add(&loss(12, EventKind::Void, 1, 0, "tick voided"));
        let lines = l.recent(GameTime(20_000), SLA);
        let got: Vec<(EventKind, u64, i64, &str)> = lines
            .iter()
            .map(|x| (x.kind, x.count, x.points.0, x.example.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (EventKind::Billing, 1, -4000, "EC2 i-1 block #1"),
                (S503, 5, -2500, "2 × 503 (b)"),
                (EventKind::WrongAnswer, 1, -1000, "1 answer did not match"),
            ]
        );
        assert!(lines[1].hint.contains("queue is full"), "{}", lines[1].hint);
        assert!(lines[2].hint.contains("salt"), "{}", lines[2].hint);
    }

    #[test]
    fn the_window_is_the_last_five_minutes_and_the_game_keeps_all() {
        let mut l = Losses::default();
        let timeout = EventKind::Failure(OutcomeKind::Timeout);
        l.add(&loss(100, timeout, 4, -2000, "4 requests timed out"));
        // At 6:40 the timeouts of 1:40 are in the window; at 6:46 they are past it.
        let now = l.recent(GameTime(400_000), SLA);
        assert_eq!(now.len(), 1);
        assert_eq!(
            (now[0].kind, now[0].count, now[0].points.0),
            (timeout, 4, -2000)
        );
        assert!(l.recent(GameTime(406_000), SLA).is_empty());
        l.add(&loss(500, S503, 1, -500, "1 × 503"));
        let later = l.recent(GameTime(500_000), SLA);
        assert_eq!(later.iter().map(|x| x.kind).collect::<Vec<_>>(), [S503]);
        let game = l.whole_game(SLA);
        assert_eq!(
            game.iter().map(|x| (x.kind, x.count)).collect::<Vec<_>>(),
            [(timeout, 4), (S503, 1)]
        );
        assert!(game[0].hint.contains("5 s"), "{}", game[0].hint);
        // Nothing in the window: no line, and the old slots are gone.
        assert!(l.recent(GameTime(900_000), SLA).is_empty());
        assert_eq!(l.slots.len(), 1);
    }

    #[test]
    fn memory_stays_bounded_over_a_long_game() {
        let mut l = Losses::default();
        // Two hours of one-second ticks, three kinds lost each tick.
        for s in 0..7200 {
            l.add(&loss(s, S503, 1, -500, "503"));
            l.add(&loss(s, EventKind::WrongAnswer, 2, -2000, "wrong"));
            l.add(&loss(
                s,
                EventKind::Failure(OutcomeKind::Reset),
                1,
                -500,
                "reset",
            ));
        }
        assert!(l.slots.len() as u64 <= SLOTS, "{} slots", l.slots.len());
        assert_eq!(l.game.len(), 3);
        let recent = l.recent(GameTime(7_200_000), SLA);
        let wrong = recent
            .iter()
            .find(|x| x.kind == EventKind::WrongAnswer)
            .unwrap();
        // 300 s of ticks, to the nearest slot.
        assert!((600..=620).contains(&wrong.count), "{}", wrong.count);
        assert_eq!(l.whole_game(SLA)[0].count, 14_400);
    }

    #[test]
    fn the_same_events_in_any_order_give_the_same_lines() {
        let events: Vec<ScoreEvent> = (0..400u64)
            .map(|i| {
                let kind = [S503, EventKind::WrongAnswer, EventKind::Billing][(i % 3) as usize];
                loss(
                    (i * 7) % 390,
                    kind,
                    i % 4 + 1,
                    -((i % 5) as i64 + 1) * 100,
                    &format!("r{i}"),
                )
            })
            .collect();
        let (mut forward, mut backward) = (Losses::default(), Losses::default());
        events.iter().for_each(|e| forward.add(e));
        events.iter().rev().for_each(|e| backward.add(e));
        let now = GameTime(390_000);
        assert_eq!(forward.recent(now, SLA), backward.recent(now, SLA));
        assert_eq!(forward.whole_game(SLA), backward.whole_game(SLA));
    }

    #[test]
    fn events_of_an_older_ledger_group_by_source() {
        let mut l = Losses::default();
        let mut old = loss(
            10,
            EventKind::Unknown,
            1,
            -500,
            "1 × 503 (your queue is full)",
        );
        l.add(&old);
        old.source = Source::Billing;
        old.reason = "EC2 i-1 running".into();
        old.points = Points(-4000);
        l.add(&old);
        let lines = l.recent(GameTime(20_000), SLA);
        let got: Vec<(EventKind, Source)> = lines.iter().map(|x| (x.kind, x.source)).collect();
        assert_eq!(
            got,
            [
                (EventKind::Unknown, Source::Billing),
                (EventKind::Unknown, Source::LoadGen)
            ]
        );
        assert_eq!(lines[0].label(), "Billing (older events)");
    }
}
