//! What the game has decided but the ledger has not yet stored: causes and their events, the
//! notes of announcements and URL changes, the pauses, and a load worker's outcome batches
//! wait here, in order, while the ledger is unavailable (a PostgreSQL restart, a full disk, a busy
//! file), and are written, each exactly once, when it is back. No I/O here: the game loop
//! asks what to write and reports how it went; this decides when to try again and what the
//! organizer is shown.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use scoreboard::live::LedgerHealth;
use scoreboard_ledger::{ClockEvent, Note, RecordedBatch};

/// Causes written in one transaction at most (a long outage drains in several).
const CHUNK: usize = 1024;
/// The most batches one write of a load worker carries: about five seconds of 100 teams'
/// ticks on two workers. A tick split over two writes is still whole for the coordinator,
/// which waits for every team's batch of every segment.
const BATCH_CHUNK: usize = 256;
/// The first wait before trying a failed ledger again, and the longest.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const LONGEST_BACKOFF: Duration = Duration::from_secs(2);

/// The causes the game may hold in memory while the ledger is away, by default: 100 teams
/// for 5 minutes of 1-second ticks.
pub const DEFAULT_CAPACITY: usize = 30_000;

pub(crate) use super::core::Item;

/// Items waiting for the ledger, and the outage, if there is one.
#[derive(Debug)]
pub(crate) struct Outbox {
    waiting: VecDeque<Item>,
    waiting_events: usize,
    capacity: usize,
    /// The pauses to store (total ms, and since when one is in force), when not stored yet,
    /// and the pauses and resumes not stored yet, oldest first.
    pauses: Option<(u64, Option<u64>)>,
    clock: Vec<ClockEvent>,
    /// Notes not stored yet, oldest first (they count against the capacity too).
    notes: VecDeque<Note>,
    /// A load worker's batches not stored yet, oldest first (a worker never pauses: they do
    /// not count against the capacity).
    batches: VecDeque<RecordedBatch>,
    outage: Option<Outage>,
}

/// The ledger has failed since `since_unix_ms`; the next try is at `next_try`.
#[derive(Debug)]
struct Outage {
    since_unix_ms: u64,
    started: Instant,
    error: String,
    attempts: u32,
    next_try: Instant,
}

/// What a failure or a success changed, for the game's log.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// Nothing the organizer needs to read again.
    None,
    /// The ledger just became unavailable.
    Down,
    /// It is back after `after`; everything that waited is written.
    Back { after: Duration, written: usize },
}

impl Outbox {
    /// An empty outbox that holds at most `capacity` causes (at least one).
    pub(crate) fn new(capacity: usize) -> Outbox {
        Outbox {
            waiting: VecDeque::new(),
            waiting_events: 0,
            capacity: capacity.max(1),
            pauses: None,
            clock: Vec::new(),
            notes: VecDeque::new(),
            batches: VecDeque::new(),
            outage: None,
        }
    }

    /// Adds a load worker's batches to write, after those already waiting.
    pub(crate) fn push_batches(&mut self, batches: impl IntoIterator<Item = RecordedBatch>) {
        self.batches.extend(batches);
    }

    /// The next batches to write in one transaction, oldest first.
    pub(crate) fn next_batches(&mut self) -> &[RecordedBatch] {
        let n = self.batches.len().min(BATCH_CHUNK);
        &self.batches.make_contiguous()[..n]
    }

    /// The first `n` batches are stored: they leave the outbox.
    pub(crate) fn batches_written(&mut self, n: usize) {
        self.batches.drain(..n.min(self.batches.len()));
    }

    /// The batches that wait.
    pub(crate) fn waiting_batches(&self) -> usize {
        self.batches.len()
    }

    /// Adds items to write, after those already waiting.
    pub(crate) fn push(&mut self, items: Vec<Item>) {
        self.waiting_events += items.iter().map(|(_, e)| e.len()).sum::<usize>();
        self.waiting.extend(items);
    }

    /// Notes the pauses to store (the latest replaces any not stored yet) and the pause or
    /// resume that brought them there (kept until stored).
    pub(crate) fn set_pauses(
        &mut self,
        paused_ms: u64,
        since_unix_ms: Option<u64>,
        event: ClockEvent,
    ) {
        self.pauses = Some((paused_ms, since_unix_ms));
        self.clock.push(event);
    }

    /// The pauses not stored yet, with the clock events not stored yet.
    pub(crate) fn pauses(&self) -> Option<(u64, Option<u64>, Vec<ClockEvent>)> {
        self.pauses
            .map(|(paused_ms, since)| (paused_ms, since, self.clock.clone()))
    }

