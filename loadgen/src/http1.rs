//! HTTP/1.1 on the wire for the hot path: a key's request made from a few prebuilt parts, and a
//! response's head and body framed with httparse (hyper's own parser), without hyper's
//! per-request header maps, dispatch channel and connection task.

use std::mem::MaybeUninit;

/// A request as the parts it is written from, in order (copied into the connection's
/// buffer and written at once).
pub(crate) type Request<'a> = [&'a [u8]; 3];

/// Every request to one base, made as it goes out from the parts that do not change and the
/// key: nothing is kept a key (a 1,000-team game kept 69 KiB a team of prebuilt requests,
/// which differed only in their Host).
#[derive(Debug, Default)]
pub(crate) struct Requests {
    /// `GET ` and the request target up to the key.
    head: Box<str>,
    /// The request target after the key, the version, the Host and the blank line.
    tail: Box<str>,
}

impl Requests {
    /// The requests to `host` whose targets are `before`, a key, then `after`.
    pub(crate) fn new(host: &str, before: &str, after: &str) -> Requests {
        Requests {
            head: format!("GET {before}").into(),
            tail: format!("{after} HTTP/1.1\r\nHost: {host}\r\n\r\n").into(),
        }
    }

    /// The request for `key`.
    pub(crate) fn get<'a>(&'a self, key: &'a str) -> Request<'a> {
        [self.head.as_bytes(), key.as_bytes(), self.tail.as_bytes()]
    }
}

/// How a response's body ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    Length(u64),
    Chunked,
    /// No length: the body runs to the end of the connection.
    UntilClose,
}

/// A response's head, parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Head {
    /// Bytes of head, blank line included.
    pub(crate) len: usize,
    pub(crate) status: u16,
    pub(crate) framing: Framing,
    /// The server lets the connection be used again after this answer.
    pub(crate) keep_alive: bool,
}

/// What the bytes so far make of a head.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    Head(Head),
    /// More bytes are needed.
    Partial,
    /// An interim answer (`100 Continue`) of this many bytes, to skip.
    Interim(usize),
}

/// A head that cannot be an answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum HeadError {
    /// Past the target's header count.
    TooLarge,
    Malformed(String),
}

/// Headers parsed on the stack before falling back to a buffer of the target's limit.
const FEW_HEADERS: usize = 16;

/// Parses a response head at the start of `buf`, allowing at most `max_headers` headers.
pub(crate) fn parse_head(buf: &[u8], max_headers: usize) -> Result<Parsed, HeadError> {
    // Uninitialised slots: httparse writes the headers it finds (hyper does the same), so
    // no slot is zeroed that an answer does not use.
    let mut few = [const { MaybeUninit::uninit() }; FEW_HEADERS];
    match parse_with(buf, &mut few[..max_headers.min(FEW_HEADERS)]) {
        Err(httparse::Error::TooManyHeaders) if max_headers > FEW_HEADERS => {
            let mut many = Vec::with_capacity(max_headers);
            many.resize_with(max_headers, MaybeUninit::uninit);
            parse_with(buf, &mut many)
        }
        other => other,
    }
    .map_err(|e| match e {
        httparse::Error::TooManyHeaders => HeadError::TooLarge,
        e => HeadError::Malformed(format!("not an HTTP answer: {e}")),
    })?
}

fn parse_with<'b>(
    buf: &'b [u8],
    headers: &mut [MaybeUninit<httparse::Header<'b>>],
) -> Result<Result<Parsed, HeadError>, httparse::Error> {
    let mut response = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut response,
        buf,
        headers,
    )?;
    let len = match parsed {
        httparse::Status::Complete(len) => len,
        httparse::Status::Partial => return Ok(Ok(Parsed::Partial)),
    };
    let status = response.code.unwrap_or_default();
    match status {
        101 => {
            return Ok(Err(HeadError::Malformed(
                "101 Switching Protocols is not an answer".to_owned(),
            )));
        }
        100..=199 => return Ok(Ok(Parsed::Interim(len))),
        _ => {}
    }
    Ok(interpret(len, status, response.version, response.headers))
}

