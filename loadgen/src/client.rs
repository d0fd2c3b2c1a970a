//! One exchange with a team server over hyper's HTTP/1 connection API, classified into an
//! [`Outcome`]. Nothing a server sends is an error here: it is an outcome.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper::header::HOST;
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use crate::address::{Resolver, addresses};
use crate::batch::SAMPLE_BYTES;
use crate::outcome::Outcome;
use crate::target::{Base, TargetLimits};

/// Bytes of response head buffered at most (past it, or past the target's header count,
/// the answer is `too_large`).
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// An open connection to one base of a target. Dropping it closes the socket.
pub(crate) struct Conn {
    sender: http1::SendRequest<Empty<Bytes>>,
    driver: JoinHandle<()>,
    /// The first byte the server sent, once it has sent one (to tell TLS from garbage).
    first: Arc<AtomicU16>,
}

/// No byte read yet.
const NOTHING_YET: u16 = u16::MAX;

impl Conn {
    /// A malformed answer that began with a TLS record says so: the port speaks HTTPS.
    fn explain(&self, outcome: Outcome) -> Outcome {
        let first = self.first.load(Ordering::Relaxed);
        match outcome {
            // 0x15 is a TLS alert record, 0x16 a handshake record.
            Outcome::Malformed { .. } if first == 0x15 || first == 0x16 => Outcome::Malformed {
                detail: "the answer is TLS, not plain HTTP: this port serves HTTPS".to_owned(),
            },
            other => other,
        }
    }
}

/// A connection's reads, with the first byte kept.
struct Sniffed<I> {
    io: I,
    first: Arc<AtomicU16>,
}

impl<I: AsyncRead + Unpin> AsyncRead for Sniffed<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        // Only the connection's task writes it: a plain load, and one store, suffice (no
        // read-modify-write on every read of a long-lived connection).
        if self.first.load(Ordering::Relaxed) == NOTHING_YET
            && let Some(&b) = buf.filled().get(before)
        {
            self.first.store(b.into(), Ordering::Relaxed);
        }
        polled
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Sniffed<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// Sends one request for the key whose request target is `uri`, on `pooled` if given
/// (else on a new connection), within the target's limits. Returns the outcome and the
/// connection when it can be used again.
pub(crate) async fn exchange(
    pooled: Option<Conn>,
    base: &Base,
    uri: &Uri,
    limits: &TargetLimits,
    resolver: &Resolver,
    expected: &[u8],
) -> (Outcome, Option<Conn>) {
    let work = async {
        // A pooled connection the server has since closed is not the team's fault.
        let pooled = pooled.filter(|c| !c.sender.is_closed());
        let reused = pooled.is_some();
        let conn = match pooled {
            Some(conn) => conn,
            None => connect(base, limits, resolver).await?,
        };
        match request(conn, base, uri, limits.body_cap, expected).await {
            // A keep-alive connection closed by the server just as we reused it: retry
            // once on a fresh one, as browsers and proxies do.
            Err(Failure::ClosedBeforeAnswer) if reused => {
                let conn = connect(base, limits, resolver).await?;
                request(conn, base, uri, limits.body_cap, expected)
                    .await
                    .map_err(Failure::into_outcome)
            }
            other => other.map_err(Failure::into_outcome),
        }
    };
    match tokio::time::timeout(limits.timeout, work).await {
        Ok(Ok(done)) => done,
        Ok(Err(outcome)) => (outcome, None),
        Err(_) => (Outcome::Timeout, None),
    }
}

/// Why an exchange ended without an answer.
enum Failure {
    /// The connection closed before any of the answer came (retryable on a reused one).
    ClosedBeforeAnswer,
    Outcome(Outcome),
}

impl Failure {
    fn into_outcome(self) -> Outcome {
        match self {
            Failure::ClosedBeforeAnswer => Outcome::Reset {
                detail: "connection closed before any answer".to_owned(),
            },
            Failure::Outcome(o) => o,
        }
    }
}

