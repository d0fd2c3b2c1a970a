//! The engine loop: one task per target, driven by the shared schedule, emitting one
//! outcome batch per target per tick.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use hashref::{AnswerTable, ZipfPicker};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::ExecSegment;
use crate::LoadgenError;
use crate::Outcome;
use crate::address::Resolver;
use crate::client::{Conn, Expect, exchange};
use crate::deadline::{Deadlined, expire};
use crate::handle::{EngineHandle, UrlFeed};
use crate::schedule::{Pacing, Schedule, ScheduledSend, Stop};
use crate::target::{Base, PreparedTarget, Target, TargetLimits};
use crate::{BatchId, OutcomeBatch};

/// How a run goes: pacing, stop, ticks, keys, and the runtime layout.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Identifies the run in batch ids.
    pub run: u64,
    /// Identifies this worker in batch ids (0 for a single process).
    pub worker: u32,
    /// When requests start.
    pub pacing: Pacing,
    /// When the run stops starting requests.
    pub stop: Stop,
    /// Length of a batch.
    pub tick: Duration,
    /// Seed of the key picks (the same for every target).
    pub seed: u64,
    /// Zipf exponent of the key picks.
    pub zipf: f64,
    /// Current-thread runtimes (threads) to spread targets over.
    pub runtimes: usize,
    /// A send later than this after its due time counts as late: the engine's own health.
    pub late_threshold: Duration,
    /// Where in the schedule the run starts (a resumed game continues where its clock is):
    /// the schedule's time zero is this much before the run begins. Sends due before it are
    /// skipped (not sent, not counted); ticks still end at multiples of `tick` and are
    /// numbered in schedule time; `Stop::After(d)` still ends at schedule time `d` and
    /// `Stop::Count(n)` counts the skipped sends too. Closed clients have no due times: for
    /// them the offset only shifts the clock.
    pub offset: Duration,
    /// The share of the schedule this run sends (all of it unless several workers split
    /// it): the open model's sends of this segment, or this segment's share of the closed
    /// clients.
    pub segment: ExecSegment,
    /// When the run begins, if later than the engine can be ready (a worker of a split
    /// game begins at the game's start, as every other worker does). `None`: at once.
    pub start_at: Option<std::time::Instant>,
    /// Open model: target `i` of `n` follows the schedule `i / n × stagger` after time zero
    /// (its sends, its ticks and its end move together), so that many targets are not all
    /// due at the same instants. Every target still gets the same keys at the same offsets
    /// from its own start. Zero: every target at once.
    pub stagger: Duration,
    /// How target names become addresses on each new connection.
    pub resolver: Resolver,
}

/// The default [`EngineConfig::stagger`]: 200 targets at 50 requests a second each, due
/// together, left a fifth of their sends more than 5 ms late on one thread; spread over
/// 50 ms, 4 targets fall due in a millisecond.
pub const DEFAULT_STAGGER: Duration = Duration::from_millis(50);

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            run: 0,
            worker: 0,
            pacing: Pacing::Closed { clients: 10 },
            stop: Stop::After(Duration::from_secs(10)),
            tick: Duration::from_secs(1),
            seed: 1,
            zipf: ZipfPicker::DEFAULT_EXPONENT,
            runtimes: 1,
            late_threshold: Duration::from_millis(5),
            offset: Duration::ZERO,
            segment: ExecSegment::WHOLE,
            start_at: None,
            stagger: DEFAULT_STAGGER,
            resolver: Resolver::default(),
        }
    }
}

/// Starts runs.
pub struct Engine;

