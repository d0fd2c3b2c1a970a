//! No combination of load options hangs: a walk of the option space with small values
//! (open or closed, rate or clients, max_in_flight, timeout, connect_timeout, duration,
//! a cancel), against a server that answers and one that never does. Every run is either
//! refused at once or ends by its duration plus its timeout; a cancelled one within
//! [`loadgen::CANCEL_GRACE`] of the cancel.

mod util;

use std::sync::Arc;
use std::time::{Duration, Instant};

use loadgen::{Engine, EngineConfig, Pacing, RateSchedule, Stop, Target, TargetLimits};
use tokio::sync::mpsc;

use util::{Behaviour, TestServer, answers};

/// One point of the option space.
#[derive(Clone, Debug)]
struct Combo {
    pacing: Pacing,
    max_in_flight: usize,
    timeout: Duration,
    connect_timeout: Duration,
    duration: Duration,
    /// Cancelled this long after the start (as a signal would).
    cancel: Option<Duration>,
    hang: bool,
}

fn combos() -> Vec<Combo> {
    let ms = Duration::from_millis;
    let pacings = [
        Pacing::Open(RateSchedule::constant(5.0).unwrap()),
        Pacing::Open(RateSchedule::constant(2000.0).unwrap()),
        Pacing::Closed { clients: 1 },
        Pacing::Closed { clients: 4 },
        Pacing::Closed { clients: 64 },
    ];
    let mut all = Vec::new();
    for pacing in &pacings {
        for max_in_flight in [1, 4, 1000] {
            for timeout in [ms(100), ms(1500)] {
                for connect_timeout in [ms(50), ms(2000)] {
                    for duration in [Duration::ZERO, ms(300)] {
                        for hang in [false, true] {
                            all.push(Combo {
                                pacing: pacing.clone(),
                                max_in_flight,
                                timeout,
                                connect_timeout,
                                duration,
                                cancel: None,
                                hang,
                            });
                        }
                    }
                }
            }
        }
    }
    // Cancels: a long timeout on a server that never answers must not hold the stop.
    for pacing in &pacings {
        all.push(Combo {
            pacing: pacing.clone(),
            max_in_flight: 1000,
            timeout: Duration::from_secs(60),
            connect_timeout: ms(2000),
            duration: Duration::from_secs(60),
            cancel: Some(ms(200)),
            hang: true,
        });
    }
    all
}

/// Allowed beyond the bound for the machine's own delays (two cores, many runs at once).
const SLACK: Duration = Duration::from_millis(1500);

/// What a run did: refused at start, or how long it took from its start.
enum Ran {
    Refused(String),
    Took(Duration),
}

async fn run(combo: Combo, url: String, answers: Arc<hashref::AnswerTable>) -> Ran {
    let mut target = Target::new("t", vec![url]);
    target.limits = TargetLimits {
        max_in_flight: combo.max_in_flight,
        timeout: combo.timeout,
        connect_timeout: combo.connect_timeout,
        ..TargetLimits::default()
    };
    let config = EngineConfig {
        pacing: combo.pacing.clone(),
        stop: Stop::After(combo.duration),
        tick: Duration::from_millis(100),
        ..EngineConfig::default()
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let start = Instant::now();
    let handle = match Engine::start(config, &[target], answers, tx) {
        Ok(handle) => handle,
        Err(e) => return Ran::Refused(e.to_string()),
    };
    if let Some(after) = combo.cancel {
        let cancel = handle.canceller();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            cancel();
        });
    }
    while rx.recv().await.is_some() {}
    let took = start.elapsed();
    tokio::task::spawn_blocking(move || handle.join().unwrap())
        .await
        .unwrap();
    Ran::Took(took)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_combination_of_load_options_ends_in_time_or_is_refused() {
    let answers = answers(50);
    let correct = TestServer::start(Behaviour::Correct {
        delay: Duration::ZERO,
    })
    .await;
    let hang = TestServer::start(Behaviour::Hang).await;
    let combos = combos();
    let (mut refused, mut ended) = (0, 0);
    for chunk in combos.chunks(24) {
        let runs = chunk.iter().map(|c| {
            let url = if c.hang { hang.url() } else { correct.url() };
            let c = c.clone();
            let answers = answers.clone();
            async move { (c.clone(), run(c, url, answers).await) }
        });
        for (combo, ran) in futures_util::future::join_all(runs).await {
            let closed_over_cap = matches!(combo.pacing,
                Pacing::Closed { clients } if clients > combo.max_in_flight);
            match ran {
                Ran::Refused(why) => {
                    assert!(closed_over_cap, "{combo:?} refused: {why}");
                    assert!(
                        why.contains("clients") && why.contains("max_in_flight"),
                        "{combo:?}: the refusal names the options: {why}"
                    );
                    refused += 1;
                }
                Ran::Took(took) => {
                    assert!(!closed_over_cap, "{combo:?} was not refused");
                    let bound = match combo.cancel {
                        Some(at) => at + loadgen::CANCEL_GRACE,
                        None => combo.duration + combo.timeout,
                    };
                    assert!(
                        took <= bound + SLACK,
                        "{combo:?} took {took:?}, bound {bound:?}"
                    );
                    ended += 1;
                }
            }
        }
    }
    eprintln!("{ended} runs ended in time, {refused} refused at start");
    assert!(refused > 0 && ended > refused);
}