/// The framing and reuse a head's headers give.
fn interpret(
    len: usize,
    status: u16,
    version: Option<u8>,
    headers: &[httparse::Header<'_>],
) -> Result<Parsed, HeadError> {
    let malformed = |what: &str| Err(HeadError::Malformed(what.to_owned()));
    let mut length: Option<u64> = None;
    let mut coded: Option<bool> = None;
    // HTTP/1.0 closes unless it says otherwise; HTTP/1.1 keeps the connection.
    let mut close = version == Some(0);
    for h in headers {
        let name = h.name;
        if name.eq_ignore_ascii_case("content-length") {
            let value = std::str::from_utf8(h.value).unwrap_or("").trim();
            let Some(n) = value
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| value.parse::<u64>().ok())
                .flatten()
            else {
                return malformed("the Content-Length is not a number");
            };
            if length.is_some_and(|l| l != n) {
                return malformed("two different Content-Lengths");
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            let last = h.value.rsplit(|&b| b == b',').next().unwrap_or_default();
            coded = Some(last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if name.eq_ignore_ascii_case("connection") {
            for token in h.value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                if token.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if token.eq_ignore_ascii_case(b"keep-alive") {
                    close = false;
                }
            }
        }
    }
    let framing = match (status, coded, length) {
        (204 | 304, _, _) => Framing::Length(0),
        (_, Some(true), _) => Framing::Chunked,
        (_, Some(false), _) => Framing::UntilClose,
        (_, None, Some(n)) => Framing::Length(n),
        (_, None, None) => Framing::UntilClose,
    };
    Ok(Parsed::Head(Head {
        len,
        status,
        framing,
        keep_alive: !close && framing != Framing::UntilClose,
    }))
}

/// The last head a connection parsed, to recall when the next answer's head is the same
/// bytes (servers repeat their heads; nginx's change once a second, with its Date). The
/// same bytes parse to the same head, so recalling it is exact: it only saves the parse,
/// which was a third of the client's own instructions a request (callgrind).
#[derive(Debug, Default)]
pub(crate) struct HeadMemo {
    bytes: Vec<u8>,
    head: Option<Head>,
}

/// Heads longer than this are parsed each time, not kept.
const MEMO_BYTES: usize = 1024;

impl HeadMemo {
    /// The head at the start of `buf`, if it is the one remembered.
    pub(crate) fn recall(&self, buf: &[u8]) -> Option<Head> {
        self.head.filter(|_| buf.starts_with(&self.bytes))
    }

    /// Remembers `head`, parsed from the start of `buf`.
    pub(crate) fn remember(&mut self, buf: &[u8], head: Head) {
        self.head = None;
        self.bytes.clear();
        if head.len <= MEMO_BYTES && head.len <= buf.len() {
            self.bytes.extend_from_slice(&buf[..head.len]);
            self.head = Some(head);
        }
    }
}

/// How far a chunked body has come.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Progress {
    NeedMore,
    /// The body has ended.
    Done,
    TooLarge,
}

/// A chunked body being decoded: its data so far.
#[derive(Debug, Default)]
pub(crate) struct Chunked {
    pub(crate) body: Vec<u8>,
}

impl Chunked {
    /// Decodes the whole chunks at the start of `buf`, moving their data to the body, and
    /// returns how many bytes it used with how far the body has come. Past `cap` bytes of
    /// data the body is too large.
    pub(crate) fn step(&mut self, buf: &[u8], cap: usize) -> Result<(usize, Progress), String> {
        let mut pos = 0;
        loop {
            let rest = &buf[pos..];
            let (line, size) = match httparse::parse_chunk_size(rest) {
                Ok(httparse::Status::Complete(parsed)) => parsed,
                Ok(httparse::Status::Partial) => return Ok((pos, Progress::NeedMore)),
                Err(_) => return Err("a chunked body with a bad chunk size".to_owned()),
            };
            if size == 0 {
                let trailers = &rest[line..];
                if trailers.starts_with(b"\r\n") {
                    return Ok((pos + line + 2, Progress::Done));
                }
                return Ok(match trailers.windows(4).position(|w| w == b"\r\n\r\n") {
                    Some(end) => (pos + line + end + 4, Progress::Done),
                    None => (pos, Progress::NeedMore),
                });
            }
            if self.body.len() as u64 + size > cap as u64 {
                return Ok((pos, Progress::TooLarge));
            }
            let size = size as usize;
            let Some(chunk) = rest.get(line..line + size + 2) else {
                return Ok((pos, Progress::NeedMore));
            };
            if !chunk.ends_with(b"\r\n") {
                return Err("a chunk of a chunked body does not end where its size says".to_owned());
            }
            self.body.extend_from_slice(&chunk[..size]);
            pos += line + size + 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(bytes: &[u8]) -> Head {
        match parse_head(bytes, 100) {
            Ok(Parsed::Head(h)) => h,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn requests_are_whole_with_their_key() {
        let r = Requests::new("h:1", "/a?k=", "&x=y");
        assert_eq!(
            r.get("1").concat(),
            b"GET /a?k=1&x=y HTTP/1.1\r\nHost: h:1\r\n\r\n"
        );
        assert_eq!(
            r.get("22").concat(),
            b"GET /a?k=22&x=y HTTP/1.1\r\nHost: h:1\r\n\r\n"
        );
        let whole = Requests::new("h", "", "");
        assert_eq!(
            whole.get("/healthcheck").concat(),
            b"GET /healthcheck HTTP/1.1\r\nHost: h\r\n\r\n"
        );
    }

    #[test]
    fn heads_give_status_framing_and_reuse() {
        let h = head(b"HTTP/1.1 200 OK\r\nContent-Length: 44\r\n\r\nbody");
        assert_eq!((h.len, h.status), (39, 200));
        assert_eq!((h.framing, h.keep_alive), (Framing::Length(44), true));
        let h = head(b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n");
        assert_eq!(h.framing, Framing::Chunked);
        let h = head(b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 1\r\n\r\n");
        assert!(!h.keep_alive);
        let h = head(b"HTTP/1.0 200 OK\r\ncontent-length: 1\r\n\r\n");
        assert!(!h.keep_alive);
        let h = head(b"HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 1\r\n\r\n");
        assert!(h.keep_alive);
        let h = head(b"HTTP/1.1 503 Busy\r\n\r\n");
        assert_eq!((h.status, h.framing), (503, Framing::UntilClose));
        assert!(!h.keep_alive);
        let h = head(b"HTTP/1.1 204 No Content\r\ncontent-length: 9\r\n\r\n");
        assert_eq!(h.framing, Framing::Length(0));
    }

    #[test]
    fn a_remembered_head_is_recalled_only_for_the_same_bytes() {
        let first =
            b"HTTP/1.1 200 OK\r\ncontent-length: 44\r\ndate: Thu, 03 Dec 2026 11:00:00 GMT\r\n\r\n";
        let mut memo = HeadMemo::default();
        assert_eq!(memo.recall(first), None, "nothing remembered yet");
        memo.remember(first, head(first));
        let mut next = first.to_vec();
        next.extend_from_slice(b"rmtLqR0bAQHNAW7CNBVRNIDB2NSH34ZAANDGrHkJy1g=");
        assert_eq!(
            memo.recall(&next),
            Some(head(first)),
            "same head, body after"
        );
        assert_eq!(
            memo.recall(&first[..first.len() - 1]),
            None,
            "not all of it yet"
        );
        // One byte changed (the clock moved on; another length): parsed afresh.
        let later =
            b"HTTP/1.1 200 OK\r\ncontent-length: 44\r\ndate: Thu, 03 Dec 2026 11:00:01 GMT\r\n\r\n";
        assert_eq!(memo.recall(later), None);
        let shorter = b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n";
        assert_eq!(memo.recall(shorter), None);
        let closing = b"HTTP/1.1 200 OK\r\ncontent-length: 44\r\nconnection: close\r\n\r\n";
        memo.remember(closing, head(closing));
        assert!(!memo.recall(closing).unwrap().keep_alive);
        assert_eq!(memo.recall(first), None, "only the last head is kept");
        // A head past the memo's size is not kept.
        let mut huge = b"HTTP/1.1 200 OK\r\nx: ".to_vec();
        huge.extend_from_slice(&[b'a'; 2000]);
        huge.extend_from_slice(b"\r\ncontent-length: 0\r\n\r\n");
        memo.remember(&huge, head(&huge));
        assert_eq!(memo.recall(&huge), None);
    }

    mod prop {
        use proptest::prelude::*;

        use super::*;

        /// A head from a few shapes: status, length or chunked, Connection, a varying Date.
        fn a_head() -> impl Strategy<Value = Vec<u8>> {
            let status = prop_oneof![Just(200u16), Just(204), Just(503)];
            let length = prop_oneof![(0u64..3).prop_map(Some), Just(None)];
            let connection = prop_oneof![Just(""), Just("connection: close\r\n")];
            (status, length, connection, 0u8..3, any::<bool>()).prop_map(
                |(status, length, connection, second, version)| {
                    let framing = match length {
                        Some(n) => format!("content-length: {n}\r\n"),
                        None => "transfer-encoding: chunked\r\n".to_owned(),
                    };
                    format!(
                        "HTTP/1.{} {status} X\r\ndate: 11:00:0{second}\r\n{framing}{connection}\r\nbody",
                        u8::from(version)
                    )
                    .into_bytes()
                },
            )
        }

        proptest! {
            /// Whatever came before on the connection, a recalled head is the one a parse
            /// of the new bytes gives.
            #[test]
            fn a_recalled_head_is_the_parsed_head(
                first in a_head(),
                other in a_head(),
                again in any::<bool>(),
                cut in 1usize..100,
            ) {
                let mut memo = HeadMemo::default();
                memo.remember(&first, head(&first));
                // The same answer again (cut anywhere), or another one.
                let second = if again { &first } else { &other };
                let second = &second[..second.len().min(cut)];
                let parsed = parse_head(second, 100);
                match memo.recall(second) {
                    Some(recalled) => prop_assert_eq!(parsed, Ok(Parsed::Head(recalled))),
                    // Missed only when the bytes differ or the head is not all there yet.
                    None => prop_assert!(!second.starts_with(&first[..head(&first).len])),
                }
            }
        }
    }

    #[test]
    fn partial_interim_and_bad_heads() {
        assert_eq!(
            parse_head(b"HTTP/1.1 200 OK\r\nconte", 100),
            Ok(Parsed::Partial)
        );
        assert_eq!(
            parse_head(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200", 100),
            Ok(Parsed::Interim(25))
        );
        let Err(HeadError::Malformed(why)) = parse_head(b"HTTP/1.1 2OO OK\r\n\r\n", 100) else {
            panic!()
        };
        assert!(why.contains("status"), "{why}");
        for bad in [
            &b"HTTP/1.1 200 OK\r\ncontent-length: 4x\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\ncontent-length: +4\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\ncontent-length: 5\r\n\r\n",
            b"SSH-2.0-OpenSSH_9.2\r\n",
        ] {
            assert!(
                matches!(parse_head(bad, 100), Err(HeadError::Malformed(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn header_counts_past_the_limit_are_too_large_above_and_below_the_stack_array() {
        let with = |n: usize| {
            let mut r = b"HTTP/1.1 200 OK\r\n".to_vec();
            for i in 0..n {
                r.extend_from_slice(format!("x-{i}: v\r\n").as_bytes());
            }
            r.extend_from_slice(b"\r\n");
            r
        };
        assert!(matches!(parse_head(&with(5), 5), Ok(Parsed::Head(_))));
        assert_eq!(parse_head(&with(6), 5), Err(HeadError::TooLarge));
        assert!(matches!(parse_head(&with(100), 100), Ok(Parsed::Head(_))));
        assert_eq!(parse_head(&with(101), 100), Err(HeadError::TooLarge));
    }

    #[test]
    fn chunked_bodies_decode_across_reads_and_stop_at_the_cap() {
        let wire = b"4\r\nrmtL\r\n2;ext=1\r\nqR\r\n0\r\nx-trailer: 1\r\n\r\nrest";
        // Fed one byte more at a time, as reads may split it anywhere.
        let mut c = Chunked::default();
        let mut buf = Vec::new();
        let mut done = false;
        for &b in wire.iter() {
            buf.push(b);
            let (used, progress) = c.step(&buf, 100).unwrap();
            buf.drain(..used);
            if progress == Progress::Done {
                done = true;
                break;
            }
            assert_eq!(progress, Progress::NeedMore);
        }
        assert!(done);
        assert_eq!(c.body, b"rmtLqR");
        let mut c = Chunked::default();
        assert_eq!(c.step(wire, 5).unwrap(), (9, Progress::TooLarge));
        assert!(Chunked::default().step(b"zz\r\n", 100).is_err());
        assert!(Chunked::default().step(b"2\r\nabc\r\n", 100).is_err());
    }
}
