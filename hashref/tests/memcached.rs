//! `unicorn` v3 against a real memcached: misses, hits, and the story's misconfiguration.

mod util;

use std::time::{Duration, Instant};

use hashref::HashParams;
use hashref::unicorn::{Flavor, UnicornConfig};
use util::{Memcached, Server, client, free_port};

fn v3(memcache_server: Option<String>) -> UnicornConfig {
    UnicornConfig {
        flavor: Flavor::V3,
        workers: 2,
        queue: 8,
        min_latency: Duration::from_millis(300),
        params: HashParams::new("unicorn.rentals", 100).unwrap(),
        error_rate: 0.0,
        seed: Some(3),
        memcache_server,
    }
}

#[tokio::test]
async fn first_request_misses_second_hits_fast() {
    let memcached = Memcached::start();
    let config = v3(Some(memcached.addr.clone()));
    let params = config.params.clone();
    let server = Server::start(config).await;
    let http = client();
    let url = server.url("/calc?input=3615-7184-2117");
    let expected = params.answer("3615-7184-2117");

    let started = Instant::now();
    let first = http.get(&url).send().await.unwrap();
    let (status, cache) = (first.status(), first.headers().get("x-cache").cloned());
    let body = first.text().await.unwrap();
    assert_eq!((status.as_u16(), body.as_str()), (200, expected.as_str()));
    assert_eq!(cache.unwrap(), "miss");
    assert!(started.elapsed() >= Duration::from_millis(300));

    let started = Instant::now();
    let second = http.get(&url).send().await.unwrap();
    assert_eq!(second.status(), 200);
    assert_eq!(second.headers()["x-cache"], "hit");
    assert_eq!(second.text().await.unwrap(), expected.as_str());
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "a hit skips the slow path: {:?}",
        started.elapsed()
    );

    // Another key is its own miss.
    let other = http
        .get(server.url("/calc?input=3615-7184-2118"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.headers()["x-cache"], "miss");
}

#[tokio::test]
async fn unreachable_memcached_is_a_500_that_says_so() {
    let addr = format!("127.0.0.1:{}", free_port());
    let server = Server::start(v3(Some(addr.clone()))).await;
    let response = client()
        .get(server.url("/calc?input=3615-7184-2117"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    let body = response.text().await.unwrap();
    assert!(
        body.contains(&addr) && body.contains("unreachable"),
        "{body}"
    );
}

#[tokio::test]
async fn v3_without_a_cache_server_is_misconfigured() {
    let server = Server::start(v3(None)).await;
    let response = client()
        .get(server.url("/calc?input=3615-7184-2117"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    let body = response.text().await.unwrap();
    assert!(body.contains("--memcache-server"), "{body}");
    // The health check still answers: the process is up, only misconfigured.
    let health = client()
        .get(server.url("/healthcheck"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn memcached_restarting_is_survived() {
    let memcached = Memcached::start();
    let addr = memcached.addr.clone();
    let server = Server::start(v3(Some(addr.clone()))).await;
    let http = client();
    let url = server.url("/calc?input=1000-1000-1000");
    let first = http.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200, "{}", first.text().await.unwrap());
    drop(memcached);
    assert_eq!(http.get(&url).send().await.unwrap().status(), 500);
    // A memcached back on the same port: the server reconnects by itself.
    let port = addr.rsplit(':').next().unwrap();
    let mut back = std::process::Command::new("memcached")
        .args(["-l", "127.0.0.1", "-p", port, "-U", "0", "-u", "root"])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(&addr).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(http.get(&url).send().await.unwrap().status().as_u16());
    }
    let _ = back.kill();
    let _ = back.wait();
    assert!(
        statuses.iter().filter(|s| **s == 200).count() >= 8,
        "{statuses:?}"
    );
}
