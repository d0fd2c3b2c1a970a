//! The engine loop: one task per target, driven by the shared schedule, emitting one
//! outcome batch per target per tick.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use hashref::{AnswerTable, ZipfPicker};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::LoadgenError;
use crate::batch::{BatchId, OutcomeBatch};
use crate::client::{Conn, exchange};
use crate::outcome::Outcome;
use crate::schedule::{Pacing, Schedule, ScheduledSend, Stop};
use crate::target::{PreparedTarget, Target};

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
}

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
        }
    }
}

/// Starts runs.
pub struct Engine;

/// A run in progress: cancel it, wait for it.
pub struct EngineHandle {
    cancel: Arc<watch::Sender<bool>>,
    threads: Vec<std::thread::JoinHandle<()>>,
    started: std::time::Instant,
}

impl EngineHandle {
    /// Stops starting requests; those in flight finish (up to their timeout) and the last
    /// batches are sent.
    pub fn cancel(&self) {
        self.cancel.send_replace(true);
    }

    /// A function that cancels the run, for a signal handler or another thread.
    pub fn canceller(&self) -> impl Fn() + Send + Sync + 'static {
        let cancel = self.cancel.clone();
        move || {
            cancel.send_replace(true);
        }
    }

    /// When the schedule's time zero was.
    pub fn started(&self) -> std::time::Instant {
        self.started
    }

    /// Waits until every target's last batch has been sent.
    pub fn join(self) -> Result<(), LoadgenError> {
        for t in self.threads {
            t.join()
                .map_err(|_| LoadgenError::Config("a load runtime panicked".to_owned()))?;
        }
        Ok(())
    }
}

impl Engine {
    /// Starts a run against `targets`, checking answers against `answers`, sending each
    /// target's batches on `batches`. The channel closes when the run is over.
    pub fn start(
        config: EngineConfig,
        targets: &[Target],
        answers: Arc<AnswerTable>,
        batches: mpsc::UnboundedSender<OutcomeBatch>,
    ) -> Result<EngineHandle, LoadgenError> {
        validate(&config, targets)?;
        let prepared: Vec<PreparedTarget> = targets
            .iter()
            .map(|t| PreparedTarget::prepare(t, answers.keys()))
            .collect::<Result<_, _>>()?;
        let picker = ZipfPicker::new(answers.len(), config.zipf, config.seed)
            .map_err(|e| LoadgenError::Config(e.to_string()))?;
        let (cancel, cancelled) = watch::channel(false);
        // Time zero is a little ahead, so every runtime is up before the first send is due.
        let started = std::time::Instant::now() + Duration::from_millis(20);
        let runtimes = config.runtimes.clamp(1, prepared.len().max(1));
        let mut groups: Vec<Vec<(u32, PreparedTarget)>> =
            (0..runtimes).map(|_| Vec::new()).collect();
        for (i, t) in prepared.into_iter().enumerate() {
            groups[i % runtimes].push((i as u32, t));
        }
        let config = Arc::new(config);
        let mut threads = Vec::with_capacity(runtimes);
        for (r, group) in groups.into_iter().enumerate() {
            let run = RuntimeRun {
                config: config.clone(),
                answers: answers.clone(),
                picker: picker.clone(),
                cancelled: cancelled.clone(),
                batches: batches.clone(),
                start: Instant::from_std(started),
            };
            let thread = std::thread::Builder::new()
                .name(format!("loadgen-{r}"))
                .spawn(move || run.run(group))?;
            threads.push(thread);
        }
        Ok(EngineHandle {
            cancel: Arc::new(cancel),
            threads,
            started,
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
    Ok(())
}

/// What every target on one runtime shares.
struct RuntimeRun {
    config: Arc<EngineConfig>,
    answers: Arc<AnswerTable>,
    picker: ZipfPicker,
    cancelled: watch::Receiver<bool>,
    batches: mpsc::UnboundedSender<OutcomeBatch>,
    start: Instant,
}

impl RuntimeRun {
    fn run(self, group: Vec<(u32, PreparedTarget)>) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime starts");
        runtime.block_on(async {
            let drives = group
                .iter()
                .map(|(index, target)| self.drive(*index, target));
            futures_util::future::join_all(drives).await;
        });
    }

    /// The engine loop for one target: start what is due, record what finishes, close a
    /// batch at each tick, until the stop condition and the last answer.
    async fn drive(&self, index: u32, target: &PreparedTarget) {
        let mut state = TargetLoop::new(self, index, target);
        let mut in_flight = FuturesUnordered::new();
        let mut cancelled = self.cancelled.clone();
        let timer = tokio::time::sleep_until(self.start);
        tokio::pin!(timer);
        loop {
            let now = Instant::now();
            state.start_due(self, &mut in_flight, now, |base, conn, send, due| {
                self.launch(target, base, conn, send, due, now)
            });
            if state.stopping && in_flight.is_empty() {
                break;
            }
            timer.as_mut().reset(state.wake_at(self, now));
            tokio::select! {
                biased;
                Some(done) = in_flight.next() => state.finish(self, done, in_flight.len()),
                () = &mut timer => {}
                changed = cancelled.changed(), if !state.stopping => {
                    if changed.is_err() || *cancelled.borrow() {
                        state.stopping = true;
                    }
                }
            }
            state.close_ticks(self);
        }
        let _ = self.batches.send(state.batch);
    }

    fn launch<'a>(
        &'a self,
        target: &'a PreparedTarget,
        base: usize,
        conn: Option<Conn>,
        send: ScheduledSend,
        due: Instant,
        sent: Instant,
    ) -> impl Future<Output = Done> + 'a {
        let b = &target.bases[base];
        let uri = &b.uris[send.key as usize];
        let expected = self.answers.answer(send.key as usize);
        async move {
            let (outcome, conn) = exchange(conn, b, uri, &target.limits, expected.as_bytes()).await;
            Done {
                send,
                due,
                sent,
                outcome,
                conn,
                base,
            }
        }
    }
}

