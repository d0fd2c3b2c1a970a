//! The `unicorn` reference server over real sockets: answers, limits, flavors.

mod util;

use std::time::{Duration, Instant};

use hashref::unicorn::{Flavor, UnicornConfig};
use hashref::{HashParams, Keyset};
use util::{Server, client};

/// A fast server for tests: cheap hash, no latency floor.
fn fast(flavor: Flavor) -> UnicornConfig {
    UnicornConfig {
        flavor,
        workers: 4,
        queue: 64,
        min_latency: Duration::ZERO,
        params: HashParams::new("unicorn.rentals", 100).unwrap(),
        error_rate: 0.0,
        seed: Some(1),
        memcache_server: None,
    }
}

#[tokio::test]
async fn answers_are_the_reference_hash() {
    let config = fast(Flavor::V2);
    let params = config.params.clone();
    let server = Server::start(config).await;
    let http = client();
    for key in Keyset::generate(77, 20).unwrap().keys() {
        let response = http
            .get(server.url(&format!("/calc?input={key}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"],
            "text/plain; charset=utf-8"
        );
        assert_eq!(
            response.text().await.unwrap(),
            params.answer(key.as_str()).as_str()
        );
    }
}

#[tokio::test]
async fn bad_input_is_400_with_a_reason_and_other_paths_404() {
    let server = Server::start(fast(Flavor::V2)).await;
    let http = client();
    let get = |path: &str| http.get(server.url(path)).send();
    let missing = get("/calc").await.unwrap();
    assert_eq!(missing.status(), 400);
    assert!(
        missing
            .text()
            .await
            .unwrap()
            .contains("missing query parameter `input`")
    );
    for bad in [
        "/calc?input=",
        "/calc?input=1234",
        "/calc?input=abcd-efgh-ijkl",
    ] {
        let response = get(bad).await.unwrap();
        assert_eq!(response.status(), 400, "{bad}");
        let body = response.text().await.unwrap();
        assert!(
            body.contains("three groups of four digits"),
            "{bad}: {body}"
        );
        assert_eq!(body.lines().count(), 1, "one-line explanation: {body:?}");
    }
    let health = get("/healthcheck").await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap().trim(), "ok");
    assert_eq!(get("/").await.unwrap().status(), 404);
    assert_eq!(get("/calc/extra").await.unwrap().status(), 404);
    let post = http.post(server.url("/calc?input=1234-5678-9012")).send();
    assert_eq!(post.await.unwrap().status(), 404);
}

#[tokio::test]
async fn a_full_queue_answers_503_at_once() {
    let config = UnicornConfig {
        workers: 1,
        queue: 1,
        min_latency: Duration::from_millis(500),
        ..fast(Flavor::V2)
    };
    let server = Server::start(config).await;
    let http = client();
    let started = Instant::now();
    let requests = (0..6).map(|i| {
        let http = http.clone();
        let url = server.url(&format!("/calc?input=1000-2000-300{i}"));
        tokio::spawn(async move {
            let response = http.get(url).send().await.unwrap();
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            (status, body, started.elapsed())
        })
    });
    let mut results = Vec::new();
    for r in requests.collect::<Vec<_>>() {
        results.push(r.await.unwrap());
    }
    let ok: Vec<_> = results.iter().filter(|r| r.0 == 200).collect();
    let busy: Vec<_> = results.iter().filter(|r| r.0 == 503).collect();
    assert_eq!((ok.len(), busy.len()), (2, 4), "{results:?}");
    for (_, body, took) in &busy {
        assert!(body.contains("server busy"), "{body}");
        assert!(
            *took < Duration::from_millis(400),
            "503 came late: {took:?}"
        );
    }
    // One worker: the second answer waited for the first one's full floor.
    let mut times: Vec<_> = ok.iter().map(|r| r.2).collect();
    times.sort();
    assert!(times[0] >= Duration::from_millis(500), "{times:?}");
    assert!(times[1] >= Duration::from_millis(1000), "{times:?}");
}

#[tokio::test]
async fn no_answer_leaves_before_the_latency_floor() {
    let floor = Duration::from_millis(300);
    let server = Server::start(UnicornConfig {
        min_latency: floor,
        ..fast(Flavor::V2)
    })
    .await;
    let http = client();
    for i in 0..3 {
        let started = Instant::now();
        let url = server.url(&format!("/calc?input=1111-2222-333{i}"));
        let response = http.get(url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(started.elapsed() >= floor, "{:?}", started.elapsed());
    }
}

#[tokio::test]
async fn healthcheck_answers_while_every_worker_is_busy() {
    let server = Server::start(UnicornConfig {
        workers: 1,
        min_latency: Duration::from_secs(2),
        ..fast(Flavor::V2)
    })
    .await;
    let http = client();
    let slow = tokio::spawn(http.get(server.url("/calc?input=1234-1234-1234")).send());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let health = http.get(server.url("/healthcheck")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    assert!(
        !slow.is_finished(),
        "the slow request should still be working"
    );
    assert_eq!(slow.await.unwrap().unwrap().status(), 200);
}

/// Sends `n` requests, 32 at a time, and counts the statuses.
async fn count_statuses(server: &Server, n: usize) -> (usize, usize) {
    let http = client();
    let keys = Keyset::generate(5, 50).unwrap();
    let mut ok = 0;
    let mut errors = 0;
    for chunk in (0..n).collect::<Vec<_>>().chunks(32) {
        let batch: Vec<_> = chunk
            .iter()
            .map(|i| {
                let key = keys.keys()[i % keys.len()];
                tokio::spawn(http.get(server.url(&format!("/calc?input={key}"))).send())
            })
            .collect();
        for r in batch {
            match r.await.unwrap().unwrap().status().as_u16() {
                200 => ok += 1,
                500 => errors += 1,
                other => panic!("unexpected status {other}"),
            }
        }
    }
    (ok, errors)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_errs_at_its_rate_reproducibly_and_v2_never() {
    let v1 = || UnicornConfig {
        error_rate: 0.2,
        seed: Some(7),
        params: HashParams::new("unicorn.rentals", 1).unwrap(),
        ..fast(Flavor::V1)
    };
    let n = 2000;
    let (ok, errors) = count_statuses(&Server::start(v1()).await, n).await;
    assert_eq!(ok + errors, n);
    // Binomial(2000, 0.2): mean 400, standard deviation 17.9; allow five of them.
    assert!((310..=490).contains(&errors), "{errors} errors in {n}");
    // Each request draws once from the seeded stream, whatever the order of arrival.
    let (_, again) = count_statuses(&Server::start(v1()).await, n).await;
    assert_eq!(again, errors, "the same seed gives the same draws");

    let v2 = UnicornConfig {
        error_rate: 0.2,
        ..v1()
    };
    let v2 = UnicornConfig {
        flavor: Flavor::V2,
        ..v2
    };
    let (ok, errors) = count_statuses(&Server::start(v2).await, 500).await;
    assert_eq!((ok, errors), (500, 0));
}