    /// These pauses and the first `events` clock events are stored: they no longer wait,
    /// unless newer pauses came meanwhile.
    pub(crate) fn pauses_stored(
        &mut self,
        paused_ms: u64,
        since_unix_ms: Option<u64>,
        events: usize,
    ) {
        self.clock.drain(..events.min(self.clock.len()));
        if self.pauses == Some((paused_ms, since_unix_ms)) && self.clock.is_empty() {
            self.pauses = None;
        }
    }

    /// Adds a note to write, after those already waiting.
    pub(crate) fn push_note(&mut self, note: Note) {
        self.notes.push_back(note);
    }

    /// The next notes to write in one transaction, oldest first.
    pub(crate) fn next_notes(&mut self) -> &[Note] {
        let n = self.notes.len().min(CHUNK);
        &self.notes.make_contiguous()[..n]
    }

    /// The first `n` notes are stored: they leave the outbox.
    pub(crate) fn notes_written(&mut self, n: usize) {
        self.notes.drain(..n.min(self.notes.len()));
    }

    /// The buffer holds as many causes and notes as it may: the game must stop making more.
    pub(crate) fn is_full(&self) -> bool {
        self.waiting.len() + self.notes.len() >= self.capacity
    }

    /// The buffer is full and the ledger down: the game must wait for it. A ledger that is
    /// only slow (a write in flight while causes pile up) takes them all with its next write,
    /// and nothing would tell a game paused for it to resume.
    pub(crate) fn must_wait(&self) -> bool {
        self.is_full() && self.outage.is_some()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.waiting.is_empty()
            && self.notes.is_empty()
            && self.pauses.is_none()
            && self.batches.is_empty()
    }

    /// Something waits, and it is time to try.
    pub(crate) fn due(&self, now: Instant) -> bool {
        !self.is_empty() && self.outage.as_ref().is_none_or(|o| now >= o.next_try)
    }

    /// The next items to write in one transaction, oldest first.
    pub(crate) fn next_chunk(&mut self) -> &[Item] {
        let n = self.waiting.len().min(CHUNK);
        &self.waiting.make_contiguous()[..n]
    }

    /// The first `n` items are stored: they leave the outbox (returned, for the acks).
    pub(crate) fn written(&mut self, n: usize) -> Vec<Item> {
        let done: Vec<Item> = self.waiting.drain(..n.min(self.waiting.len())).collect();
        self.waiting_events -= done.iter().map(|(_, e)| e.len()).sum::<usize>();
        done
    }

    /// Everything that waited is stored: the outage, if any, is over.
    pub(crate) fn recovered(&mut self, now: Instant, written: usize) -> Change {
        if !self.is_empty() {
            return Change::None;
        }
        match self.outage.take() {
            Some(o) => Change::Back {
                after: now.duration_since(o.started),
                written,
            },
            None => Change::None,
        }
    }

    /// A try failed with `error`: the next one waits longer (up to a limit).
    pub(crate) fn failed(&mut self, error: String, now: Instant, now_unix_ms: u64) -> Change {
        match &mut self.outage {
            Some(o) => {
                o.attempts += 1;
                let wait = FIRST_BACKOFF
                    .saturating_mul(1 << o.attempts.min(8))
                    .min(LONGEST_BACKOFF);
                o.next_try = now + wait;
                o.error = error;
                Change::None
            }
            None => {
                self.outage = Some(Outage {
                    since_unix_ms: now_unix_ms,
                    started: now,
                    error,
                    attempts: 0,
                    next_try: now + FIRST_BACKOFF,
                });
                Change::Down
            }
        }
    }

