//! Webhooks against a real receiver on a real socket: one that fails, then hangs, then
//! recovers gets every message, in order; one that never recovers has its messages given
//! up after the bounded time; a stuck hook never makes the caller wait; the URL's secret is
//! never in what the admin page shows.
#![cfg(feature = "notify")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use scoreboard::notify::{Audience, Hook, HookKind, Message, Moment, Notifier, Retry};
use scoreboard_domain::GameTime;

/// What the receiver does with its n-th request.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Answer {
    Fail,
    Hang,
    Ok,
}

/// A webhook receiver on 127.0.0.1: answers by its script (then `Ok` forever, or the last
/// entry forever when `repeat_last`), and keeps every JSON body it read.
struct Receiver {
    url: String,
    bodies: Arc<Mutex<Vec<serde_json::Value>>>,
}

fn receiver(script: Vec<Answer>, repeat_last: bool) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/hooks/secret-path",
        listener.local_addr().unwrap()
    );
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&bodies);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (seen, script) = (Arc::clone(&seen), script.clone());
            std::thread::spawn(move || serve(stream, &seen, &script, repeat_last));
        }
    });
    Receiver { url, bodies }
}

fn serve(stream: TcpStream, seen: &Mutex<Vec<serde_json::Value>>, script: &[Answer], repeat: bool) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    loop {
        let mut length = 0;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let n = {
            let mut seen = seen.lock().unwrap();
            seen.push(serde_json::from_slice(&body).unwrap());
            seen.len() - 1
        };
        let answer = match script.get(n) {
            Some(a) => *a,
            None if repeat => *script.last().unwrap(),
            None => Answer::Ok,
        };
        let status = match answer {
            Answer::Hang => {
                std::thread::sleep(Duration::from_secs(30));
                return;
            }
            Answer::Fail => "500 Internal Server Error",
            Answer::Ok => "200 OK",
        };
        let head = format!("HTTP/1.1 {status}\r\ncontent-length: 2\r\n\r\nok");
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
    }
}

fn quick() -> Retry {
    Retry {
        attempt: Duration::from_millis(500),
        first: Duration::from_millis(100),
        longest: Duration::from_millis(200),
        give_up_after: Duration::from_secs(20),
    }
}

fn say(text: &str) -> Message {
    Message {
        game: "Rentals".into(),
        moment: Moment::Announcement,
        at: GameTime(1000),
        text: text.into(),
    }
}

fn hook(url: &str) -> Hook {
    Hook {
        kind: HookKind::Json,
        url: url.into(),
        audience: Audience::Everyone,
    }
}

/// Waits until `done` holds (at most 15 s).
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "waited for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_receiver_that_fails_then_hangs_then_recovers_gets_everything_in_order() {
    let r = receiver(vec![Answer::Fail, Answer::Hang], false);
    let notifier = Notifier::start(vec![hook(&r.url)], quick());
    let health = notifier.health();
    let started = Instant::now();
    for text in ["one", "two", "three"] {
        notifier.notify(&say(text));
    }
    assert!(
        started.elapsed() < Duration::from_millis(50),
        "notify never waits"
    );

    // While the receiver hangs, the hook shows as failing, with the reason.
    until("the hook to fail", || {
        health.lock().unwrap()[0].failing_since_unix_ms.is_some()
    })
    .await;
    until("all three", || health.lock().unwrap()[0].sent == 3).await;
    let h = health.lock().unwrap()[0].clone();
    assert_eq!((h.given_up, h.dropped), (0, 0));
    assert_eq!(h.failing_since_unix_ms, None, "recovered");
    let error = h.last_error.unwrap();
    assert!(
        error.contains("answered 500") || error.contains("no answer within"),
        "{error}"
    );
    assert!(!error.contains("secret"), "{error}");
    assert!(!h.label.contains("secret") && h.label.starts_with("json webhook at 127.0.0.1:"));

    let texts: Vec<String> = r
        .bodies
        .lock()
        .unwrap()
        .iter()
        .map(|b| b["text"].as_str().unwrap().to_owned())
        .collect();
    // "one" failed, hung, then went through; then the others, in order.
    assert_eq!(texts, ["one", "one", "one", "two", "three"]);
    assert_eq!(r.bodies.lock().unwrap()[0]["event"], "announcement");
}

#[tokio::test]
async fn a_receiver_that_never_recovers_costs_a_bounded_time_and_drops_nothing_silently() {
    let r = receiver(vec![Answer::Fail], true);
    let retry = Retry {
        give_up_after: Duration::from_secs(1),
        ..quick()
    };
    let notifier = Notifier::start(vec![hook(&r.url)], retry);
    let health = notifier.health();
    notifier.notify(&say("lost"));
    notifier.notify(&say("lost too"));
    until("both given up", || health.lock().unwrap()[0].given_up == 2).await;
    let h = health.lock().unwrap()[0].clone();
    assert_eq!(h.sent, 0);
    assert!(h.failing_since_unix_ms.is_some());
    assert_eq!(
        h.last_error.as_deref(),
        Some("answered 500 Internal Server Error")
    );
}

#[tokio::test]
async fn a_stuck_hook_never_makes_the_game_wait_and_counts_what_it_drops() {
    let r = receiver(vec![Answer::Hang], true);
    let organizer = Hook {
        audience: Audience::Organizer,
        ..hook(&r.url)
    };
    let notifier = Notifier::start(vec![hook(&r.url), organizer], quick());
    let started = Instant::now();
    for n in 0..400 {
        notifier.notify(&say(&format!("n{n}")));
    }
    let down = Message {
        moment: Moment::LedgerDown,
        ..say("the ledger is down")
    };
    notifier.notify(&down);
    assert!(
        started.elapsed() < Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    let health = notifier.health();
    let h = health.lock().unwrap().clone();
    // Each queue holds 256 and its task holds one: the rest of the 400 are counted, and
    // the ledger's health goes to the organizer's hook only.
    assert!(h[0].dropped >= 400 - 257, "{h:?}");
    assert_eq!(h[1].dropped, h[0].dropped + 1, "{h:?}");
}