impl From<Outcome> for Failure {
    fn from(o: Outcome) -> Failure {
        Failure::Outcome(o)
    }
}

/// Opens a connection to `base`: its name resolved now, every address checked against the
/// target's policy before any is tried (a rebinding name cannot slip past), all within the
/// connect timeout.
async fn connect(base: &Base, limits: &TargetLimits, resolver: &Resolver) -> Result<Conn, Outcome> {
    let open = async {
        let addrs = addresses(resolver, limits.addresses, &base.authority)
            .await
            .map_err(|detail| Outcome::ConnectRefused { detail })?;
        TcpStream::connect(&addrs[..])
            .await
            .map_err(|e| Outcome::ConnectRefused {
                detail: format!("{}: {e}", base.authority),
            })
    };
    let stream = match tokio::time::timeout(limits.connect_timeout, open).await {
        Err(_) => return Err(Outcome::ConnectTimeout),
        Ok(result) => result?,
    };
    let _ = stream.set_nodelay(true);
    handshake(stream, limits.max_headers).await
}

/// Speaks HTTP/1 over `io`, with the limits on a response's head.
async fn handshake<I>(io: I, max_headers: usize) -> Result<Conn, Outcome>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let first = Arc::new(AtomicU16::new(NOTHING_YET));
    let io = Sniffed {
        io,
        first: first.clone(),
    };
    let (sender, connection) = http1::Builder::new()
        .max_headers(max_headers)
        .max_buf_size(MAX_HEAD_BYTES)
        .handshake(TokioIo::new(io))
        .await
        .map_err(|e| classify(&e))?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(Conn {
        sender,
        driver,
        first,
    })
}

async fn request(
    mut conn: Conn,
    base: &Base,
    uri: &Uri,
    body_cap: usize,
    expected: &[u8],
) -> Result<(Outcome, Option<Conn>), Failure> {
    let request = Request::get(uri.clone())
        .header(HOST, base.host_header.clone())
        .body(Empty::new())
        .expect("prebuilt request parts are valid");
    if conn.sender.ready().await.is_err() {
        return Err(Failure::ClosedBeforeAnswer);
    }
    let response = match conn.sender.send_request(request).await {
        Ok(response) => response,
        Err(e) if e.is_canceled() || (e.is_incomplete_message() && !e.is_parse()) => {
            return Err(Failure::ClosedBeforeAnswer);
        }
        Err(e) => return Err(Failure::Outcome(conn.explain(classify(&e)))),
    };
    let status = response.status();
    let body = read_body(response.into_body(), body_cap).await?;
    let outcome = match (&body, status.is_success()) {
        (Body::TooLarge, true) => Outcome::TooLarge,
        (_, false) => Outcome::HttpStatus(status.as_u16()),
        (Body::Read(bytes), true) if bytes.trim_ascii_end() == expected => Outcome::Correct,
        (Body::Read(bytes), true) => Outcome::WrongAnswer {
            got: bytes[..bytes.len().min(SAMPLE_BYTES)].to_vec(),
        },
    };
    // A body left unread past the cap leaves the connection unusable.
    let reusable = matches!(body, Body::Read(_)) && !conn.sender.is_closed();
    Ok((outcome, reusable.then_some(conn)))
}

enum Body {
    Read(Bytes),
    TooLarge,
}

/// Reads a body up to `cap` bytes. The usual answer is one frame, kept without a copy.
async fn read_body(mut body: hyper::body::Incoming, cap: usize) -> Result<Body, Outcome> {
    let mut first: Option<Bytes> = None;
    let mut joined: Vec<u8> = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| classify(&e))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total += data.len();
        if total > cap {
            return Ok(Body::TooLarge);
        }
        match &first {
            None if joined.is_empty() => first = Some(data),
            _ => {
                if let Some(f) = first.take() {
                    joined.extend_from_slice(&f);
                }
                joined.extend_from_slice(&data);
            }
        }
    }
    Ok(Body::Read(first.unwrap_or_else(|| Bytes::from(joined))))
}

