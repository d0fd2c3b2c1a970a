//! Webhooks against a real receiver on a real socket: one that fails, then hangs, then
//! recovers gets every message, in order; one that never recovers has its messages given
//! up after the bounded time; a stuck hook never makes the caller wait; the URL's secret is
//! never in what the admin page shows.
#![cfg(feature = "notify")]

#[path = "support/receiver.rs"]
mod receiver;

use std::time::{Duration, Instant};

use receiver::{Answer, receiver};

use scoreboard::notify::{Audience, Hook, HookKind, Message, Moment, Notifier, Retry};
use scoreboard_domain::GameTime;

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

    let texts = r.field("text");
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
