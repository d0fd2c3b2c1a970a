//! Simulated teams over real sockets: servers answer the hash, scale, cache, fail and are
//! billed as instances.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use gameday::fleet::TeamFleet;
use gameday::scenario::{CacheKey, Fault, SimStep, SimulatedTeam};
use hashref::HashParams;
use hashref::unicorn::Flavor;
use scoreboard_domain::GameTime;

const KEY: &str = "3615-7184-2117";

fn spec() -> SimulatedTeam {
    SimulatedTeam {
        flavor: Flavor::V2,
        servers: 2,
        cache: false,
        cache_key: CacheKey::Query,
        hash: HashParams {
            iterations: 10,
            salt: "s".into(),
        },
        min_latency: Duration::from_millis(20),
        workers: 2,
        queue: 4,
        error_rate: 0.0,
        memcache: None,
        instance_type: "t2.micro".into(),
        steps: vec![],
        mend_after: None,
    }
}

/// One GET of [`KEY`] over a fresh connection: status, the X-Cache header, the body.
fn get(url: &str, timeout: Duration) -> std::io::Result<(u16, Option<String>, String)> {
    get_key(url, KEY, timeout)
}

/// One GET of `key`.
fn get_key(
    url: &str,
    key: &str,
    timeout: Duration,
) -> std::io::Result<(u16, Option<String>, String)> {
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(timeout))?;
    write!(
        s,
        "GET /calc?input={key} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut text = String::new();
    s.read_to_string(&mut text)?;
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let cache = head
        .lines()
        .find_map(|l| l.strip_prefix("x-cache: "))
        .map(str::to_owned);
    Ok((status, cache, body.to_owned()))
}

/// A team of one server, and its URL: what the fault tests act on.
fn one_server(name: &str) -> (TeamFleet, String) {
    let team = SimulatedTeam {
        servers: 1,
        ..spec()
    };
    let fleet = TeamFleet::start(name, &team, 1, GameTime(0)).unwrap();
    let url = fleet.urls()[0].clone();
    (fleet, url)
}

fn expected() -> String {
    answer(KEY)
}

fn answer(key: &str) -> String {
    HashParams::new("s", 10)
        .unwrap()
        .answer(key)
        .as_str()
        .to_owned()
}

#[test]
fn servers_answer_scale_and_bill() {
    let mut fleet = TeamFleet::start("Blue Team", &spec(), 7, GameTime(0)).unwrap();
    let urls = fleet.urls();
    assert_eq!(urls.len(), 2);
    for url in &urls {
        let (status, cache, body) = get(url, Duration::from_secs(5)).unwrap();
        assert_eq!((status, cache, body), (200, None, expected()));
    }
    let up = SimStep {
        at: Duration::from_secs(10),
        servers: Some(4),
        flavor: None,
        cache: None,
    };
    fleet.step(&up, GameTime(10_000)).unwrap();
    let four = fleet.urls();
    assert_eq!(four.len(), 4);
    fleet.fault(&Fault::Kill, GameTime(12_000)).unwrap();
    let after = fleet.urls();
    assert_eq!(after.len(), 3);
    let killed = fleet.instances()[3].clone();
    assert_eq!(killed.id, "i-sim-blue-team-04");
    assert_eq!(
        (killed.start, killed.stop),
        (GameTime(10_000), Some(GameTime(12_000)))
    );
    let gone: Vec<_> = four.iter().filter(|u| !after.contains(u)).collect();
    assert_eq!(gone.len(), 1, "the killed server is out of rotation");
    assert!(
        get(gone[0], Duration::from_secs(1)).is_err(),
        "and refuses connections"
    );
    fleet.shutdown(GameTime(20_000));
    assert_eq!(fleet.running(), 0);
    assert!(fleet.instances().iter().all(|i| i.stop.is_some()));
    // With no server left, the team refuses connections rather than vanishing.
    let dead = fleet.urls();
    assert_eq!(dead.len(), 1);
    assert!(get(&dead[0], Duration::from_secs(1)).is_err());
}

#[test]
fn a_cache_in_front_answers_hot_keys_without_a_worker() {
    let slow = SimulatedTeam {
        servers: 1,
        cache: true,
        min_latency: Duration::from_millis(300),
        ..spec()
    };
    let fleet = TeamFleet::start("cached", &slow, 1, GameTime(0)).unwrap();
    let url = &fleet.urls()[0];
    let (status, cache, body) = get(url, Duration::from_secs(5)).unwrap();
    assert_eq!(
        (status, cache.as_deref(), body),
        (200, Some("miss"), expected())
    );
    let t = Instant::now();
    let (status, cache, body) = get(url, Duration::from_secs(5)).unwrap();
    assert_eq!(
        (status, cache.as_deref(), body),
        (200, Some("hit"), expected())
    );
    assert!(
        t.elapsed() < Duration::from_millis(300),
        "a hit skips the latency floor"
    );
}