/// Turns a hyper error into the outcome a team can understand.
pub(crate) fn classify(e: &hyper::Error) -> Outcome {
    // A head past the header limits (too many headers, too many bytes) is too large.
    if e.is_parse_too_large() {
        return Outcome::TooLarge;
    }
    if e.is_parse() || e.is_parse_status() {
        return Outcome::Malformed {
            detail: e.to_string(),
        };
    }
    let detail = match std::error::Error::source(e) {
        Some(source) => format!("{e}: {source}"),
        None => e.to_string(),
    };
    Outcome::Reset { detail }
}

/// Entry points for the fuzz targets in `fuzz/` (the `fuzzing` feature): not an API.
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// The outcome of one request for a key whose answer is `expected`, answered with
    /// `response` (whatever bytes) over an in-memory connection, as the engine classifies it.
    pub async fn classify_response(response: &[u8], expected: &[u8], body_cap: usize) -> Outcome {
        let (ours, mut theirs) = tokio::io::duplex(64 * 1024);
        let response = response.to_vec();
        let server = tokio::spawn(async move {
            let mut request = [0u8; 4096];
            let _ = theirs.read(&mut request).await;
            let _ = theirs.write_all(&response).await;
            let _ = theirs.shutdown().await;
            // Held open until the client is done: closing is the response's end.
            let _ = theirs.read(&mut request).await;
        });
        let base = Base {
            authority: "team.example:80".into(),
            host_header: hyper::header::HeaderValue::from_static("team.example"),
            uris: vec![Uri::from_static("/calc?input=3615-7184-2117")],
        };
        let outcome = match handshake(ours, crate::TargetLimits::default().max_headers).await {
            Err(outcome) => outcome,
            Ok(conn) => match request(conn, &base, &base.uris[0], body_cap, expected).await {
                Ok((outcome, _)) => outcome,
                Err(failure) => failure.into_outcome(),
            },
        };
        server.abort();
        outcome
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        const ANSWER: &[u8] = b"rmtLqR0bAQHNAW7CNBVRNIDB2NSH34ZAANDGrHkJy1g=";

        async fn outcome(response: &[u8]) -> Outcome {
            classify_response(response, ANSWER, 4096).await
        }

        fn ok(body: &[u8]) -> Vec<u8> {
            let mut r =
                format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len()).into_bytes();
            r.extend_from_slice(body);
            r
        }

        #[tokio::test]
        async fn each_kind_of_answer_is_classified() {
            assert_eq!(outcome(&ok(ANSWER)).await, Outcome::Correct);
            assert_eq!(
                outcome(&ok(b"rmtLqR0bAQHNAW7CNBVRNIDB2NSH34ZAANDGrHkJy1g=\n")).await,
                Outcome::Correct
            );
            assert!(matches!(
                outcome(&ok(b"\xff\xfe not utf-8")).await,
                Outcome::WrongAnswer { .. }
            ));
            assert_eq!(
                outcome(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n").await,
                Outcome::HttpStatus(503)
            );
            assert_eq!(outcome(&ok(&[b'x'; 5000])).await, Outcome::TooLarge);
            assert!(matches!(
                outcome(b"SSH-2.0-OpenSSH_9.2\r\n").await,
                Outcome::Malformed { .. }
            ));
            let tls = outcome(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]).await;
            let Outcome::Malformed { detail } = tls else {
                panic!("{tls:?}")
            };
            assert!(detail.contains("this port serves HTTPS"), "{detail}");
            // A Content-Length that lies, then the connection closes.
            assert!(matches!(
                outcome(b"HTTP/1.1 200 OK\r\ncontent-length: 44\r\n\r\n0123456789").await,
                Outcome::Reset { .. }
            ));
            let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
            for i in 0..10_000 {
                many.extend_from_slice(format!("x-h{i}: v\r\n").as_bytes());
            }
            assert_eq!(outcome(&many).await, Outcome::TooLarge);
            assert!(matches!(outcome(b"").await, Outcome::Reset { .. }));
        }
    }
}