impl Engine {
    /// Starts a run against `targets`, checking answers against `answers`, sending each
    /// target's batches on `batches`. The channel closes when the run is over.
    pub fn start(
        mut config: EngineConfig,
        targets: &[Target],
        answers: Arc<AnswerTable>,
        batches: mpsc::UnboundedSender<OutcomeBatch>,
    ) -> Result<EngineHandle, LoadgenError> {
        validate(&config, targets)?;
        if let Pacing::Closed { clients } = &mut config.pacing {
            *clients = config.segment.share_of(*clients);
        }
        closed_within_caps(&config.pacing, targets)?;
        let prepared: Vec<PreparedTarget> = targets
            .iter()
            .map(|t| PreparedTarget::prepare(t, answers.keys()))
            .collect::<Result<_, _>>()?;
        let picker = ZipfPicker::new(answers.len(), config.zipf, config.seed)
            .map_err(|e| LoadgenError::Config(e.to_string()))?;
        // Skipped once here, not once per target: a late offset means many discarded picks.
        let mut schedule =
            Schedule::new(&config.pacing, picker, config.stop).with_segment(config.segment);
        schedule.skip_to(config.offset);
        let (cancel, cancelled) = watch::channel(false);
        // The run begins a little ahead, so every runtime is up before the first send is due.
        let ready = std::time::Instant::now() + Duration::from_millis(20);
        let begin = config.start_at.map_or(ready, |at| at.max(ready));
        let started = begin.checked_sub(config.offset).ok_or_else(|| {
            LoadgenError::Config(format!(
                "offset {:?} reaches back before this machine's clock",
                config.offset
            ))
        })?;
        let targets = prepared.len() as u32;
        let mut feeds = Vec::with_capacity(prepared.len());
        let mut runs = Vec::with_capacity(prepared.len());
        for (i, target) in prepared.into_iter().enumerate() {
            let (bases, urls) = watch::channel(target.bases.clone());
            feeds.push(UrlFeed {
                name: target.name.clone(),
                shape: target.shape.clone(),
                tls: target.tls.clone(),
                bases,
            });
            runs.push(TargetRun {
                index: i as u32,
                target,
                urls,
            });
        }
        let shared = RuntimeRun {
            config: Arc::new(config),
            answers: answers.clone(),
            schedule,
            cancelled,
            batches,
            zero: Instant::from_std(started),
            begin: Instant::from_std(begin),
            targets,
        };
        Ok(EngineHandle {
            cancel: Arc::new(cancel),
            threads: shared.spawn(runs)?,
            started,
            feeds,
            answers,
        })
    }
}

fn validate(config: &EngineConfig, targets: &[Target]) -> Result<(), LoadgenError> {
    if targets.is_empty() {
        return Err(LoadgenError::Config("no target to send to".to_owned()));
    }
    if config.tick < Duration::from_millis(10) {
        return Err(LoadgenError::Config(
            "the tick must be at least 10ms".to_owned(),
        ));
    }
    if let Pacing::Closed { clients } = config.pacing
        && !(1..=100_000).contains(&clients)
    {
        return Err(LoadgenError::Config(format!(
            "clients must be 1 to 100000, not {clients}"
        )));
    }
    if let Pacing::Closed { clients } = config.pacing
        && config.segment.share_of(clients) == 0
    {
        return Err(LoadgenError::Config(format!(
            "{clients} closed clients cannot be split into {} segments: segment {} would have none",
            config.segment.count(),
            config.segment
        )));
    }
    Ok(())
}

/// Closed clients each hold one request in flight, so a target's cap must hold them all.
/// (Refused rather than raised or queued: the cap is a limit the caller chose, and clients
/// past it would wait on a cap no answer frees. Before this check they spun the engine's
/// thread at 100 % recording drops that no clock ever stopped.)
fn closed_within_caps(pacing: &Pacing, targets: &[Target]) -> Result<(), LoadgenError> {
    let Pacing::Closed { clients } = *pacing else {
        return Ok(());
    };
    match targets.iter().find(|t| t.limits.max_in_flight < clients) {
        Some(t) => Err(LoadgenError::Config(format!(
            "target {}: {clients} closed clients need {clients} requests in flight, but \
             max_in_flight is {}: raise max_in_flight to at least {clients} or lower clients",
            t.name, t.limits.max_in_flight
        ))),
        None => Ok(()),
    }
}

/// One target of a run, as its loop receives it.
struct TargetRun {
    index: u32,
    target: PreparedTarget,
    /// New base URLs, from [`EngineHandle::set_urls`].
    urls: watch::Receiver<Vec<Arc<Base>>>,
}

/// What every target on one runtime shares.
#[derive(Clone)]
struct RuntimeRun {
    config: Arc<EngineConfig>,
    answers: Arc<AnswerTable>,
    /// The schedule every target follows, already moved to the run's offset.
    schedule: Schedule,
    cancelled: watch::Receiver<bool>,
    batches: mpsc::UnboundedSender<OutcomeBatch>,
    /// The schedule's time zero.
    zero: Instant,
    /// When the run begins: `offset` after time zero.
    begin: Instant,
    /// How many targets the run has (on every runtime).
    targets: u32,
}

