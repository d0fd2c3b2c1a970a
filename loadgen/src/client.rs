//! One exchange with a team server over hyper's HTTP/1 connection API, classified into an
//! [`Outcome`]. Nothing a server sends is an error here: it is an outcome.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper::header::HOST;
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use crate::address::{Resolver, addresses};
use crate::batch::SAMPLE_BYTES;
use crate::outcome::Outcome;
use crate::target::{Base, TargetLimits};

/// Headers a response may have; a server sending more is answering `too_large`.
const MAX_HEADERS: usize = 100;
/// Bytes of response head buffered at most.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// An open connection to one base of a target. Dropping it closes the socket.
pub(crate) struct Conn {
    sender: http1::SendRequest<Empty<Bytes>>,
    driver: JoinHandle<()>,
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
    let (sender, connection) = http1::Builder::new()
        .max_headers(MAX_HEADERS)
        .max_buf_size(MAX_HEAD_BYTES)
        .handshake(TokioIo::new(stream))
        .await
        .map_err(|e| classify(&e))?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(Conn { sender, driver })
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
    let response = conn.sender.send_request(request).await.map_err(|e| {
        if e.is_canceled() || (e.is_incomplete_message() && !e.is_parse()) {
            Failure::ClosedBeforeAnswer
        } else {
            Failure::Outcome(classify(&e))
        }
    })?;
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
    // A head past the header limits is a parse error too; its detail says so.
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
