//! When requests start and which keys they ask: pacing, stop conditions, and the schedule
//! every target shares.

use std::time::Duration;

use hashref::ZipfPicker;

use crate::ExecSegment;
use crate::LoadgenError;

/// The highest rate a schedule may ask of one target, in requests per second.
pub const MAX_RATE: f64 = 1_000_000.0;

/// One phase of an open-model schedule: from `at`, the rate is `rate` requests per second,
/// reached by a linear ramp from the previous rate over `ramp` when one is given.
#[derive(Clone, Debug, PartialEq)]
pub struct Phase {
    pub at: Duration,
    pub rate: f64,
    pub ramp: Option<Duration>,
}

/// A rate that changes by phases and ramps. Before the first phase the rate is zero.
#[derive(Clone, Debug, PartialEq)]
pub struct RateSchedule {
    segments: Vec<Segment>,
    /// The phases as given, for display.
    phases: Vec<Phase>,
}

/// A stretch of time over which the rate moves linearly from `r0` to `r1`; `count_before`
/// requests were due before it began. The last segment goes on for ever at `r1`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Segment {
    start: f64,
    end: f64,
    r0: f64,
    r1: f64,
    count_before: f64,
}

impl Segment {
    fn count(&self) -> f64 {
        0.5 * (self.r0 + self.r1) * (self.end - self.start)
    }

    /// Seconds after `start` at which `n` requests in all have been due.
    fn time_of(&self, n: f64) -> f64 {
        let need = n - self.count_before;
        let slope = if self.end.is_finite() && self.end > self.start {
            (self.r1 - self.r0) / (self.end - self.start)
        } else {
            0.0
        };
        if slope.abs() < 1e-12 {
            need / self.r0
        } else {
            // r0·t + slope·t²/2 = need
            (-self.r0 + (self.r0 * self.r0 + 2.0 * slope * need).max(0.0).sqrt()) / slope
        }
    }
}

impl RateSchedule {
    /// One constant rate from the start.
    pub fn constant(rate: f64) -> Result<RateSchedule, LoadgenError> {
        RateSchedule::new(vec![Phase {
            at: Duration::ZERO,
            rate,
            ramp: None,
        }])
    }

    /// The phases the schedule was made from.
    pub fn phases(&self) -> &[Phase] {
        &self.phases
    }

    /// A schedule from phases in time order.
    pub fn new(phases: Vec<Phase>) -> Result<RateSchedule, LoadgenError> {
        if phases.is_empty() {
            return Err(LoadgenError::Config("a rate schedule needs a phase".into()));
        }
        for (i, p) in phases.iter().enumerate() {
            if !p.rate.is_finite() || !(0.0..=MAX_RATE).contains(&p.rate) {
                return Err(LoadgenError::Config(format!(
                    "phase {}: rate {} is not between 0 and {MAX_RATE} requests per second",
                    i + 1,
                    p.rate
                )));
            }
            if i > 0 && p.at <= phases[i - 1].at {
                return Err(LoadgenError::Config(format!(
                    "phase {}: starts at {:?}, not after the previous phase ({:?})",
                    i + 1,
                    p.at,
                    phases[i - 1].at
                )));
            }
        }
        let mut points = vec![(0.0, 0.0)];
        let mut rate = 0.0;
        for (i, p) in phases.iter().enumerate() {
            let at = p.at.as_secs_f64();
            points.push((at, rate));
            let next_at = phases
                .get(i + 1)
                .map_or(f64::INFINITY, |n| n.at.as_secs_f64());
            if let Some(ramp) = p.ramp.filter(|r| !r.is_zero()) {
                let end = at + ramp.as_secs_f64();
                if end > next_at {
                    return Err(LoadgenError::Config(format!(
                        "phase {}: its {:?} ramp runs into the next phase",
                        i + 1,
                        ramp
                    )));
                }
                points.push((end, p.rate));
            } else {
                points.push((at, p.rate));
            }
            rate = p.rate;
        }
        points.push((f64::INFINITY, rate));
        let mut segments = Vec::new();
        let mut count = 0.0;
        for pair in points.windows(2) {
            let ((start, r0), (end, r1)) = (pair[0], pair[1]);
            if end <= start && end.is_finite() {
                continue;
            }
            let r1 = if end.is_finite() { r1 } else { r0 };
            let seg = Segment {
                start,
                end,
                r0,
                r1,
                count_before: count,
            };
            if end.is_finite() {
                count += seg.count();
            }
            segments.push(seg);
        }
        Ok(RateSchedule { segments, phases })
    }