impl RuntimeRun {
    /// Spreads the targets over the configured number of runtime threads and starts them.
    fn spawn(self, runs: Vec<TargetRun>) -> Result<Vec<std::thread::JoinHandle<()>>, LoadgenError> {
        let runtimes = self.config.runtimes.clamp(1, runs.len().max(1));
        let mut groups: Vec<Vec<TargetRun>> = (0..runtimes).map(|_| Vec::new()).collect();
        for (i, run) in runs.into_iter().enumerate() {
            groups[i % runtimes].push(run);
        }
        let mut threads = Vec::with_capacity(runtimes);
        for (r, group) in groups.into_iter().enumerate() {
            let shared = self.clone();
            let thread = std::thread::Builder::new()
                .name(format!("loadgen-{r}"))
                .spawn(move || shared.run(group))?;
            threads.push(thread);
        }
        Ok(threads)
    }

    fn run(self, group: Vec<TargetRun>) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime starts");
        runtime.block_on(async {
            let drives = group.into_iter().map(|run| self.drive(run));
            futures_util::future::join_all(drives).await;
        });
    }

    /// The engine loop for one target: start what is due, record what finishes, close a
    /// batch at each tick, follow new base URLs, until the stop condition and the last
    /// answer.
    async fn drive(&self, run: TargetRun) {
        let TargetRun {
            index,
            target,
            mut urls,
        } = run;
        let mut state = TargetLoop::new(self, index, &target);
        let mut in_flight = FuturesUnordered::new();
        let mut cancelled = self.cancelled.clone();
        let mut urls_open = true;
        let timer = tokio::time::sleep_until(state.span.begin);
        tokio::pin!(timer);
        // One clock read a turn of the loop: an answer's finish time serves the tick check
        // and the next sends (clock reads were 1.5 % of the client CPU in perf, now 1.0 %).
        let mut now = Instant::now();
        loop {
            // New URLs may have come while another branch won the last select.
            if urls.has_changed().unwrap_or(false) {
                state.set_bases(urls.borrow_and_update().clone());
            }
            if state.expiry.is_some_and(|at| now >= at) {
                state.expiry = expire(&mut in_flight, now);
            }
            if state.cut.is_some_and(|at| now >= at) {
                // Cancelled a grace ago: whatever is still out is abandoned.
                state.expiry = expire(&mut in_flight, now + state.limits.timeout);
            }
            state.start_due(self, &mut in_flight, now, |base, conn, sent, deadline| {
                self.launch(&target.limits, base, conn, sent, deadline)
            });
            if state.stopping && in_flight.is_empty() {
                break;
            }
            // Re-arming the timer costs a trip through the timer wheel: only when it moves
            // (in the closed model it stays at the tick's end for thousands of answers).
            let wake = state.wake_at(self, now);
            if timer.deadline() != wake {
                timer.as_mut().reset(wake);
            }
            let finished = tokio::select! {
                biased;
                Some((sent, answer)) = in_flight.next() => {
                    Some(state.finish(self, sent, answer, in_flight.len()))
                }
                () = &mut timer => None,
                // Watched after the stop too: a cancel then cuts the last answers short.
                changed = cancelled.changed(), if state.cut.is_none() => {
                    if changed.is_err() || *cancelled.borrow() {
                        state.stopping = true;
                        state.cut = Some(Instant::now() + CANCEL_GRACE);
                    }
                    None
                }
                changed = urls.changed(), if urls_open => {
                    match changed {
                        Ok(()) => state.set_bases(urls.borrow_and_update().clone()),
                        // The handle is gone: the URLs can no longer change.
                        Err(_) => urls_open = false,
                    }
                    None
                }
            };
            now = finished.unwrap_or_else(Instant::now);
            state.close_ticks(self, now);
        }
        // A run that lasted to its end closed its last tick there; the empty tick the clock
        // opened at the end is none of the run's (the game would count that tick twice).
        if !state.is_empty_past_end() {
            let _ = self.batches.send(state.batch);
        }
    }

    /// A request's exchange, with the deadline the loop holds it to.
    fn launch<'a>(
        &'a self,
        limits: &'a TargetLimits,
        base: Arc<Base>,
        conn: Option<Conn>,
        sent: Sent,
        deadline: Instant,
    ) -> Deadlined<impl Future<Output = Answer> + 'a, Sent> {
        let key = sent.send.key as usize;
        let expected = self.answers.answer(key);
        let exchange = async move {
            let request = base.requests.get(self.answers.keys()[key].as_str());
            let expect = Expect::Body(expected.as_bytes());
            let resolver = &self.config.resolver;
            let (outcome, conn) = exchange(conn, &base, request, limits, resolver, expect).await;
            (outcome, conn.map(|conn| (conn, base)))
        };
        Deadlined::new(exchange, sent, deadline)
    }
}

