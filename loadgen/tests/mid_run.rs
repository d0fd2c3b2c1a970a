//! Runs that change or start mid-game, against real servers on loopback: a target's URLs
//! changed while the engine runs, a target that waits for its first URL, and a run resumed
//! at an offset into the schedule.

mod util;

use std::time::Duration;

use hashref::ZipfPicker;
use loadgen::{EngineConfig, LoadgenError, OutcomeKind, Pacing, RateSchedule, Schedule, Stop};
use util::{Behaviour, TestServer, answers, finish, start, summary_of, target};

fn instant() -> Behaviour {
    Behaviour::Correct {
        delay: Duration::ZERO,
    }
}

fn open(rate: f64, stop: Duration) -> EngineConfig {
    EngineConfig {
        pacing: Pacing::Open(RateSchedule::constant(rate).unwrap()),
        stop: Stop::After(stop),
        ..EngineConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_moves_to_new_urls_mid_run_and_loses_nothing() {
    let (a, b, c) = (
        TestServer::start(instant()).await,
        TestServer::start(instant()).await,
        TestServer::start(instant()).await,
    );
    let second = Duration::from_secs(1);
    let (handle, batches) = start(
        open(200.0, Duration::from_secs(2)),
        vec![target("t", &a, second)],
        answers(100),
    );
    let at = |ms| tokio::time::Instant::from_std(handle.started() + Duration::from_millis(ms));

    // Bad changes are refused as at the start, and change nothing.
    tokio::time::sleep_until(at(300)).await;
    let err = handle.set_urls(0, vec!["ftp://x".into()]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "target t: bad URL \"ftp://x\": expected a URL like http://host:port or https://host"
    );
    let err = handle.set_urls(0, vec![b.url(), "http://x/?q=1".into()]);
    assert!(matches!(err, Err(LoadgenError::BadUrl { .. })), "{err:?}");
    let err = handle.set_urls(0, vec![]).unwrap_err();
    assert!(err.to_string().contains("needs at least one URL"), "{err}");
    let err = handle.set_urls(1, vec![b.url()]).unwrap_err();
    assert!(matches!(
        err,
        LoadgenError::UnknownTarget {
            index: 1,
            targets: 1
        }
    ));

    tokio::time::sleep_until(at(1000)).await;
    assert_eq!((b.requests(), c.requests()), (0, 0), "no change took");
    let before = a.requests();
    assert!((190..=201).contains(&before), "{before} sent to A by 1 s");
    handle.set_urls(0, vec![b.url(), c.url()]).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let settled = a.requests();
    // Only what was already on its way may still reach A.
    assert!(settled - before <= 3, "{} more reached A", settled - before);

    let batches = finish(handle, batches).await;
    let s = summary_of(&batches, "t");
    // Every scheduled send has an outcome, and every one was answered right.
    assert_eq!(s.sends, 400);
    assert_eq!(s.counts.total(), 400, "{:?}", s.counts);
    assert_eq!(s.counts.get(OutcomeKind::Correct), 400, "{:?}", s.counts);
    assert_eq!(a.requests(), settled, "A got requests after the switch");
    let (on_b, on_c) = (b.requests(), c.requests());
    assert_eq!(settled + on_b + on_c, 400);
    assert!(on_b.abs_diff(on_c) <= 1, "B {on_b}, C {on_c}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_to_a_url_that_stays_are_kept() {
    let (a, b) = (
        TestServer::start(instant()).await,
        TestServer::start(instant()).await,
    );
    let (handle, batches) = start(
        open(100.0, Duration::from_secs(2)),
        vec![target("t", &a, Duration::from_secs(1))],
        answers(100),
    );
    let at = |ms| tokio::time::Instant::from_std(handle.started() + Duration::from_millis(ms));
    // Between two sends, so A's connection is idle.
    tokio::time::sleep_until(at(1005)).await;
    let opened = a.connections();
    // The same server under another spelling of its URL is the same host and port.
    let again = format!("http://127.0.0.1:{}/", a.addr.port());
    handle.set_urls(0, vec![again, b.url()]).unwrap();
    let batches = finish(handle, batches).await;
    assert_eq!(
        summary_of(&batches, "t").counts.get(OutcomeKind::Correct),
        200
    );
    // Requests 10 ms apart need one connection each; A's idle one was kept, not reopened.
    assert_eq!(a.connections(), opened, "A's connection was not kept");
    assert_eq!(b.connections(), 1);
    assert!(a.requests().abs_diff(100 + 50) <= 3, "A {}", a.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_at_an_offset_continues_the_schedule_on_the_game_clock() {
    let server = TestServer::start(instant()).await;
    let table = answers(1000);
    let offset = Duration::from_millis(2500);
    let config = EngineConfig {
        offset,
        ..open(100.0, Duration::from_secs(4))
    };
    // The unshifted schedule from the offset on: dues 2.50 s to 3.99 s.
    let picker = ZipfPicker::new(table.len(), config.zipf, config.seed).unwrap();
    let expected: Vec<String> = Schedule::new(&config.pacing, picker, config.stop)
        .filter(|s| s.due.unwrap() >= offset)
        .map(|s| table.keys()[s.key as usize].as_str().to_owned())
        .collect();
    assert_eq!(expected.len(), 150);

    let began = std::time::Instant::now();
    let (handle, batches) = start(
        config,
        vec![target("t", &server, Duration::from_secs(1))],
        table,
    );
    let clock = handle.started().elapsed();
    assert!(
        clock >= Duration::from_millis(2400),
        "game clock at {clock:?}"
    );
    let batches = finish(handle, batches).await;
    let took = began.elapsed();
    assert!(
        (Duration::from_millis(1400)..Duration::from_millis(2500)).contains(&took),
        "the run took {took:?}, not 1.5 s"
    );

    let s = summary_of(&batches, "t");
    assert_eq!(s.sends, 150);
    assert_eq!(s.counts.get(OutcomeKind::Correct), 150, "{:?}", s.counts);
    let seen = server.seen.lock().unwrap().clone();
    let (mut sorted_seen, mut sorted_expected) = (seen.clone(), expected.clone());
    sorted_seen.sort();
    sorted_expected.sort();
    assert_eq!(sorted_seen, sorted_expected);
    let same_place = seen.iter().zip(&expected).filter(|(x, y)| x == y).count();
    assert!(same_place >= 145, "only {same_place} of 150 in order");

    // Ticks are the game clock's: the first is short (2.5 s to 3 s) and numbered 2.
    let sends_of = |tick| -> u64 {
        let of_tick = batches.iter().filter(|b| b.id.tick == tick);
        of_tick.map(|b| b.sends).sum()
    };
    assert!(batches.iter().all(|b| b.id.tick >= 2), "a tick before 2");
    assert!((45..=55).contains(&sends_of(2)), "tick 2: {}", sends_of(2));
    assert!((95..=105).contains(&sends_of(3)), "tick 3: {}", sends_of(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_clients_at_an_offset_only_shift_the_clock() {
    let server = TestServer::start(instant()).await;
    let config = EngineConfig {
        pacing: Pacing::Closed { clients: 2 },
        stop: Stop::After(Duration::from_millis(3500)),
        offset: Duration::from_secs(3),
        ..EngineConfig::default()
    };
    let began = std::time::Instant::now();
    let batches = util::run(
        config,
        vec![target("t", &server, Duration::from_secs(1))],
        answers(100),
    )
    .await;
    let took = began.elapsed();
    assert!(
        (Duration::from_millis(450)..Duration::from_millis(1500)).contains(&took),
        "the run took {took:?}, not 0.5 s"
    );
    assert!(batches.iter().all(|b| b.id.tick == 3), "ticks from 3");
    let s = summary_of(&batches, "t");
    assert!(s.sends > 0);
    assert_eq!(s.counts.get(OutcomeKind::Correct), s.sends);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn targets_are_staggered_but_get_the_same_schedule_from_their_own_start() {
    let (a, b) = (
        TestServer::start(instant()).await,
        TestServer::start(instant()).await,
    );
    // Two targets over a 500 ms window: b follows the schedule 250 ms after a.
    let config = EngineConfig {
        stagger: Duration::from_millis(500),
        ..open(10.0, Duration::from_secs(1))
    };
    let (handle, batches) = start(
        config,
        vec![
            target("a", &a, Duration::from_secs(1)),
            target("b", &b, Duration::from_secs(1)),
        ],
        answers(100),
    );
    let at = |ms| tokio::time::Instant::from_std(handle.started() + Duration::from_millis(ms));
    tokio::time::sleep_until(at(150)).await;
    assert_eq!(b.requests(), 0, "b's first send is due at 250 ms");
    tokio::time::sleep_until(at(240)).await;
    assert!(a.requests() >= 1, "a's first send was due at 0");
    let batches = finish(handle, batches).await;
    // Each got the whole schedule, the same keys in the same order, in the same ticks.
    assert_eq!(*a.seen.lock().unwrap(), *b.seen.lock().unwrap());
    assert_eq!(
        a.requests(),
        summary_of(&batches, "a").counts.get(OutcomeKind::Correct) as usize
    );
    let ticks = |name: &str| {
        let mut t: Vec<(u64, u64)> = batches
            .iter()
            .filter(|x| &*x.target == name)
            .map(|x| (x.id.tick, x.sends))
            .collect();
        t.sort();
        t
    };
    assert_eq!(ticks("a"), ticks("b"));
    assert_eq!(ticks("a").iter().map(|t| t.1).sum::<u64>(), 10);
    // A run of one 1 s tick has one batch a target: the run lasts to its end, and the empty
    // tick its clock opens there is not sent (a game would count its last tick twice).
    assert_eq!(ticks("a"), [(0, 10)]);
}

/// A team that registers its endpoint after the start: its target waits with no URL, is
/// sent nothing (its due sends pass unsent and uncounted), still has a batch every tick,
/// and once given a URL follows the schedule from its next due send, as its neighbour does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_target_is_sent_nothing_until_its_url_comes_then_keeps_the_schedule() {
    let (a, w) = (
        TestServer::start(instant()).await,
        TestServer::start(instant()).await,
    );
    let second = Duration::from_secs(1);
    let table = answers(1000);
    let config = EngineConfig {
        tick: Duration::from_millis(500),
        stagger: Duration::ZERO,
        ..open(100.0, Duration::from_secs(3))
    };
    let picker = ZipfPicker::new(table.len(), config.zipf, config.seed).unwrap();
    let (dues, schedule): (Vec<Duration>, Vec<String>) =
        Schedule::new(&config.pacing, picker, config.stop)
            .map(|s| {
                (
                    s.due.unwrap(),
                    table.keys()[s.key as usize].as_str().to_owned(),
                )
            })
            .unzip();
    assert_eq!(schedule.len(), 300);
    let due_from = |t: Duration| dues.iter().filter(|&&d| d >= t).count() as u64;
    let waiting = loadgen::Target {
        urls: vec![],
        ..target("waiting", &w, second)
    };
    let (handle, batches) = start(
        config,
        vec![target("normal", &a, second), waiting],
        table.clone(),
    );
    let at = |ms| tokio::time::Instant::from_std(handle.started() + Duration::from_millis(ms));

    tokio::time::sleep_until(at(1200)).await;
    // Waiting does not make an empty set of URLs acceptable later.
    let err = handle.set_urls(1, vec![]).unwrap_err();
    assert!(err.to_string().contains("needs at least one URL"), "{err}");
    let before = handle.started().elapsed();
    handle.set_urls(1, vec![w.url()]).unwrap();
    let after = handle.started().elapsed();
    // Its load begins within a tick, at the schedule's rate (25 in 250 ms), not with a
    // burst of the sends it missed (20 more since its last tick).
    tokio::time::sleep(Duration::from_millis(250)).await;
    let first = w.requests();
    assert!((1..=32).contains(&first), "{first} requests in 250 ms");

    let batches = finish(handle, batches).await;
    let normal = summary_of(&batches, "normal");
    assert_eq!(normal.counts.get(OutcomeKind::Correct), 300, "{normal:?}");
    assert_eq!(a.requests(), 300, "the neighbour was unaffected");
    let s = summary_of(&batches, "waiting");
    // Only the sends due after its URL came (less the few due while its loop woke to it):
    // every one sent, none dropped.
    assert!(
        s.sends <= due_from(before) && s.sends + 10 >= due_from(after),
        "{} sends; {} due from {before:?}",
        s.sends,
        due_from(before)
    );
    assert_eq!(s.counts.total(), s.sends, "{:?}", s.counts);
    assert_eq!(
        s.counts.get(OutcomeKind::Correct),
        s.sends,
        "{:?}",
        s.counts
    );
    assert_eq!(w.requests() as u64, s.sends);
    // The very keys the schedule has from that moment on.
    let mut seen = w.seen.lock().unwrap().clone();
    let mut expected = schedule[schedule.len() - seen.len()..].to_vec();
    seen.sort();
    expected.sort();
    assert_eq!(seen, expected);
    // A batch at every tick, the waiting ones empty.
    let ticks = |name: &str| {
        let mut t: Vec<(u64, u64)> = batches
            .iter()
            .filter(|b| &*b.target == name)
            .map(|b| (b.id.tick, b.sends))
            .collect();
        t.sort();
        t
    };
    let waited = ticks("waiting");
    let tick_ids = |t: &[(u64, u64)]| t.iter().map(|x| x.0).collect::<Vec<_>>();
    assert_eq!(tick_ids(&waited), tick_ids(&ticks("normal")));
    assert_eq!(tick_ids(&waited), [0, 1, 2, 3, 4, 5]);
    assert_eq!(&waited[..2], [(0, 0), (1, 0)]);
    assert!((1..=32).contains(&waited[2].1), "tick 2: {:?}", waited[2]);
    // No more late than its neighbour in the same ticks (what it missed was not sent late).
    let late = |name: &str| -> u64 {
        let from_its_url = batches
            .iter()
            .filter(|b| &*b.target == name && b.id.tick >= 2);
        from_its_url.map(|b| b.late_sends).sum()
    };
    assert!(
        late("waiting") <= late("normal") + 5,
        "{} late sends, its neighbour {}",
        late("waiting"),
        late("normal")
    );
}

/// Closed clients: none starts for a waiting target; they start once its URL comes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_closed_client_starts_for_a_waiting_target() {
    let (a, w) = (
        TestServer::start(instant()).await,
        TestServer::start(instant()).await,
    );
    let second = Duration::from_secs(1);
    let config = EngineConfig {
        pacing: Pacing::Closed { clients: 2 },
        stop: Stop::After(Duration::from_secs(2)),
        tick: Duration::from_millis(500),
        ..EngineConfig::default()
    };
    let waiting = loadgen::Target {
        urls: vec![],
        ..target("waiting", &w, second)
    };
    let (handle, batches) = start(
        config,
        vec![target("normal", &a, second), waiting],
        answers(100),
    );
    let at = |ms| tokio::time::Instant::from_std(handle.started() + Duration::from_millis(ms));
    tokio::time::sleep_until(at(1000)).await;
    handle.set_urls(1, vec![w.url()]).unwrap();
    let batches = finish(handle, batches).await;
    let s = summary_of(&batches, "waiting");
    assert!(s.sends > 0 && w.requests() as u64 == s.sends, "{s:?}");
    assert_eq!(
        s.counts.get(OutcomeKind::Correct),
        s.sends,
        "{:?}",
        s.counts
    );
    let before: u64 = batches
        .iter()
        .filter(|b| &*b.target == "waiting" && b.id.tick < 2)
        .map(|b| b.sends + b.counts.total())
        .sum();
    assert_eq!(before, 0, "sends before its URL came");
    assert!(summary_of(&batches, "normal").sends > s.sends);
}