    /// The rate at time `t` from the start, in requests per second.
    pub fn rate_at(&self, t: Duration) -> f64 {
        let t = t.as_secs_f64();
        let seg = self
            .segments
            .iter()
            .rev()
            .find(|s| s.start <= t)
            .expect("the first segment starts at 0");
        if seg.end.is_finite() && seg.end > seg.start {
            seg.r0 + (seg.r1 - seg.r0) * (t - seg.start) / (seg.end - seg.start)
        } else {
            seg.r0
        }
    }

    /// How many requests are due in the first `t` of the schedule.
    pub fn expected_sends(&self, t: Duration) -> f64 {
        let t = t.as_secs_f64();
        let mut total = 0.0;
        for s in &self.segments {
            if s.start >= t {
                break;
            }
            let end = s.end.min(t);
            let r_end = self.rate_at(Duration::from_secs_f64(end));
            total = s.count_before + 0.5 * (s.r0 + r_end) * (end - s.start);
        }
        total
    }

    /// When send `seq` (counting from 0) is due, or `None` if the rate never allows that
    /// many: the last moment at which no more than `seq` requests have been due. So the
    /// first send is at time 0 (or where the rate first rises above zero), and `r × d`
    /// sends are due in the first `d` at a constant rate `r`, the last one before `d`.
    /// A pause (a rate of zero) holds the next send back to where the rate rises again.
    fn due_of(&self, seq: u64, from_segment: &mut usize) -> Option<f64> {
        let k = seq as f64;
        while let Some(seg) = self.segments.get(*from_segment) {
            let last = !seg.end.is_finite();
            if last || seg.count_before + seg.count() > k {
                if last && seg.r0 <= 0.0 {
                    return None;
                }
                return Some(seg.start + seg.time_of(k));
            }
            *from_segment += 1;
        }
        None
    }
}

/// How requests are started.
#[derive(Clone, Debug, PartialEq)]
pub enum Pacing {
    /// Open model: requests are due by the schedule whatever the server does.
    Open(RateSchedule),
    /// Closed model: `clients` clients, each sends its next request when its answer came.
    Closed { clients: usize },
}

/// When a run stops starting requests (those in flight still finish, up to their timeout).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// After this much time from the start.
    After(Duration),
    /// After this many requests per target.
    Count(u64),
    /// Only when the caller cancels (the game ends).
    Cancelled,
}

/// One request of the schedule: its number, when it is due (open model), and its key.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScheduledSend {
    pub seq: u64,
    pub due: Option<Duration>,
    pub key: u32,
}

/// The sequence of requests every target receives: same keys, same due offsets.
#[derive(Clone, Debug)]
pub struct Schedule {
    rates: Option<RateSchedule>,
    picker: ZipfPicker,
    stop: Stop,
    seq: u64,
    segment: usize,
    /// The share of the sends this schedule yields (all of them unless split).
    share: ExecSegment,
}

impl Schedule {
    /// The schedule of `pacing` with keys from `picker`, until `stop`.
    pub fn new(pacing: &Pacing, picker: ZipfPicker, stop: Stop) -> Schedule {
        let rates = match pacing {
            Pacing::Open(rates) => Some(rates.clone()),
            Pacing::Closed { .. } => None,
        };
        Schedule {
            rates,
            picker,
            stop,
            seq: 0,
            segment: 0,
            share: ExecSegment::WHOLE,
        }
    }

    /// The same schedule, yielding only the sends of `share`: their numbers, due times and
    /// keys are those of the whole schedule (the keys of other segments are drawn and
    /// passed over).
    pub fn with_segment(mut self, share: ExecSegment) -> Schedule {
        self.share = share;
        self
    }
}