    /// What the views show of the ledger.
    pub(crate) fn health(&self) -> LedgerHealth {
        LedgerHealth {
            down_since_unix_ms: self.outage.as_ref().map(|o| o.since_unix_ms),
            error: self.outage.as_ref().map(|o| o.error.clone()),
            waiting_causes: self.waiting.len() as u64,
            waiting_events: self.waiting_events as u64,
            capacity: self.capacity as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use scoreboard_domain::{Adjustment, GameTime, Points, ScoreEvent, Source};
    use scoreboard_ledger::Recorded;

    use super::*;

    fn item(n: u32, events: usize) -> Item {
        let id = format!("a{n}");
        let recorded = Recorded::Adjustment(Adjustment {
            id: id.clone(),
            at: GameTime(u64::from(n)),
            team: "t".into(),
            points: Points(1),
            reason: "r".into(),
            by: "admin".into(),
        });
        let events = (0..events)
            .map(|seq| ScoreEvent {
                at: GameTime(u64::from(n)),
                team: "t".into(),
                source: Source::Organizer,
                points: Points(1),
                reason: "r".into(),
                kind: scoreboard_domain::EventKind::Organizer,
                count: 1,
                cause: id.clone(),
                seq: seq as u32,
            })
            .collect();
        (recorded, events)
    }

    #[test]
    fn an_outage_keeps_every_item_in_order_and_backs_off() {
        let mut out = Outbox::new(10);
        let t0 = Instant::now();
        out.push(vec![item(1, 2), item(2, 1)]);
        assert!(out.due(t0));
        assert_eq!(out.failed("refused".into(), t0, 5_000), Change::Down);
        assert!(!out.due(t0), "a failed ledger is not tried again at once");
        assert!(out.due(t0 + FIRST_BACKOFF));
        assert_eq!(
            out.failed("refused".into(), t0 + FIRST_BACKOFF, 5_200),
            Change::None,
            "the organizer is told once"
        );
        assert!(!out.due(t0 + FIRST_BACKOFF * 2));
        out.push(vec![item(3, 4)]);
        let health = out.health();
        assert_eq!(health.down_since_unix_ms, Some(5_000));
        assert_eq!((health.waiting_causes, health.waiting_events), (3, 7));
        // Back: the items come out in the order they went in, each once.
        let later = t0 + Duration::from_secs(10);
        assert!(out.due(later));
        let chunk: Vec<u32> = out
            .next_chunk()
            .iter()
            .map(|(r, _)| r.at().0 as u32)
            .collect();
        assert_eq!(chunk, [1, 2, 3]);
        assert_eq!(out.written(3).len(), 3);
        assert_eq!(
            out.recovered(later, 3),
            Change::Back {
                after: Duration::from_secs(10),
                written: 3
            }
        );
        assert_eq!(
            out.health(),
            LedgerHealth {
                capacity: 10,
                ..LedgerHealth::default()
            }
        );
        assert!(!out.due(later));
    }

    #[test]
    fn the_backoff_grows_to_a_limit() {
        let mut out = Outbox::new(10);
        out.push(vec![item(1, 1)]);
        let mut now = Instant::now();
        out.failed("x".into(), now, 0);
        let mut waits = Vec::new();
        for _ in 0..12 {
            let next = out.outage.as_ref().unwrap().next_try;
            waits.push(next.duration_since(now));
            now = next;
            out.failed("x".into(), now, 0);
        }
        assert_eq!(waits[0], FIRST_BACKOFF);
        assert!(waits.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*waits.last().unwrap(), LONGEST_BACKOFF);
    }

    #[test]
    fn it_is_full_at_its_capacity_and_drains_in_chunks() {
        let mut out = Outbox::new(CHUNK + 5);
        out.push((0..CHUNK as u32 + 5).map(|n| item(n, 1)).collect());
        assert!(out.is_full());
        assert!(
            !out.must_wait(),
            "a full buffer waits only for a ledger that is down"
        );
        assert_eq!(out.next_chunk().len(), CHUNK);
        out.written(CHUNK);
        assert!(!out.is_full());
        assert_eq!(out.next_chunk().len(), 5);
        out.written(5);
        assert!(out.is_empty());
        // Pauses wait too, the latest totals only, with every pause and resume.
        let clock = |unix_ms, paused| ClockEvent {
            at: GameTime(5),
            unix_ms,
            paused,
        };
        out.set_pauses(10, Some(1), clock(1, true));
        out.set_pauses(20, None, clock(2, false));
        assert!(!out.is_empty());
        assert_eq!(
            out.pauses(),
            Some((20, None, vec![clock(1, true), clock(2, false)]))
        );
        // Stored pauses that newer ones replaced meanwhile still wait.
        out.pauses_stored(10, Some(1), 1);
        assert_eq!(out.pauses(), Some((20, None, vec![clock(2, false)])));
        out.pauses_stored(20, None, 1);
        assert!(out.is_empty());
    }

    #[test]
    fn notes_wait_through_an_outage_and_leave_once_written() {
        let mut out = Outbox::new(3);
        let note = |n: u64| Note {
            id: format!("r1-n{n}"),
            at: GameTime(n),
            kind: scoreboard_ledger::NoteKind::Announcement,
            team: None,
            text: format!("news {n}"),
        };
        let t0 = Instant::now();
        out.push_note(note(1));
        assert!(out.due(t0));
        assert_eq!(out.failed("refused".into(), t0, 0), Change::Down);
        out.push_note(note(2));
        assert!(!out.must_wait());
        out.push(vec![item(1, 1)]);
        assert!(out.is_full(), "notes count against the capacity");
        assert!(out.must_wait());
        // Back: causes first, then the notes in the order they came, each once.
        let later = t0 + Duration::from_secs(1);
        assert_eq!(out.next_chunk().len(), 1);
        out.written(1);
        assert_eq!(out.recovered(later, 1), Change::None, "notes still wait");
        assert_eq!(out.next_notes(), [note(1), note(2)]);
        // The answer to a first try was lost: the same notes go again, and then leave.
        assert_eq!(out.next_notes(), [note(1), note(2)]);
        out.notes_written(2);
        assert!(out.is_empty() && out.next_notes().is_empty());
        assert!(matches!(out.recovered(later, 3), Change::Back { .. }));
    }
}
