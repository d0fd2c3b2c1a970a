//! v3's answer cache in memcached: a few pooled connections, reconnected after a failure.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_memcached::{AsciiProtocol, Client};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use crate::{Answer, HashParams, Key};

/// How long one memcached call (connect included) may take before it counts as unreachable.
const CALL_TIMEOUT: Duration = Duration::from_secs(1);
/// Connections kept open: enough that cache hits do not queue behind each other.
const POOL_SIZE: usize = 8;

/// Why the cache could not be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CacheError {
    #[error("memcached at {addr} is unreachable: {reason}")]
    Unreachable { addr: String, reason: String },
    #[error("memcached at {addr} timed out after {CALL_TIMEOUT:?}")]
    Timeout { addr: String },
}

pub(crate) struct AnswerCache {
    addr: String,
    prefix: String,
    slots: Vec<Mutex<Option<Client>>>,
    next: AtomicUsize,
}

impl AnswerCache {
    pub(crate) fn new(addr: String, params: &HashParams) -> AnswerCache {
        // Servers with other parameters may share one memcached: their keys must not meet.
        let salt: String = Sha256::digest(params.salt.as_bytes())[..4]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        AnswerCache {
            addr,
            prefix: format!("unicorn:{salt}:{}:", params.iterations),
            slots: (0..POOL_SIZE).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
        }
    }

    pub(crate) async fn get(&self, key: &Key) -> Result<Option<Answer>, CacheError> {
        let cache_key = format!("{}{key}", self.prefix);
        let value = self
            .call(|client| Box::pin(async move { client.get(cache_key).await }))
            .await?;
        Ok(value
            .and_then(|v| v.data)
            .and_then(|data| Answer::from_text(std::str::from_utf8(&data).ok()?)))
    }

    pub(crate) async fn set(&self, key: &Key, answer: &Answer) -> Result<(), CacheError> {
        let cache_key = format!("{}{key}", self.prefix);
        let value = answer.as_str().to_owned();
        self.call(|client| Box::pin(async move { client.set(cache_key, &value, None, None).await }))
            .await
    }

    /// Runs one call on a pooled connection, connecting first if needed; a failed
    /// connection is dropped so the next call reconnects.
    async fn call<T>(
        &self,
        op: impl for<'c> FnOnce(
            &'c mut Client,
        ) -> std::pin::Pin<
            Box<dyn Future<Output = Result<T, async_memcached::Error>> + Send + 'c>,
        >,
    ) -> Result<T, CacheError> {
        let slot = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        let mut conn = self.slots[slot].lock().await;
        let attempt = async {
            if conn.is_none() {
                *conn = Some(Client::new(format!("tcp://{}", self.addr)).await?);
            }
            op(conn.as_mut().expect("connected above")).await
        };
        let result = tokio::time::timeout(CALL_TIMEOUT, attempt).await;
        let failure = match result {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(e)) => CacheError::Unreachable {
                addr: self.addr.clone(),
                reason: e.to_string(),
            },
            Err(_) => CacheError::Timeout {
                addr: self.addr.clone(),
            },
        };
        *conn = None;
        Err(failure)
    }
}
