//! One exchange with a team server over an HTTP/1.1 connection, plain or TLS (the request
//! written, the answer framed by [`crate::http1`]), classified into an
//! [`Outcome`]. Nothing a server sends is an error here: it is an outcome.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::address::{Resolver, addresses};
use crate::http1::{
    Chunked, Framing, Head, HeadError, HeadMemo, Parsed, Progress, Request, parse_head,
};
use crate::target::{Base, TargetLimits};
use crate::tls::{Stream, handshake, session_failure};
use crate::{Outcome, TlsFailure};
use loadgen_outcome::SAMPLE_BYTES;

/// Bytes of response head buffered at most (past it, or past the target's header count,
/// the answer is `too_large`).
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// A connection's read buffer to begin with (it grows for a longer answer); one kept past an
/// answer is cut back to it. A team's answer is a few hundred bytes: at 4 KiB, the
/// buffers of a 1,000-team game's idle connections were 80 MiB.
const READ_BUFFER: usize = 1024;

/// An open connection to one base of a target. Dropping it closes the socket.
pub(crate) struct Conn<I = Stream> {
    io: I,
    /// What the server has sent of the answer being read.
    buf: Vec<u8>,
    /// It has carried an answer before (so a close before any byte may be the server's
    /// idle timeout, not the team's fault).
    reused: bool,
    /// The head of its last answer.
    memo: HeadMemo,
}

impl<I> Conn<I> {
    fn new(io: I) -> Conn<I> {
        Conn {
            io,
            buf: Vec::with_capacity(READ_BUFFER),
            reused: false,
            memo: HeadMemo::default(),
        }
    }
}

/// What makes an answer right.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Expect<'a> {
    /// A 2xx whose body, trailing whitespace trimmed, is these bytes (a key's answer).
    Body(&'a [u8]),
    /// Status 200, whatever the body (a health check).
    Ok200,
}

/// Sends `request` (the request for the key whose answer is `expected`) on
/// `pooled` if given, else on a new connection, within the target's connect timeout and
/// caps. Returns the outcome and the connection when it can be used again. The total
/// timeout is the caller's: the engine loop expires requests past their deadline
/// (`crate::deadline`), with no timer a request.
pub(crate) async fn exchange(
    pooled: Option<Conn>,
    base: &Base,
    request: Request<'_>,
    limits: &TargetLimits,
    resolver: &Resolver,
    expected: Expect<'_>,
) -> (Outcome, Option<Conn>) {
    // A new connection and the retry are boxed futures: the connect future holds a TLS
    // handshake's state, and each path its own connection and answer, which would
    // otherwise make every request's future 2 KiB (copied as it is started), not 0.4.
    let Some(mut conn) = pooled else {
        return Box::pin(fresh(base, request, limits, resolver, expected)).await;
    };
    match answer(&mut conn, request, limits, expected).await {
        // A keep-alive connection closed by the server just as we reused it: retry once
        // on a fresh one, as browsers and proxies do.
        Err(Failure::ClosedBeforeAnswer) => {
            Box::pin(fresh(base, request, limits, resolver, expected)).await
        }
        other => settle(other, conn),
    }
}

/// [`exchange`] on a new connection.
async fn fresh(
    base: &Base,
    request: Request<'_>,
    limits: &TargetLimits,
    resolver: &Resolver,
    expected: Expect<'_>,
) -> (Outcome, Option<Conn>) {
    let mut conn = match connect(base, limits, resolver).await {
        Ok(conn) => conn,
        Err(outcome) => return (outcome, None),
    };
    let answered = answer(&mut conn, request, limits, expected).await;
    settle(answered, conn)
}

/// An exchange's outcome, and its connection if it can carry another.
fn settle<I>(answered: Result<Answered, Failure>, conn: Conn<I>) -> (Outcome, Option<Conn<I>>) {
    match answered {
        Ok(answered) => answered.keep(conn),
        Err(failure) => (failure.into_outcome(), None),
    }
}