#[test]
fn a_cache_keyed_on_the_path_answers_every_key_with_the_first_ones_hash() {
    let broken = SimulatedTeam {
        servers: 1,
        cache: true,
        cache_key: CacheKey::Path,
        ..spec()
    };
    let fleet = TeamFleet::start("path-cache", &broken, 1, GameTime(0)).unwrap();
    let url = &fleet.urls()[0];
    let other = "1111-2222-3333";
    assert_ne!(answer(other), expected());
    let (status, cache, body) = get(url, Duration::from_secs(5)).unwrap();
    assert_eq!(
        (status, cache.as_deref(), body),
        (200, Some("miss"), expected())
    );
    // Another key: the first key's answer, from the cache.
    let (status, cache, body) = get_key(url, other, Duration::from_secs(5)).unwrap();
    assert_eq!(
        (status, cache.as_deref(), body),
        (200, Some("hit"), expected())
    );
    // Keyed on the query string, each key gets its own.
    let good = SimulatedTeam {
        cache_key: CacheKey::Query,
        ..broken
    };
    let fleet = TeamFleet::start("query-cache", &good, 1, GameTime(0)).unwrap();
    let url = &fleet.urls()[0];
    let (_, _, body) = get(url, Duration::from_secs(5)).unwrap();
    assert_eq!(body, expected());
    let (_, cache, body) = get_key(url, other, Duration::from_secs(5)).unwrap();
    assert_eq!((cache.as_deref(), body), (Some("miss"), answer(other)));
}

#[test]
fn faults_switch_flavor_add_latency_and_stall() {
    let (mut fleet, url) = one_server("f");
    fleet
        .fault(&Fault::Flavor(Flavor::V3), GameTime(1))
        .unwrap();
    let (status, _, body) = get(&url, Duration::from_secs(5)).unwrap();
    assert_eq!(status, 500);
    assert!(body.contains("v3 is misconfigured"), "{body}");
    fleet
        .fault(&Fault::Flavor(Flavor::V2), GameTime(2))
        .unwrap();
    let extra = Fault::Latency {
        extra: Duration::from_millis(400),
        lasting: Some(Duration::from_secs(60)),
    };
    fleet.fault(&extra, GameTime(3)).unwrap();
    let t = Instant::now();
    assert_eq!(get(&url, Duration::from_secs(5)).unwrap().0, 200);
    assert!(t.elapsed() >= Duration::from_millis(400));
    fleet
        .fault(
            &Fault::Latency {
                extra: Duration::ZERO,
                lasting: None,
            },
            GameTime(4),
        )
        .unwrap();
    fleet
        .fault(
            &Fault::Stall {
                lasting: Duration::from_secs(30),
            },
            GameTime(5),
        )
        .unwrap();
    let err = get(&url, Duration::from_millis(500)).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "a stalled server does not answer: {err}"
    );
}

#[test]
fn bad_answer_faults_give_garbage_oversize_and_cut_answers_then_recover() {
    use gameday::scenario::Misbehaviour;
    let (mut fleet, url) = one_server("h");
    let bad = |how| Fault::Misbehave {
        how,
        lasting: Duration::from_millis(700),
    };
    fleet
        .fault(&bad(Misbehaviour::Garbage), GameTime(1))
        .unwrap();
    let (status, _, _) = get(&url, Duration::from_secs(5)).unwrap();
    assert_eq!(status, 0, "a garbage answer has no HTTP status line");
    std::thread::sleep(Duration::from_millis(800));
    let (status, _, body) = get(&url, Duration::from_secs(5)).unwrap();
    assert_eq!((status, body), (200, expected()), "the fault is over");

    fleet
        .fault(&bad(Misbehaviour::Oversize), GameTime(2))
        .unwrap();
    let (status, _, body) = get(&url, Duration::from_secs(5)).unwrap();
    assert_eq!(status, 200);
    assert!(body.len() > 64 * 1024, "{} bytes", body.len());

    std::thread::sleep(Duration::from_millis(800));
    fleet.fault(&bad(Misbehaviour::Reset), GameTime(3)).unwrap();
    let cut = get(&url, Duration::from_secs(5));
    assert!(
        !matches!(&cut, Ok((200, _, body)) if *body == expected()),
        "a reset fault never gives a whole answer: {cut:?}"
    );
    std::thread::sleep(Duration::from_millis(800));
    let (status, _, body) = get(&url, Duration::from_secs(5)).unwrap();
    assert_eq!((status, body), (200, expected()));
}
