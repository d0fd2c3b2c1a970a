//! Live streams every viewer shares (the board, the admin's status): each published snapshot
//! is rendered once into an SSE message, and every viewer sends the same bytes.
//!
//! One task per stream kind follows the snapshots while anyone watches and keeps the latest
//! message in a `watch`; a viewer clones its `Bytes` (a reference count, not a copy of the
//! JSON). A slow viewer skips to the latest message instead of queueing every update. The
//! first viewer of a kind starts its task; the task ends when the last one leaves.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use tokio::sync::watch;

use super::state::WebState;
use super::stream::{KEEP_ALIVE, next_snapshot};
use crate::live::Snapshot;

/// Draws one SSE message (`event: …\ndata: …\n\n`) from a snapshot (and what the web
/// keeps beside it, such as the webhooks' health the admin stream carries).
pub(crate) type Render = Arc<dyn Fn(&Snapshot) -> Bytes + Send + Sync>;

/// What an idle stream sends every [`KEEP_ALIVE`], so proxies keep it open.
const KEEP_ALIVE_COMMENT: &[u8] = b": keep-alive\n\n";

/// The shared streams of one server, by kind (`board`, `status`).
#[derive(Default)]
pub(crate) struct SharedFrames {
    kinds: Mutex<HashMap<&'static str, Arc<watch::Sender<Bytes>>>>,
}

impl std::fmt::Debug for SharedFrames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedFrames").finish_non_exhaustive()
    }
}

/// One rendering per snapshot for plain requests (`/api/board`, a team's newest events):
/// the latest snapshot's renderings are kept by key (`()` for the board, a team's id for its
/// page), and every request until the next snapshot gets the same bytes. A new snapshot
/// forgets the old renderings, so the cache holds at most one per key.
pub(crate) struct Rendered<K = (), T = Bytes>(Mutex<Option<Renderings<K, T>>>);

/// The snapshot drawn, and what was drawn of it by key.
type Renderings<K, T> = (Arc<Snapshot>, HashMap<K, T>);

impl<K, T> Default for Rendered<K, T> {
    fn default() -> Self {
        Rendered(Mutex::new(None))
    }
}

impl<K, T> std::fmt::Debug for Rendered<K, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendered").finish_non_exhaustive()
    }
}

impl<K: Eq + std::hash::Hash, T: Clone> Rendered<K, T> {
    /// What `render` draws of `snapshot` for `key`, drawn only if not drawn yet for this
    /// snapshot.
    pub(crate) fn get(
        &self,
        snapshot: &Arc<Snapshot>,
        key: K,
        render: impl FnOnce(&Snapshot) -> T,
    ) -> T {
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !matches!(&*kept, Some((seen, _)) if Arc::ptr_eq(seen, snapshot)) {
            *kept = Some((snapshot.clone(), HashMap::new()));
        }
        let Some((_, renderings)) = &mut *kept else {
            unreachable!("set just above")
        };
        if let Some(kept) = renderings.get(&key) {
            return kept.clone();
        }
        let drawn = render(snapshot);
        renderings.insert(key, drawn.clone());
        drawn
    }
}

/// `body` as an SSE message of type `kind`: JSON on one `data` line.
pub(crate) fn json_frame(kind: &str, body: &impl serde::Serialize) -> Bytes {
    let json = serde_json::to_vec(body).unwrap_or_else(|_| b"\"unencodable\"".to_vec());
    let mut frame = Vec::with_capacity(json.len() + kind.len() + 16);
    frame.extend_from_slice(b"event: ");
    frame.extend_from_slice(kind.as_bytes());
    frame.extend_from_slice(b"\ndata: ");
    frame.extend_from_slice(&json);
    frame.extend_from_slice(b"\n\n");
    Bytes::from(frame)
}

/// What the web draws once per snapshot for every viewer.
#[derive(Clone, Default)]
pub(crate) struct Drawn {
    /// The board and admin streams' messages.
    pub frames: Arc<SharedFrames>,
    /// `/api/board`'s JSON.
    pub board_json: Arc<Rendered>,
    /// Each team's newest page of events as `/api/team/events` gives it (`None`: the
    /// ledger must answer).
    pub team_pages: Arc<Rendered<String, Option<Bytes>>>,
}

/// The latest `kind` message, the current one marked unread; starts the kind's renderer if
/// nobody watched it.
fn subscribe(state: &WebState, kind: &'static str, render: Render) -> watch::Receiver<Bytes> {
    let frames = &state.drawn.frames;
    let mut kinds = frames.kinds.lock().unwrap_or_else(PoisonError::into_inner);
    let mut latest = match kinds.get(kind) {
        Some(sender) => sender.subscribe(),
        None => {
            let mut snapshot = state.view.snapshot.clone();
            let first = render(&snapshot.borrow_and_update());
            let (sender, latest) = watch::channel(first);
            let sender = Arc::new(sender);
            kinds.insert(kind, sender.clone());
            let closing = state.closing.subscribe();
            tokio::spawn(follow(
                state.drawn.frames.clone(),
                kind,
                sender,
                snapshot,
                closing,
                render,
            ));
            latest
        }
    };
    latest.mark_changed();
    latest
}