impl Schedule {
    /// Moves past every send due before `offset` from the schedule's start, so that the
    /// next send is the first one an unshifted run sends at or after `offset`: the same
    /// number, due time and key. Returns how many sends were skipped.
    ///
    /// In the open model the count comes from the rate schedule's integral, and the key
    /// picker draws (and discards) exactly the skipped keys. Closed clients have no due
    /// times: nothing is skipped.
    pub fn skip_to(&mut self, offset: Duration) -> u64 {
        let Some(rates) = &self.rates else {
            return 0;
        };
        let limit = match self.stop {
            Stop::After(end) => offset.min(end),
            _ => offset,
        };
        let cap = match self.stop {
            Stop::Count(n) => n,
            _ => u64::MAX,
        };
        // Whether the first `n` sends are all due before the limit.
        let before = |n: u64| {
            n <= cap && (n == 0 || due_at(rates, n - 1, &mut 0).is_some_and(|d| d < limit))
        };
        // The integral gives the count up to rounding; the same due times as `next` settle it.
        let mut n = (rates.expected_sends(limit).floor() as u64).min(cap);
        while n > 0 && !before(n) {
            n -= 1;
        }
        while before(n + 1) {
            n += 1;
        }
        let skipped = n.saturating_sub(self.seq);
        for _ in 0..skipped {
            self.picker.pick();
        }
        self.seq += skipped;
        skipped
    }
}

/// When send `seq` (counting from 0) is due, as `next` rounds it.
fn due_at(rates: &RateSchedule, seq: u64, from_segment: &mut usize) -> Option<Duration> {
    rates.due_of(seq, from_segment).map(Duration::from_secs_f64)
}

impl Iterator for Schedule {
    type Item = ScheduledSend;

    fn next(&mut self) -> Option<ScheduledSend> {
        loop {
            let send = self.next_of_all()?;
            if self.share.contains(send.seq) {
                return Some(send);
            }
        }
    }
}