/// Idle connections a target keeps beyond the number of its requests in flight.
const IDLE_SPARE: usize = 16;

/// One target's loop state: its place in the schedule, its open batch, its idle connections.
struct TargetLoop {
    schedule: Schedule,
    next: Option<ScheduledSend>,
    ticks: TickClock,
    batch: OutcomeBatch,
    idle: Vec<Vec<Conn>>,
    stopping: bool,
    end: Option<Instant>,
    index: u32,
    name: Arc<str>,
    max_in_flight: usize,
}

impl TargetLoop {
    fn new(run: &RuntimeRun, index: u32, target: &PreparedTarget) -> TargetLoop {
        let config = &*run.config;
        let mut schedule = Schedule::new(&config.pacing, run.picker.clone(), config.stop);
        let next = schedule.next();
        let end = match config.stop {
            Stop::After(d) => Some(run.start + d),
            _ => None,
        };
        TargetLoop {
            schedule,
            next,
            ticks: TickClock::new(run.start, config.tick),
            batch: new_batch(config, index, &target.name, 0),
            idle: target.bases.iter().map(|_| Vec::new()).collect(),
            stopping: false,
            end,
            index,
            name: target.name.clone(),
            max_in_flight: target.limits.max_in_flight,
        }
    }

    /// Starts every request that is due now (open model) or that a free client can take
    /// (closed model). A request due past the in-flight cap is recorded as dropped.
    fn start_due<F: Future<Output = Done>>(
        &mut self,
        run: &RuntimeRun,
        in_flight: &mut FuturesUnordered<F>,
        now: Instant,
        mut launch: impl FnMut(usize, Option<Conn>, ScheduledSend, Instant) -> F,
    ) {
        let config = &*run.config;
        // The open schedule itself ends at the stop time (so sends already due still go
        // out); the closed model has no schedule and stops by the clock.
        let closed = matches!(config.pacing, Pacing::Closed { .. });
        if closed && self.end.is_some_and(|e| now >= e) {
            self.stopping = true;
        }
        while let (false, Some(send), true) = (self.stopping, self.next, now >= run.start) {
            let due = match (&config.pacing, send.due) {
                (Pacing::Open(_), Some(offset)) if run.start + offset > now => break,
                (Pacing::Open(_), Some(offset)) => run.start + offset,
                (Pacing::Closed { clients }, _) if in_flight.len() >= *clients => break,
                _ => now,
            };
            self.batch.sends += 1;
            if now.duration_since(due) > config.late_threshold {
                self.batch.late_sends += 1;
            }
            if in_flight.len() >= self.max_in_flight {
                let key = run.answers.keys()[send.key as usize];
                let expected = run.answers.answer(send.key as usize);
                self.batch.record(Outcome::Dropped, key, expected, None);
            } else {
                let base = (send.seq % self.idle.len() as u64) as usize;
                in_flight.push(launch(base, self.idle[base].pop(), send, due));
            }
            self.next = self.schedule.next();
        }
        if self.next.is_none() {
            self.stopping = true;
        }
    }

    /// When the loop must look again: the next due send, the end, the next tick.
    fn wake_at(&self, run: &RuntimeRun, now: Instant) -> Instant {
        if now < run.start {
            return run.start;
        }
        let mut wake = self.ticks.next;
        if !self.stopping {
            if let (Pacing::Open(_), Some(offset)) =
                (&run.config.pacing, self.next.and_then(|s| s.due))
            {
                wake = wake.min(run.start + offset);
            }
            if let Some(end) = self.end {
                wake = wake.min(end);
            }
        }
        wake
    }

    fn finish(&mut self, run: &RuntimeRun, done: Done, still_in_flight: usize) {
        let Done {
            send,
            due,
            sent,
            outcome,
            conn,
            base,
        } = done;
        let finished = Instant::now();
        let latencies = (finished.duration_since(due), finished.duration_since(sent));
        // Keep about as many idle connections as requests are out: a burst (after the
        // engine itself stalled) must not leave hundreds of sockets open for good.
        if let Some(conn) = conn
            && self.idle[base].len() < still_in_flight + IDLE_SPARE
        {
            self.idle[base].push(conn);
        }
        let key = run.answers.keys()[send.key as usize];
        let expected = run.answers.answer(send.key as usize);
        self.batch.record(outcome, key, expected, Some(latencies));
    }

    /// Sends the batches of every tick that has ended.
    fn close_ticks(&mut self, run: &RuntimeRun) {
        while Instant::now() >= self.ticks.next {
            let fresh = new_batch(&run.config, self.index, &self.name, self.ticks.index + 1);
            let closed = std::mem::replace(&mut self.batch, fresh);
            let _ = run.batches.send(closed);
            self.ticks.advance();
        }
    }
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

/// A finished request, back in the engine loop.
struct Done {
    send: ScheduledSend,
    due: Instant,
    sent: Instant,
    outcome: Outcome,
    conn: Option<Conn>,
    base: usize,
}

/// Tick boundaries on the shared clock.
struct TickClock {
    index: u64,
    next: Instant,
    length: Duration,
}

impl TickClock {
    fn new(start: Instant, length: Duration) -> TickClock {
        TickClock {
            index: 0,
            next: start + length,
            length,
        }
    }

    fn advance(&mut self) {
        self.index += 1;
        self.next += self.length;
    }
}