/// How long requests in flight may still take once a run is cancelled: a signal is
/// honoured within it, whatever the request timeout. Requests cut by it are not recorded
/// (the stop is ours, not the team's fault).
pub const CANCEL_GRACE: Duration = Duration::from_secs(2);

/// Idle connections a target keeps beyond the number of its requests in flight: enough for
/// a game's rates. (At 16, a 1,000-team game held 20 connections a team, opened while its
/// engine lagged, for good.)
const IDLE_SPARE: usize = 4;

/// One target's loop state: its place in the schedule, its open batch, its idle connections.
struct TargetLoop {
    schedule: Schedule,
    next: Option<ScheduledSend>,
    ticks: TickClock,
    batch: OutcomeBatch,
    bases: Bases,
    stopping: bool,
    /// Cancelled: requests still out at this time are abandoned.
    cut: Option<Instant>,
    span: Span,
    index: u32,
    name: Arc<str>,
    limits: TargetLimits,
    /// No request in flight has a deadline before this (`None`: none in flight).
    expiry: Option<Instant>,
}

/// A target's time zero and beginning (the run's, moved by its stagger), and its end when
/// the run stops by the clock.
#[derive(Clone, Copy, Debug)]
struct Span {
    zero: Instant,
    begin: Instant,
    end: Option<Instant>,
}

/// A target's current base URLs, and the idle connections to each.
#[derive(Default)]
struct Bases {
    bases: Vec<Arc<Base>>,
    idle: Vec<Vec<Conn>>,
}

impl Bases {
    fn new(bases: &[Arc<Base>]) -> Bases {
        Bases {
            bases: bases.to_vec(),
            idle: bases.iter().map(|_| Vec::new()).collect(),
        }
    }

    /// Switches to new base URLs. Idle connections to a base still in the set (same host
    /// and port) are kept; the others close as they drop.
    fn set(&mut self, bases: Vec<Arc<Base>>) {
        let mut old: Vec<(Arc<Base>, Vec<Conn>)> = std::mem::take(&mut self.bases)
            .into_iter()
            .zip(std::mem::take(&mut self.idle))
            .collect();
        self.idle = bases
            .iter()
            .map(|new| {
                old.iter_mut()
                    .filter(|(b, _)| b.authority == new.authority)
                    .flat_map(|(_, conns)| std::mem::take(conns))
                    .collect()
            })
            .collect();
        self.bases = bases;
    }

    /// The pool a connection to `base` goes back to, if that base is still in the set.
    fn pool_of(&self, base: &Arc<Base>) -> Option<usize> {
        let same = |b: &Arc<Base>| Arc::ptr_eq(b, base);
        let same_authority = |b: &Arc<Base>| b.authority == base.authority;
        self.bases
            .iter()
            .position(same)
            .or_else(|| self.bases.iter().position(same_authority))
    }
}

impl TargetLoop {
    fn new(run: &RuntimeRun, index: u32, target: &PreparedTarget) -> TargetLoop {
        let config = &*run.config;
        let mut schedule = run.schedule.clone();
        let next = schedule.next();
        let phase = match config.pacing {
            Pacing::Open(_) => stagger(config.stagger, index, run.targets),
            Pacing::Closed { .. } => Duration::ZERO,
        };
        let (zero, begin) = (run.zero + phase, run.begin + phase);
        let end = match config.stop {
            Stop::After(d) => Some(zero + d),
            _ => None,
        };
        let ticks = TickClock::new(zero, config.tick, config.offset);
        TargetLoop {
            batch: new_batch(config, index, &target.name, ticks.index),
            schedule,
            next,
            ticks,
            bases: Bases::new(&target.bases),
            stopping: false,
            cut: None,
            span: Span { zero, begin, end },
            index,
            name: target.name.clone(),
            limits: target.limits.clone(),
            expiry: None,
        }
    }

    /// Whether the target waits for its first URL: it was started without one.
    fn waiting(&self) -> bool {
        self.bases.bases.is_empty()
    }

    /// Passes the sends due by `now`, unsent and uncounted: a waiting target's. (Closed
    /// clients have no due times: while the target waits, none starts.)
    fn pass_due(&mut self, now: Instant) {
        while let Some(at) = self.next.and_then(|s| s.due) {
            if self.span.zero + at > now {
                break;
            }
            self.next = self.schedule.next();
        }
    }

