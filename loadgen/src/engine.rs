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
        let config = &*self.config;
        let mut schedule = Schedule::new(&config.pacing, self.picker.clone(), config.stop);
        let mut next = schedule.next();
        let mut ticks = TickClock::new(self.start, config.tick);
        let new_batch = |tick| {
            let id = BatchId {
                run: config.run,
                worker: config.worker,
                target: index,
                tick,
            };
            OutcomeBatch::new(id, target.name.clone())
        };
        let mut batch = new_batch(0);
        let mut idle: Vec<Vec<Conn>> = target.bases.iter().map(|_| Vec::new()).collect();
        let mut in_flight = FuturesUnordered::new();
        let mut cancelled = self.cancelled.clone();
        let mut stopping = false;
        let timer = tokio::time::sleep_until(self.start);
        tokio::pin!(timer);
        let end = match config.stop {
            Stop::After(d) => Some(self.start + d),
            _ => None,
        };
        loop {
            let now = Instant::now();
            if !stopping && end.is_some_and(|e| now >= e) {
                stopping = true;
            }
            while let (false, Some(send)) = (stopping, next) {
                let due = match (&config.pacing, send.due) {
                    (Pacing::Open(_), Some(offset)) if self.start + offset > now => break,
                    (Pacing::Open(_), Some(offset)) => self.start + offset,
                    (Pacing::Closed { clients }, _) if in_flight.len() >= *clients => break,
                    _ => now,
                };
                if now < self.start {
                    break;
                }
                batch.sends += 1;
                if now.duration_since(due) > config.late_threshold {
                    batch.late_sends += 1;
                }
                if in_flight.len() >= target.limits.max_in_flight {
                    let key = self.answers.keys()[send.key as usize];
                    let expected = self.answers.answer(send.key as usize);
                    batch.record(Outcome::Dropped, key, expected, None);
                } else {
                    let base = (send.seq % target.bases.len() as u64) as usize;
                    in_flight.push(self.launch(target, base, idle[base].pop(), send, due, now));
                }
                next = schedule.next();
            }
            if next.is_none() {
                stopping = true;
            }
            if stopping && in_flight.is_empty() {
                break;
            }
            let wake = match (stopping, next.and_then(|s| s.due), &config.pacing) {
                (false, Some(offset), Pacing::Open(_)) => (self.start + offset).min(ticks.next),
                _ => ticks.next,
            };
            let wake = end.filter(|_| !stopping).map_or(wake, |e| wake.min(e));
            timer.as_mut().reset(wake.max(self.start));
            tokio::select! {
                biased;
                Some(done) = in_flight.next() => {
                    let Done { send, due, sent, outcome, conn, base } = done;
                    let finished = Instant::now();
                    let latencies = (finished.duration_since(due), finished.duration_since(sent));
                    if let Some(conn) = conn {
                        idle[base].push(conn);
                    }
                    let key = self.answers.keys()[send.key as usize];
                    let expected = self.answers.answer(send.key as usize);
                    batch.record(outcome, key, expected, Some(latencies));
                }
                () = &mut timer => {}
                changed = cancelled.changed(), if !stopping => {
                    if changed.is_err() || *cancelled.borrow() {
                        stopping = true;
                    }
                }
            }
            while Instant::now() >= ticks.next {
                let closed = std::mem::replace(&mut batch, new_batch(ticks.index + 1));
                let _ = self.batches.send(closed);
                ticks.advance();
            }
        }
        let _ = self.batches.send(batch);
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