/// Renders each new snapshot into `sender` while anyone watches; ends when the last viewer
/// leaves (and forgets the kind, so the next viewer starts afresh) or the server closes.
async fn follow(
    frames: Arc<SharedFrames>,
    kind: &'static str,
    sender: Arc<watch::Sender<Bytes>>,
    mut snapshot: watch::Receiver<Arc<Snapshot>>,
    mut closing: watch::Receiver<bool>,
    render: Render,
) {
    loop {
        tokio::select! {
            latest = next_snapshot(&mut snapshot, &mut closing) => match latest {
                Some(latest) => {
                    sender.send_replace(render(&latest));
                }
                None => return,
            },
            () = sender.closed() => {
                // A viewer subscribes under this lock, so none can arrive in between.
                let mut kinds = frames.kinds.lock().unwrap_or_else(PoisonError::into_inner);
                if sender.receiver_count() == 0 {
                    kinds.remove(kind);
                    return;
                }
            }
        }
    }
}

/// A viewer: the current message first, then the latest after each change; a keep-alive
/// comment when nothing came for a while; the end when the server closes.
struct Viewer {
    latest: watch::Receiver<Bytes>,
    closing: watch::Receiver<bool>,
}

impl Viewer {
    async fn next(&mut self) -> Option<Bytes> {
        let changed = tokio::select! {
            _ = self.closing.wait_for(|c| *c) => return None,
            changed = self.latest.changed() => changed,
            () = tokio::time::sleep(KEEP_ALIVE) => {
                return Some(Bytes::from_static(KEEP_ALIVE_COMMENT));
            }
        };
        match changed {
            Ok(()) => Some(self.latest.borrow_and_update().clone()),
            // The renderer is gone only once the server closes.
            Err(_) => {
                let _ = self.closing.wait_for(|c| *c).await;
                None
            }
        }
    }
}

/// The shared `kind` stream as a server-sent-event response.
pub(crate) fn shared(
    state: &WebState,
    kind: &'static str,
    render: impl Fn(&Snapshot) -> Bytes + Send + Sync + 'static,
) -> Response {
    let viewer = Viewer {
        latest: subscribe(state, kind, Arc::new(render)),
        closing: state.closing.subscribe(),
    };
    let frames = stream::unfold(viewer, |mut viewer| async move {
        let frame = viewer.next().await?;
        Some((Ok::<_, Infallible>(frame), viewer))
    });
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(frames),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::LivePublisher;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    static RENDERS: AtomicUsize = AtomicUsize::new(0);

    /// A render that counts itself and says which game time it drew.
    fn counted(s: &Snapshot) -> Bytes {
        RENDERS.fetch_add(1, Ordering::SeqCst);
        Bytes::from(format!("event: t\ndata: {}\n\n", s.now.0))
    }

    fn state(publisher: &LivePublisher) -> WebState {
        WebState::new(
            publisher.view(),
            std::path::Path::new("unused.db"),
            Arc::new(|_: &str, _: &str| Ok(())),
        )
    }

    fn at(ms: u64) -> Snapshot {
        Snapshot {
            now: scoreboard_domain::GameTime(ms),
            ..Default::default()
        }
    }

    async fn next(viewer: &mut Viewer) -> Bytes {
        tokio::time::timeout(Duration::from_secs(5), viewer.next())
            .await
            .expect("no frame came")
            .expect("the stream ended")
    }

    fn viewer(state: &WebState) -> Viewer {
        Viewer {
            latest: subscribe(state, "t", Arc::new(counted)),
            closing: state.closing.subscribe(),
        }
    }

    #[tokio::test]
    async fn each_snapshot_is_rendered_once_for_every_viewer_and_a_slow_one_skips_ahead() {
        let publisher = LivePublisher::new(at(0));
        let state = state(&publisher);
        let mut viewers: Vec<Viewer> = (0..50).map(|_| viewer(&state)).collect();
        let mut slow = viewer(&state);
        assert_eq!(next(&mut slow).await, "event: t\ndata: 0\n\n");
        for ms in 1..=10 {
            publisher.publish(at(ms * 1000));
            let mut frames = Vec::new();
            for v in &mut viewers {
                // The current message comes first; skip to this snapshot's.
                let mut frame = next(v).await;
                while !frame.ends_with(format!(" {}\n\n", ms * 1000).as_bytes()) {
                    frame = next(v).await;
                }
                frames.push(frame);
            }
            // Every viewer holds the very same bytes, not a copy.
            assert!(frames.iter().all(|f| f.as_ptr() == frames[0].as_ptr()));
        }
        // The first render, then one per snapshot: not one per viewer.
        assert_eq!(RENDERS.load(Ordering::SeqCst), 11);
        // The slow viewer read nothing meanwhile: it gets the latest board, then waits.
        assert_eq!(next(&mut slow).await, "event: t\ndata: 10000\n\n");
        let nothing = tokio::time::timeout(Duration::from_millis(100), slow.next()).await;
        assert!(nothing.is_err(), "a backlog: {nothing:?}");

        // When the server closes, every stream ends.
        state.close_streams();
        assert_eq!(slow.next().await, None);
    }

    #[test]
    fn a_frame_is_one_sse_message() {
        let frame = json_frame("board", &serde_json::json!({"a": "x\ny"}));
        assert_eq!(frame, "event: board\ndata: {\"a\":\"x\\ny\"}\n\n");
    }
}