    /// Starts every request that is due now (open model) or that a free client can take
    /// (closed model). A request due past the in-flight cap is recorded as dropped. A
    /// waiting target starts none: its due sends pass.
    fn start_due<F>(
        &mut self,
        run: &RuntimeRun,
        in_flight: &mut FuturesUnordered<F>,
        now: Instant,
        mut launch: impl FnMut(Arc<Base>, Option<Conn>, Sent, Instant) -> F,
    ) {
        let config = &*run.config;
        // The open schedule itself ends at the stop time (so sends already due still go
        // out); the closed model has no schedule and stops by the clock.
        let closed = matches!(config.pacing, Pacing::Closed { .. });
        if closed && self.span.end.is_some_and(|e| now >= e) {
            self.stopping = true;
        }
        if self.waiting() {
            self.pass_due(now);
        }
        while let (false, Some(send), true) = (self.stopping, self.next, now >= self.span.begin) {
            let due = match (&config.pacing, send.due) {
                // A waiting target starts nothing (its due sends passed above).
                _ if self.waiting() => break,
                (Pacing::Open(_), Some(at)) if self.span.zero + at > now => break,
                (Pacing::Open(_), Some(at)) => self.span.zero + at,
                // Never past the cap either (start refuses such runs): a closed client past
                // it would be dropped at once, and again, and again, without end.
                (Pacing::Closed { clients }, _)
                    if in_flight.len() >= (*clients).min(self.limits.max_in_flight) =>
                {
                    break;
                }
                _ => now,
            };
            self.batch.sends += 1;
            if now.duration_since(due) > config.late_threshold {
                self.batch.late_sends += 1;
            }
            if in_flight.len() >= self.limits.max_in_flight {
                let key = run.answers.keys()[send.key as usize];
                let expected = run.answers.answer(send.key as usize);
                self.batch.record(Outcome::Dropped, key, expected, None);
            } else {
                let b = (send.seq % self.bases.bases.len() as u64) as usize;
                let sent = Sent {
                    send,
                    due,
                    sent: now,
                };
                // Deadlines come in send order: the first in flight is the earliest.
                let deadline = now + self.limits.timeout;
                self.expiry.get_or_insert(deadline);
                in_flight.push(launch(
                    self.bases.bases[b].clone(),
                    self.bases.idle[b].pop(),
                    sent,
                    deadline,
                ));
            }
            self.next = self.schedule.next();
        }
        // An open run lasts to its end, past its last send (due before the end): its
        // ticks and its time are the whole duration asked for.
        if self.next.is_none() && self.span.end.is_none_or(|end| now >= end) {
            self.stopping = true;
        }
    }

    /// When the loop must look again: the next due send, the end, the next tick.
    fn wake_at(&self, run: &RuntimeRun, now: Instant) -> Instant {
        if now < self.span.begin {
            return self.span.begin;
        }
        let mut wake = self.ticks.next;
        for at in [self.expiry, self.cut].into_iter().flatten() {
            wake = wake.min(at);
        }
        if !self.stopping {
            // A waiting target passes its due sends at its ticks (or when its URLs come):
            // it is not woken for each.
            if let (Pacing::Open(_), Some(at), false) = (
                &run.config.pacing,
                self.next.and_then(|s| s.due),
                self.waiting(),
            ) {
                wake = wake.min(self.span.zero + at);
            }
            if let Some(end) = self.span.end {
                wake = wake.min(end);
            }
        }
        wake
    }

    /// Records a finished request (`None`: past its deadline); returns when it finished.
    fn finish(
        &mut self,
        run: &RuntimeRun,
        sent: Sent,
        answer: Option<Answer>,
        still_in_flight: usize,
    ) -> Instant {
        let Sent { send, due, sent } = sent;
        let finished = Instant::now();
        let cut_short = answer.is_none()
            && self.cut.is_some_and(|at| finished >= at)
            && sent + self.limits.timeout > finished;
        if cut_short {
            return finished;
        }
        let (outcome, conn) = answer.unwrap_or((Outcome::Timeout, None));
        let latencies = (finished.duration_since(due), finished.duration_since(sent));
        // Keep about as many idle connections as requests are out: a burst (after the
        // engine itself stalled) must not leave hundreds of sockets open for good.
        if let Some((conn, base)) = conn
            && let Some(pool) = self.bases.pool_of(&base)
            && self.bases.idle[pool].len() < still_in_flight + IDLE_SPARE
        {
            self.bases.idle[pool].push(conn);
        }
        let key = run.answers.keys()[send.key as usize];
        let expected = run.answers.answer(send.key as usize);
        self.batch.record(outcome, key, expected, Some(latencies));
        finished
    }