impl Schedule {
    /// The next send of the whole schedule, whatever its segment.
    fn next_of_all(&mut self) -> Option<ScheduledSend> {
        if let Stop::Count(n) = self.stop
            && self.seq >= n
        {
            return None;
        }
        let due = match &self.rates {
            Some(rates) => {
                let due = due_at(rates, self.seq, &mut self.segment)?;
                if let Stop::After(end) = self.stop
                    && due >= end
                {
                    return None;
                }
                Some(due)
            }
            None => None,
        };
        let send = ScheduledSend {
            seq: self.seq,
            due,
            key: self.picker.pick() as u32,
        };
        self.seq += 1;
        Some(send)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phase(at: u64, rate: f64, ramp: Option<u64>) -> Phase {
        Phase {
            at: Duration::from_secs(at),
            rate,
            ramp: ramp.map(Duration::from_secs),
        }
    }

    fn dues(rates: RateSchedule, stop: Stop) -> Vec<f64> {
        let picker = ZipfPicker::new(10, 1.0, 1).unwrap();
        Schedule::new(&Pacing::Open(rates), picker, stop)
            .map(|s| s.due.unwrap().as_secs_f64())
            .collect()
    }

    #[test]
    fn constant_rate_is_evenly_spaced() {
        let d = dues(
            RateSchedule::constant(10.0).unwrap(),
            Stop::After(Duration::from_secs(2)),
        );
        assert_eq!(d.len(), 20, "due at 0.0 .. 1.9 (2.0 is the end)");
        for (i, t) in d.iter().enumerate() {
            assert!((t - 0.1 * i as f64).abs() < 1e-9, "{i}: {t}");
        }
    }

    #[test]
    fn a_constant_rate_sends_rate_times_duration() {
        // The first at 0, the last before the end: r × d, not one fewer.
        for (rate, secs, want) in [(1.0, 1, 1), (1.0, 3, 3), (5.0, 2, 10), (2.0, 10, 20)] {
            let d = dues(
                RateSchedule::constant(rate).unwrap(),
                Stop::After(Duration::from_secs(secs)),
            );
            assert_eq!(d.len(), want, "rate {rate} for {secs} s");
            assert_eq!(d[0], 0.0);
        }
        // A pause holds the next send back to where the rate rises again.
        let paused = RateSchedule::new(vec![
            phase(0, 2.0, None),
            phase(5, 0.0, None),
            phase(8, 4.0, None),
        ])
        .unwrap();
        let d = dues(paused, Stop::After(Duration::from_secs(10)));
        assert_eq!(d.len(), 10 + 8);
        assert_eq!(d[9], 4.5);
        assert_eq!(d[10], 8.0);
    }

    #[test]
    fn steps_and_ramps_give_the_integral_of_the_rate() {
        let rates = RateSchedule::new(vec![
            phase(0, 10.0, None),
            phase(10, 30.0, Some(10)),
            phase(30, 0.0, None),
        ])
        .unwrap();
        assert_eq!(rates.rate_at(Duration::from_secs(5)), 10.0);
        assert_eq!(rates.rate_at(Duration::from_secs(15)), 20.0);
        assert_eq!(rates.rate_at(Duration::from_secs(25)), 30.0);
        assert_eq!(rates.rate_at(Duration::from_secs(40)), 0.0);
        // 10 s × 10 + ramp 10 s × 20 average + 10 s × 30 = 600, then nothing.
        assert!((rates.expected_sends(Duration::from_secs(100)) - 600.0).abs() < 1e-6);
        let d = dues(rates, Stop::Cancelled);
        assert_eq!(d.len(), 600);
        let in_ramp = d.iter().filter(|t| (10.0..20.0).contains(*t)).count();
        assert_eq!(in_ramp, 200);
        assert!(d.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn a_ramp_from_zero_starts_slowly() {
        let rates = RateSchedule::new(vec![phase(0, 100.0, Some(10))]).unwrap();
        let d = dues(rates, Stop::After(Duration::from_secs(10)));
        // ∫ 10 t dt over 10 s = 500: the first at 0, the next when one more is due.
        assert_eq!(d.len(), 500);
        assert_eq!(d[0], 0.0);
        assert!(d[1] > 0.4, "second send at {}", d[1]);
    }

    #[test]
    fn count_stops_and_keys_follow_the_picker() {
        let picker = ZipfPicker::new(50, 1.0, 9).unwrap();
        let mut reference = picker.clone();
        let sends: Vec<_> =
            Schedule::new(&Pacing::Closed { clients: 3 }, picker, Stop::Count(20)).collect();
        assert_eq!(sends.len(), 20);
        for (i, s) in sends.iter().enumerate() {
            assert_eq!(s.seq, i as u64);
            assert_eq!(s.due, None);
            assert_eq!(s.key as usize, reference.pick());
        }
    }

    #[test]
    fn bad_schedules_are_refused_with_a_reason() {
        let err = |phases| RateSchedule::new(phases).unwrap_err().to_string();
        assert!(err(vec![]).contains("needs a phase"));
        assert!(err(vec![phase(0, -1.0, None)]).contains("not between 0"));
        assert!(err(vec![phase(0, f64::NAN, None)]).contains("not between 0"));
        assert!(err(vec![phase(5, 1.0, None), phase(5, 2.0, None)]).contains("not after"));
        assert!(err(vec![phase(0, 1.0, Some(20)), phase(10, 2.0, None)]).contains("runs into"));
    }

    /// Every send of the schedule at or after `offset`, as an unshifted run has them.
    fn tail(pacing: &Pacing, stop: Stop, offset: Duration) -> Vec<ScheduledSend> {
        let picker = ZipfPicker::new(1000, 1.0, 7).unwrap();
        Schedule::new(pacing, picker, stop)
            .filter(|s| s.due.is_none_or(|d| d >= offset))
            .collect()
    }

    fn skipped(pacing: &Pacing, stop: Stop, offset: Duration) -> (u64, Vec<ScheduledSend>) {
        let picker = ZipfPicker::new(1000, 1.0, 7).unwrap();
        let mut schedule = Schedule::new(pacing, picker, stop);
        let n = schedule.skip_to(offset);
        (n, schedule.collect())
    }

    #[test]
    fn skipping_to_an_offset_continues_the_unshifted_schedule() {
        let ramps = RateSchedule::new(vec![
            phase(0, 10.0, None),
            phase(10, 30.0, Some(10)),
            phase(30, 0.0, None),
            phase(40, 7.0, None),
        ])
        .unwrap();
        let open = Pacing::Open(ramps);
        let ms = Duration::from_millis;
        // Before, on and after due times; inside a ramp; in a pause; past every phase.
        for offset in [
            0, 100, 2500, 2550, 9999, 10_000, 13_333, 25_000, 35_000, 50_000,
        ] {
            let offset = ms(offset);
            let stop = Stop::After(Duration::from_secs(60));
            let whole = tail(&open, stop, Duration::ZERO).len() as u64;
            let want = tail(&open, stop, offset);
            let (n, got) = skipped(&open, stop, offset);
            assert_eq!(got, want, "offset {offset:?}");
            assert_eq!(n + got.len() as u64, whole, "offset {offset:?}");
            assert_eq!(got.first().map(|s| s.seq), Some(n), "offset {offset:?}");
        }
        // A send due exactly at the offset is the first one sent, not skipped.
        let ten = Pacing::Open(RateSchedule::constant(10.0).unwrap());
        let (n, got) = skipped(&ten, Stop::After(ms(3000)), ms(1000));
        assert_eq!(n, 10);
        assert_eq!(got[0].due, Some(ms(1000)));
        assert_eq!(got, tail(&ten, Stop::After(ms(3000)), ms(1000)));
    }

    #[test]
    fn skipping_respects_the_stop_and_leaves_closed_clients_alone() {
        let ten = Pacing::Open(RateSchedule::constant(10.0).unwrap());
        let offset = Duration::from_millis(2500);
        // Past the end: everything before the end is skipped, nothing is left.
        let (n, got) = skipped(&ten, Stop::After(Duration::from_secs(2)), offset);
        assert_eq!((n, got.len()), (20, 0));
        // A count stop counts the skipped sends too.
        let (n, got) = skipped(&ten, Stop::Count(30), offset);
        assert_eq!((n, got.len()), (25, 5));
        assert_eq!(got, tail(&ten, Stop::Count(30), offset));
        let (n, got) = skipped(&ten, Stop::Count(20), offset);
        assert_eq!((n, got.len()), (20, 0));
        // Closed clients have no due times: the offset only shifts the clock.
        let closed = Pacing::Closed { clients: 2 };
        let (n, got) = skipped(&closed, Stop::Count(5), offset);
        assert_eq!(n, 0);
        assert_eq!(got, tail(&closed, Stop::Count(5), Duration::ZERO));
    }

    #[test]
    fn zero_rate_schedules_end() {
        let d = dues(RateSchedule::constant(0.0).unwrap(), Stop::Cancelled);
        assert!(d.is_empty());
    }

    mod split {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// The segments of a split schedule are disjoint and together are the whole
            /// schedule: the same send numbers, due times and keys, from any offset.
            #[test]
            fn segments_together_are_the_whole_schedule(
                rates in proptest::collection::vec((0u64..20, 0.0f64..200.0, proptest::option::of(1u64..10)), 1..4),
                stop in proptest::prop_oneof![
                    (1u64..20_000).prop_map(|ms| Stop::After(Duration::from_millis(ms))),
                    (0u64..600).prop_map(Stop::Count),
                ],
                offset_ms in 0u64..10_000,
                count in 1u32..6,
                seed in 0u64..1000,
            ) {
                let mut phases: Vec<Phase> = rates.iter().map(|(at, r, ramp)| phase(*at, *r, *ramp)).collect();
                phases.sort_by_key(|p| p.at);
                phases.dedup_by_key(|p| p.at);
                phases[0].at = Duration::ZERO;
                let Ok(rates) = RateSchedule::new(phases) else { return Ok(()) };
                let pacing = Pacing::Open(rates);
                let offset = Duration::from_millis(offset_ms);
                let schedule = |share: ExecSegment| {
                    let picker = ZipfPicker::new(500, 1.1, seed).unwrap();
                    let mut s = Schedule::new(&pacing, picker, stop).with_segment(share);
                    s.skip_to(offset);
                    s.take(5_000).collect::<Vec<_>>()
                };
                let whole = schedule(ExecSegment::WHOLE);
                let mut union = Vec::new();
                for i in 0..count {
                    let share = ExecSegment::new(i, count).unwrap();
                    let part = schedule(share);
                    prop_assert!(part.iter().all(|s| share.contains(s.seq)));
                    union.extend(part);
                }
                union.sort_by_key(|s| s.seq);
                let seqs = union.len();
                union.dedup_by_key(|s| s.seq);
                prop_assert_eq!(seqs, union.len(), "a send in two segments");
                prop_assert_eq!(union, whole);
            }
        }
    }
}