/// An answer's outcome, and whether its connection can carry another.
struct Answered {
    outcome: Outcome,
    reusable: bool,
}

impl Answered {
    fn keep<I>(self, mut conn: Conn<I>) -> (Outcome, Option<Conn<I>>) {
        if !self.reusable {
            return (self.outcome, None);
        }
        conn.reused = true;
        conn.buf.clear();
        if conn.buf.capacity() > 4 * READ_BUFFER {
            conn.buf = Vec::with_capacity(READ_BUFFER);
        }
        (self.outcome, Some(conn))
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

    fn reset(detail: String) -> Failure {
        Failure::Outcome(Outcome::Reset { detail })
    }

    /// A read or write that failed while `doing`: a TLS outcome when TLS says why (a fatal
    /// alert, such as a client certificate demanded after the handshake), else a reset.
    fn broken(error: &io::Error, doing: &str) -> Failure {
        match session_failure(error) {
            Some(tls) => Failure::Outcome(tls),
            None => Failure::reset(format!("{doing}: {error}")),
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
/// connect timeout; then, for `https`, the TLS handshake within a connect timeout of its own
/// (the session of an earlier connection resumed when the server allows).
async fn connect(base: &Base, limits: &TargetLimits, resolver: &Resolver) -> Result<Conn, Outcome> {
    let open = async {
        let addrs = addresses(resolver, limits.addresses, &base.authority).await?;
        TcpStream::connect(&addrs[..])
            .await
            .map_err(|e| Outcome::ConnectRefused {
                detail: match e.kind() {
                    io::ErrorKind::ConnectionRefused => {
                        format!("nothing listens on {}", base.authority)
                    }
                    _ => format!("{}: {e}", base.authority),
                },
            })
    };
    let stream = match tokio::time::timeout(limits.connect_timeout, open).await {
        Err(_) => return Err(Outcome::ConnectTimeout),
        Ok(result) => result?,
    };
    let _ = stream.set_nodelay(true);
    let stream = match &base.tls {
        None => Stream::Plain(stream),
        Some(tls) => handshake(stream, tls, limits.connect_timeout).await?,
    };
    Ok(Conn::new(stream))
}

/// Writes `request` and reads its answer on `conn`.
async fn answer<I: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Conn<I>,
    request: Request<'_>,
    limits: &TargetLimits,
    expected: Expect<'_>,
) -> Result<Answered, Failure> {
    // The request is made in the buffer the answer is read into (empty until then), and
    // written at once. The flush sends what TLS still holds (nothing, on a plain socket).
    for part in request {
        conn.buf.extend_from_slice(part);
    }
    let sent = match conn.io.write_all(&conn.buf).await {
        Ok(()) => conn.io.flush().await,
        Err(e) => Err(e),
    };
    conn.buf.clear();
    if let Err(e) = sent {
        return Err(match conn.reused {
            true => Failure::ClosedBeforeAnswer,
            false => Failure::broken(&e, "error sending the request"),
        });
    }
    let head = read_head(conn, limits.max_headers).await?;
    let body = read_body(conn, &head, limits.body_cap).await?;
    let success = match expected {
        Expect::Body(_) => (200..300).contains(&head.status),
        Expect::Ok200 => head.status == 200,
    };
    let outcome = match (&body, success) {
        (Body::TooLarge, true) => Outcome::TooLarge,
        (_, false) if head.status == 400 && says_https_port(&conn.buf) => Outcome::Tls {
            failure: TlsFailure::PlainHttpOnTlsPort,
            detail: "the server says a plain HTTP request came to its HTTPS port: \
                     register an https:// URL"
                .to_owned(),
        },
        (_, false) => Outcome::HttpStatus(head.status),
        (Body::Read { range, .. }, true) => verify(&conn.buf[range.clone()], expected),
        (Body::Decoded { body, .. }, true) => verify(body, expected),
    };
    // No pipelining: bytes past the answer mean the server and we disagree on framing.
    let reusable = match body {
        Body::Read { range, whole } => head.keep_alive && range.end == whole,
        Body::Decoded { clean, .. } => head.keep_alive && clean,
        Body::TooLarge => false,
    };
    Ok(Answered { outcome, reusable })
}

/// A successful answer is right when its body, trailing whitespace trimmed, is the expected
/// bytes (any body, for a health check).
fn verify(body: &[u8], expected: Expect<'_>) -> Outcome {
    match expected {
        Expect::Body(expected) if body.trim_ascii_end() != expected => Outcome::WrongAnswer {
            got: body[..body.len().min(SAMPLE_BYTES)].to_vec(),
        },
        _ => Outcome::Correct,
    }
}

/// Reads more of the answer into the connection's buffer; 0 means the server closed it.
async fn fill<I: AsyncRead + Unpin>(conn: &mut Conn<I>) -> io::Result<usize> {
    if conn.buf.capacity() - conn.buf.len() < READ_BUFFER / 4 {
        conn.buf.reserve(conn.buf.capacity().max(READ_BUFFER));
    }
    conn.io.read_buf(&mut conn.buf).await
}

/// Reads the answer's head, skipping interim answers; the buffer then starts with it.
async fn read_head<I: AsyncRead + Unpin>(
    conn: &mut Conn<I>,
    max_headers: usize,
) -> Result<Head, Failure> {
    loop {
        // An empty buffer (a request just sent) has nothing to parse yet.
        let parsed = match conn.buf.is_empty() {
            true => Ok(Parsed::Partial),
            false => match conn.memo.recall(&conn.buf) {
                Some(head) => return Ok(head),
                None => parse_head(&conn.buf, max_headers),
            },
        };
        match parsed {
            Ok(Parsed::Head(head)) => {
                conn.memo.remember(&conn.buf, head);
                return Ok(head);
            }
            Ok(Parsed::Interim(len)) => {
                conn.buf.drain(..len);
                continue;
            }
            Ok(Parsed::Partial) if conn.buf.len() >= MAX_HEAD_BYTES => {
                return Err(Outcome::TooLarge.into());
            }
            Ok(Parsed::Partial) => {}
            Err(HeadError::TooLarge) => return Err(Outcome::TooLarge.into()),
            Err(HeadError::Malformed(detail)) => return Err(not_http(&conn.buf, detail).into()),
        }
        let nothing_yet = conn.buf.is_empty();
        match fill(conn).await {
            Ok(0) | Err(_) if nothing_yet && conn.reused => {
                return Err(Failure::ClosedBeforeAnswer);
            }
            Ok(0) if nothing_yet => return Err(Failure::ClosedBeforeAnswer),
            Ok(0) => {
                return Err(Failure::reset(
                    "connection closed in the middle of the answer's head".to_owned(),
                ));
            }
            Err(e) => return Err(Failure::broken(&e, "error reading the answer")),
            Ok(_) => {}
        }
    }
}

/// A malformed answer; one that begins with a TLS record says so: the port speaks HTTPS.
fn not_http(buf: &[u8], detail: String) -> Outcome {
    match buf.first() {
        // 0x15 is a TLS alert record, 0x16 a handshake record.
        Some(0x15 | 0x16) => Outcome::Tls {
            failure: TlsFailure::PlainHttpOnTlsPort,
            detail: "the answer is TLS, not plain HTTP: this port serves HTTPS, register an \
                     https:// URL"
                .to_owned(),
        },
        _ => Outcome::Malformed { detail },
    }
}

/// Whether a 400 answer is a TLS terminator's "plain HTTP request sent to HTTPS port"
/// (nginx's words; others say much the same).
fn says_https_port(answer: &[u8]) -> bool {
    let answer = &answer[..answer.len().min(MAX_HEAD_BYTES)];
    answer
        .windows(10)
        .any(|w| w.eq_ignore_ascii_case(b"HTTPS port"))
}

/// A body, read up to the cap.
enum Body {
    /// In the connection's buffer at `range`; the buffer holds `whole` bytes.
    Read {
        range: std::ops::Range<usize>,
        whole: usize,
    },
    /// Decoded from chunks; `clean` if nothing followed the last one.
    Decoded {
        body: Vec<u8>,
        clean: bool,
    },
    TooLarge,
}

async fn read_body<I: AsyncRead + Unpin>(
    conn: &mut Conn<I>,
    head: &Head,
    cap: usize,
) -> Result<Body, Failure> {
    let start = head.len;
    let closed = |got: usize, of: &str| {
        Failure::reset(format!(
            "connection closed after {got}{of} bytes of the body"
        ))
    };
    let failed = |e: io::Error| Failure::broken(&e, "error reading the body");
    match head.framing {
        Framing::Length(n) if n > cap as u64 => Ok(Body::TooLarge),
        Framing::Length(n) => {
            let end = start + n as usize;
            while conn.buf.len() < end {
                match fill(conn).await {
                    Ok(0) => return Err(closed(conn.buf.len() - start, &format!(" of {n}"))),
                    Ok(_) => {}
                    Err(e) => return Err(failed(e)),
                }
            }
            Ok(Body::Read {
                range: start..end,
                whole: conn.buf.len(),
            })
        }
        Framing::UntilClose => loop {
            if conn.buf.len() - start > cap {
                return Ok(Body::TooLarge);
            }
            match fill(conn).await {
                Ok(0) => {
                    return Ok(Body::Read {
                        range: start..conn.buf.len(),
                        whole: conn.buf.len(),
                    });
                }
                Ok(_) => {}
                Err(e) => return Err(failed(e)),
            }
        },
        Framing::Chunked => {
            conn.buf.drain(..start);
            let mut chunked = Chunked::default();
            loop {
                let (used, progress) = chunked
                    .step(&conn.buf, cap)
                    .map_err(|detail| Outcome::Malformed { detail })?;
                conn.buf.drain(..used);
                match progress {
                    Progress::Done => {
                        let clean = conn.buf.is_empty();
                        return Ok(Body::Decoded {
                            body: chunked.body,
                            clean,
                        });
                    }
                    Progress::TooLarge => return Ok(Body::TooLarge),
                    Progress::NeedMore if conn.buf.len() > MAX_HEAD_BYTES + cap => {
                        return Ok(Body::TooLarge);
                    }
                    Progress::NeedMore => {}
                }
                match fill(conn).await {
                    Ok(0) => return Err(closed(chunked.body.len(), " (chunked)")),
                    Ok(_) => {}
                    Err(e) => return Err(failed(e)),
                }
            }
        }
    }
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
        let limits = crate::TargetLimits {
            body_cap,
            ..crate::TargetLimits::default()
        };
        let mut conn = Conn::new(ours);
        let requests = crate::http1::Requests::new("team.example", "/calc?input=", "");
        let request = requests.get("3615-7184-2117");
        let outcome = match answer(&mut conn, request, &limits, Expect::Body(expected)).await {
            Ok(answered) => answered.outcome,
            Err(failure) => failure.into_outcome(),
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
            let Outcome::Tls { failure, detail } = tls else {
                panic!("{tls:?}")
            };
            assert_eq!(failure, TlsFailure::PlainHttpOnTlsPort);
            assert!(detail.contains("this port serves HTTPS"), "{detail}");
            let nginx = outcome(
                b"HTTP/1.1 400 Bad Request\r\ncontent-length: 59\r\n\r\n\
                  The plain HTTP request was sent to HTTPS port\r\n\r\n\r\n\r\n\r\n\r\n\r\n",
            )
            .await;
            assert!(
                matches!(
                    nginx,
                    Outcome::Tls {
                        failure: TlsFailure::PlainHttpOnTlsPort,
                        ..
                    }
                ),
                "{nginx:?}"
            );
            assert_eq!(
                outcome(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n").await,
                Outcome::HttpStatus(400)
            );
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