    /// Switches to new base URLs (see [`Bases::set`]). A waiting target's sends due until
    /// now pass first: it begins at its next due send, as every other target sends it.
    fn set_bases(&mut self, bases: Vec<Arc<Base>>) {
        if self.waiting() {
            self.pass_due(Instant::now());
        }
        self.bases.set(bases);
    }

    /// Whether the open batch is empty and its tick begins at or after the run's end.
    fn is_empty_past_end(&self) -> bool {
        let empty = self.batch.sends == 0 && self.batch.counts.total() == 0;
        let begins = self.ticks.next - self.ticks.length;
        empty && self.span.end.is_some_and(|end| begins >= end)
    }

    /// Sends the batches of every tick that has ended by `now`.
    fn close_ticks(&mut self, run: &RuntimeRun, now: Instant) {
        while now >= self.ticks.next {
            let fresh = new_batch(&run.config, self.index, &self.name, self.ticks.index + 1);
            let mut closed = std::mem::replace(&mut self.batch, fresh);
            closed.compact();
            let _ = run.batches.send(closed);
            self.ticks.advance();
        }
    }
}

/// How far target `index` of `targets` follows the schedule behind time zero.
fn stagger(window: Duration, index: u32, targets: u32) -> Duration {
    window.mul_f64(f64::from(index) / f64::from(targets.max(1)))
}

/// An empty batch for one target's tick.
fn new_batch(config: &EngineConfig, target: u32, name: &Arc<str>, tick: u64) -> OutcomeBatch {
    let id = BatchId {
        run: config.run,
        worker: config.worker,
        target,
        tick,
    };
    OutcomeBatch::new(id, name.clone())
}

/// A request in flight, as the engine loop knows it.
#[derive(Clone, Copy)]
struct Sent {
    send: ScheduledSend,
    due: Instant,
    sent: Instant,
}

/// How a request's exchange ends: its outcome, and its connection if it can be used again
/// with the base it goes to (the target's URLs may have changed since).
type Answer = (Outcome, Option<(Conn, Arc<Base>)>);

/// Tick boundaries on the shared clock.
struct TickClock {
    index: u64,
    next: Instant,
    length: Duration,
}

impl TickClock {
    /// The clock of a run that begins `offset` after time zero: its first tick is the one
    /// holding the offset, so batches end at multiples of `length` in schedule time.
    fn new(zero: Instant, length: Duration, offset: Duration) -> TickClock {
        let index = (offset.as_nanos() / length.as_nanos()) as u64;
        let next =
            zero + Duration::from_nanos((length.as_nanos() * (u128::from(index) + 1)) as u64);
        TickClock {
            index,
            next,
            length,
        }
    }

    fn advance(&mut self) {
        self.index += 1;
        self.next += self.length;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_staggered_evenly_across_the_window() {
        let window = Duration::from_millis(50);
        assert_eq!(stagger(window, 0, 200), Duration::ZERO);
        assert_eq!(stagger(window, 100, 200), Duration::from_millis(25));
        assert_eq!(stagger(window, 199, 200), Duration::from_micros(49_750));
        assert_eq!(stagger(window, 0, 1), Duration::ZERO);
        assert_eq!(stagger(Duration::ZERO, 7, 10), Duration::ZERO);
    }

    #[test]
    fn ticks_end_at_multiples_of_the_tick_in_schedule_time() {
        let zero = Instant::now();
        let second = Duration::from_secs(1);
        let ms = Duration::from_millis;
        let mut ticks = TickClock::new(zero, second, ms(2500));
        assert_eq!((ticks.index, ticks.next), (2, zero + ms(3000)));
        ticks.advance();
        assert_eq!((ticks.index, ticks.next), (3, zero + ms(4000)));
        let on_a_boundary = TickClock::new(zero, second, ms(3000));
        assert_eq!(
            (on_a_boundary.index, on_a_boundary.next),
            (3, zero + ms(4000))
        );
        let unshifted = TickClock::new(zero, ms(250), Duration::ZERO);
        assert_eq!((unshifted.index, unshifted.next), (0, zero + ms(250)));
    }
}
