//! Sending, off the game loop: one task and one bounded queue per hook, each message posted
//! in order and retried with backoff for a bounded time, each hook's health kept for the
//! admin page. Nothing here can make the game wait: a full queue drops the message (and
//! counts it), a receiver that hangs times out.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::mpsc;

use super::{Audience, Health, Hook, HookHealth, Message, Watcher, body};
use crate::live::LiveView;

/// Messages a hook may have waiting; past it new ones are dropped (and counted).
const QUEUE: usize = 256;

/// How long to keep trying one message, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry {
    /// One attempt's limit: a receiver that hangs fails after it.
    pub attempt: Duration,
    /// The first wait after a failure; each next one doubles, up to `longest`.
    pub first: Duration,
    pub longest: Duration,
    /// A message still failing this long after its first attempt is given up.
    pub give_up_after: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempt: Duration::from_secs(5),
            first: Duration::from_secs(1),
            longest: Duration::from_secs(30),
            give_up_after: Duration::from_secs(120),
        }
    }
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The hooks' senders. Cheap to clone; dropping the last clone ends the tasks once their
/// queues are empty.
#[derive(Clone, Debug)]
pub struct Notifier {
    queues: Vec<(Audience, mpsc::Sender<Message>)>,
    health: Health,
}

impl Notifier {
    /// Starts one sending task per hook on the current tokio runtime.
    pub fn start(hooks: Vec<Hook>, retry: Retry) -> Notifier {
        let client = client();
        let health: Health = Arc::new(Mutex::new(
            hooks
                .iter()
                .map(|h| HookHealth {
                    label: h.label(),
                    ..HookHealth::default()
                })
                .collect(),
        ));
        let queues = hooks
            .into_iter()
            .enumerate()
            .map(|(index, hook)| {
                let (tx, rx) = mpsc::channel(QUEUE);
                let sender = Sender {
                    hook: hook.clone(),
                    client: client.clone(),
                    health: Arc::clone(&health),
                    index,
                    retry,
                };
                tokio::spawn(sender.run(rx));
                (hook.audience, tx)
            })
            .collect();
        Notifier { queues, health }
    }

    /// Queues `m` for every hook whose audience hears it. Never waits.
    pub fn notify(&self, m: &Message) {
        for (index, (audience, queue)) in self.queues.iter().enumerate() {
            if m.moment.organizer_only() && *audience != Audience::Organizer {
                continue;
            }
            match queue.try_send(m.clone()) {
                Ok(()) => update(&self.health, index, |h| h.pending += 1),
                Err(_) => update(&self.health, index, |h| h.dropped += 1),
            }
        }
    }

    /// Waits until every queued message is sent or given up, or `limit` has passed (the
    /// end of a game: its last words go out, and a dead receiver costs at most `limit`).
    pub async fn drain(&self, limit: Duration) {
        let start = Instant::now();
        let pending = || {
            let all = self.health.lock().unwrap_or_else(|e| e.into_inner());
            all.iter().any(|h| h.pending > 0)
        };
        while pending() && start.elapsed() < limit {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Each hook's health now.
    pub fn health(&self) -> Health {
        Arc::clone(&self.health)
    }

    /// Tells the hooks what each new snapshot of `view` changed, until the game is over
    /// (its end told) or the publisher is gone.
    pub fn follow(&self, mut view: LiveView) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut watcher = Watcher::default();
            loop {
                let snapshot = view.snapshot.borrow_and_update().clone();
                for m in watcher.look(&snapshot) {
                    this.notify(&m);
                }
                if snapshot.over || view.snapshot.changed().await.is_err() {
                    break;
                }
            }
        })
    }
}

/// One hook's task.
struct Sender {
    hook: Hook,
    client: HttpsClient,
    health: Health,
    index: usize,
    retry: Retry,
}

impl Sender {
    async fn run(self, mut queue: mpsc::Receiver<Message>) {
        while let Some(m) = queue.recv().await {
            let payload = Bytes::from(body(self.hook.kind, &m));
            let first = Instant::now();
            let mut wait = self.retry.first;
            loop {
                match self.post(payload.clone()).await {
                    Ok(()) => {
                        update(&self.health, self.index, |h| {
                            h.sent += 1;
                            h.pending -= 1;
                            h.failing_since_unix_ms = None;
                        });
                        break;
                    }
                    Err(why) => {
                        update(&self.health, self.index, |h| {
                            h.failing_since_unix_ms.get_or_insert_with(unix_ms);
                            h.last_error = Some(why);
                        });
                        if first.elapsed() + wait > self.retry.give_up_after {
                            update(&self.health, self.index, |h| {
                                h.given_up += 1;
                                h.pending -= 1;
                            });
                            break;
                        }
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(self.retry.longest);
                    }
                }
            }
        }
    }

    /// One attempt: a 2xx answer within the attempt's limit, or why not (never the URL).
    async fn post(&self, payload: Bytes) -> Result<(), String> {
        let request = http::Request::post(&self.hook.url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::USER_AGENT, "gameday")
            .body(Full::new(payload))
            .map_err(|_| "the URL is not a valid http(s) URL".to_owned())?;
        let answer = tokio::time::timeout(self.retry.attempt, self.client.request(request))
            .await
            .map_err(|_| format!("no answer within {:?}", self.retry.attempt))?
            .map_err(|e| chain(&e))?;
        let status = answer.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("answered {status}"))
        }
    }
}

/// An HTTP client for http and https hooks, trusting the system's roots, with ring (the
/// provider the rest of the workspace uses).
fn client() -> HttpsClient {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring speaks TLS 1.2 and 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .build();
    Client::builder(TokioExecutor::new()).build(https)
}

fn update(health: &Health, index: usize, change: impl FnOnce(&mut HookHealth)) {
    let mut all = health.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(h) = all.get_mut(index) {
        change(h);
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// An error with its causes: `client error (Connect): tcp connect error: Connection refused`.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
