//! TLS to team endpoints: a rustls (ring) client config per target that trusts the system's
//! roots and a private CA, offers HTTP/1.1 by ALPN and resumes sessions; the stream a
//! connection speaks over, plain or TLS; and what a failed handshake tells a team.

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use rustls::client::Resumption;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{AlertDescription, CertificateError, ClientConfig, RootCertStore};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::LoadgenError;
use crate::{Outcome, TlsFailure};

/// The certificates of a PEM file: a private CA (a venue's, say) to trust beside the
/// system's roots.
pub fn read_ca_cert(path: &Path) -> Result<Vec<CertificateDer<'static>>, LoadgenError> {
    let bad = |reason: String| LoadgenError::CaCert {
        path: path.to_owned(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad(
            "no certificate in it (expected PEM, -----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    // Each must be usable as a root, or the run would fail later for a reason no one sees.
    let mut roots = RootCertStore::empty();
    for cert in &certs {
        roots
            .add(cert.clone())
            .map_err(|e| bad(format!("not a usable CA certificate: {e}")))?;
    }
    Ok(certs)
}

/// The system's trusted roots, read once a process.
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

/// The system's trusted roots as a store, built once a process and shared by every target
/// that trusts them alone.
fn system_store() -> &'static Arc<RootCertStore> {
    static STORE: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    STORE.get_or_init(|| {
        let mut roots = RootCertStore::empty();
        roots.add_parsable_certificates(system_roots().iter().cloned());
        Arc::new(roots)
    })
}

/// Server names whose sessions a target's TLS client keeps (its URLs' hosts).
const SESSION_NAMES: usize = 8;

/// A target's TLS client: the system's roots and `ca_cert`'s, HTTP/1.1 by ALPN, and its own
/// session store (rustls keeps the last sessions of each server name), so that a
/// connection opened again resumes instead of a full handshake. With `system: false` the
/// system's roots are not read (a check of settings, which connects nowhere).
pub(crate) fn connector(
    ca_cert: Option<&Path>,
    system: bool,
) -> Result<TlsConnector, LoadgenError> {
    let roots = match ca_cert {
        // The system's roots alone: one store for every target (parsed, about 60 KB).
        None if system => Arc::clone(system_store()),
        _ => {
            let mut roots = RootCertStore::empty();
            if system {
                roots.add_parsable_certificates(system_roots().iter().cloned());
            }
            if let Some(path) = ca_cert {
                for cert in read_ca_cert(path)? {
                    // Checked by read_ca_cert.
                    let _ = roots.add(cert);
                }
            }
            Arc::new(roots)
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| LoadgenError::Config(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    // A target has a URL or a few: rustls's default store of 256 server names took 14 KiB
    // a target, most of a 1,000-team game's TLS clients.
    config.resumption = Resumption::in_memory_sessions(SESSION_NAMES);
    Ok(TlsConnector::from(Arc::new(config)))
}

/// What an `https` base connects with: the name its certificate must hold (also sent as
/// SNI), and its target's client.
#[derive(Clone)]
pub(crate) struct TlsEndpoint {
    pub(crate) name: ServerName<'static>,
    pub(crate) connector: TlsConnector,
}

impl std::fmt::Debug for TlsEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsEndpoint")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The name a URL's host gives a certificate check (`[::1]` without its brackets).
pub(crate) fn server_name(host: &str) -> Option<ServerName<'static>> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_owned()).ok()
}

/// Shakes hands over `tcp` within `timeout`; a failure is the outcome that says why.
pub(crate) async fn handshake(
    tcp: TcpStream,
    endpoint: &TlsEndpoint,
    timeout: Duration,
) -> Result<Stream, Outcome> {
    let connect = endpoint
        .connector
        .connect(endpoint.name.clone(), Sniffed::new(tcp))
        .into_fallible();
    match tokio::time::timeout(timeout, connect).await {
        Err(_) => Err(Outcome::Tls {
            failure: TlsFailure::HandshakeTimeout,
            detail: format!(
                "no finished TLS handshake within {}",
                humantime::format_duration(timeout)
            ),
        }),
        Ok(Ok(tls)) => Ok(Stream::Tls(Box::new(tls))),
        Ok(Err((error, io))) => Err(handshake_failure(&error, io.first(), &endpoint.name)),
    }
}

/// What a failed handshake means: `first` is what the server sent first, if anything.
pub(crate) fn handshake_failure(error: &io::Error, first: &[u8], name: &ServerName) -> Outcome {
    let tls = |failure, detail: String| Outcome::Tls { failure, detail };
    if first.starts_with(b"HTTP/") {
        let detail = "the server answered the TLS hello in plain HTTP: this port serves \
                      http://, not https://";
        return tls(TlsFailure::TlsOnPlainPort, detail.to_owned());
    }
    let name = name.to_str();
    let Some(rustls) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    else {
        let detail = match (first.is_empty(), error.kind()) {
            (true, io::ErrorKind::UnexpectedEof) => {
                "the server closed the connection at the TLS hello (does this port speak TLS?)"
                    .to_owned()
            }
            _ => format!("the TLS handshake broke off: {error}"),
        };
        return tls(TlsFailure::Refused, detail);
    };
    use CertificateError as C;
    match rustls {
        rustls::Error::InvalidCertificate(
            C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. },
        ) => tls(
            TlsFailure::Expired,
            format!("the certificate of {name} is out of its dates ({rustls}): renew it"),
        ),
        rustls::Error::InvalidCertificate(
            C::NotValidForName | C::NotValidForNameContext { .. },
        ) => tls(
            TlsFailure::WrongHost,
            format!("the certificate is not for {name} ({rustls}): serve one with {name} in it"),
        ),
        rustls::Error::InvalidCertificate(_) => tls(
            TlsFailure::Untrusted,
            format!(
                "the certificate of {name} is not trusted ({rustls}): use one from a public CA, \
                 or have your CA trusted (loadgen --cacert, a scenario's load.ca_cert)"
            ),
        ),
        rustls::Error::AlertReceived(alert) => tls(
            TlsFailure::Refused,
            format!(
                "the server refused the TLS handshake with the alert {alert:?}{}",
                alert_meaning(*alert)
            ),
        ),
        rustls::Error::InvalidMessage(
            rustls::InvalidMessage::HandshakePayloadTooLarge
            | rustls::InvalidMessage::CertificatePayloadTooLarge
            | rustls::InvalidMessage::MessageTooLarge,
        ) => tls(
            TlsFailure::Refused,
            format!(
                "the server's handshake is past TLS's size limits ({rustls}): is its \
                 certificate chain that long?"
            ),
        ),
        rustls::Error::InvalidMessage(_) | rustls::Error::PeerSentOversizedRecord
            if !looks_like_tls(first) =>
        {
            tls(
                TlsFailure::Refused,
                format!("the server's answer to the TLS hello is not TLS ({rustls})"),
            )
        }
        other => tls(
            TlsFailure::Refused,
            format!("the TLS handshake failed: {other}"),
        ),
    }
}

/// What a failed read or write on a TLS session (its handshake done) means, if TLS says why:
/// a fatal alert from the server (in TLS 1.3 a server that demands a client certificate
/// says so only after the handshake, with the alert `CertificateRequired`), or a session
/// that broke. `None`: the error is the socket's, not TLS's.
pub(crate) fn session_failure(error: &io::Error) -> Option<Outcome> {
    let rustls = error.get_ref()?.downcast_ref::<rustls::Error>()?;
    let detail = match rustls {
        rustls::Error::AlertReceived(alert) => format!(
            "the server ended the TLS session with a fatal alert: {alert:?}{}",
            alert_meaning(*alert)
        ),
        other => format!("the TLS session broke: {other}"),
    };
    Some(Outcome::Tls {
        failure: TlsFailure::Refused,
        detail,
    })
}

/// What an alert tells a team, beyond its name, when it tells something.
fn alert_meaning(alert: AlertDescription) -> &'static str {
    match alert {
        AlertDescription::CertificateRequired => {
            " (it demands a client certificate, which the load generator does not have)"
        }
        _ => "",
    }
}

/// Whether bytes begin like a TLS record: handshake or alert, version 3.x.
fn looks_like_tls(first: &[u8]) -> bool {
    matches!(first, [0x15 | 0x16, 0x03, ..])
}

/// The stream a connection speaks over. The TLS one is boxed: rustls's connection state is
/// large, and a plain connection should not carry its size.
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<Sniffed<TcpStream>>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Bytes of a server's first answer kept, to tell plain HTTP from garbage.
const SNIFFED: usize = 8;

/// A stream that keeps the first bytes read from it: after a failed handshake, they say
/// whether the server spoke plain HTTP.
pub(crate) struct Sniffed<S> {
    inner: S,
    first: [u8; SNIFFED],
    seen: usize,
}

impl<S> Sniffed<S> {
    pub(crate) fn new(inner: S) -> Sniffed<S> {
        Sniffed {
            inner,
            first: [0; SNIFFED],
            seen: 0,
        }
    }

    /// The first bytes read (up to 8).
    pub(crate) fn first(&self) -> &[u8] {
        &self.first[..self.seen]
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Sniffed<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        if this.seen < SNIFFED {
            let new = &buf.filled()[before..];
            let n = new.len().min(SNIFFED - this.seen);
            this.first[this.seen..this.seen + n].copy_from_slice(&new[..n]);
            this.seen += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Sniffed<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name() -> ServerName<'static> {
        server_name("team.example").unwrap()
    }

    fn rustls_error(e: rustls::Error) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }

    fn failure(o: Outcome) -> TlsFailure {
        match o {
            Outcome::Tls { failure, .. } => failure,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn handshake_errors_say_what_a_team_can_fix() {
        let cert = |c| rustls_error(rustls::Error::InvalidCertificate(c));
        let cases = [
            (
                cert(CertificateError::Expired),
                &b""[..],
                TlsFailure::Expired,
            ),
            (
                cert(CertificateError::NotValidYet),
                b"",
                TlsFailure::Expired,
            ),
            (
                cert(CertificateError::NotValidForName),
                b"",
                TlsFailure::WrongHost,
            ),
            (
                cert(CertificateError::UnknownIssuer),
                b"",
                TlsFailure::Untrusted,
            ),
            (
                cert(CertificateError::BadSignature),
                b"",
                TlsFailure::Untrusted,
            ),
            (
                rustls_error(rustls::Error::AlertReceived(
                    rustls::AlertDescription::HandshakeFailure,
                )),
                b"\x15\x03\x03",
                TlsFailure::Refused,
            ),
            (
                rustls_error(rustls::Error::InvalidMessage(
                    rustls::InvalidMessage::InvalidContentType,
                )),
                b"HTTP/1.1 400",
                TlsFailure::TlsOnPlainPort,
            ),
            (
                rustls_error(rustls::Error::InvalidMessage(
                    rustls::InvalidMessage::InvalidContentType,
                )),
                b"\x00garbage",
                TlsFailure::Refused,
            ),
            (
                io::Error::from(io::ErrorKind::UnexpectedEof),
                b"",
                TlsFailure::Refused,
            ),
        ];
        for (error, first, want) in cases {
            let outcome = handshake_failure(&error, first, &name());
            let Outcome::Tls { detail, .. } = &outcome else {
                panic!("{outcome:?}")
            };
            assert!(!detail.is_empty());
            assert_eq!(
                failure(outcome.clone()),
                want,
                "{error} after {first:?}: {detail}"
            );
        }
    }

    #[test]
    fn server_names_come_from_hosts_and_addresses() {
        assert!(matches!(
            server_name("[::1]"),
            Some(ServerName::IpAddress(_))
        ));
        assert!(matches!(
            server_name("127.0.0.1"),
            Some(ServerName::IpAddress(_))
        ));
        assert!(matches!(
            server_name("team.example"),
            Some(ServerName::DnsName(_))
        ));
        assert!(server_name("bad name").is_none());
    }

    #[test]
    fn a_ca_file_is_read_or_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "nothing here\n").unwrap();
        let e = read_ca_cert(&empty).unwrap_err().to_string();
        assert!(
            e.contains("empty.pem") && e.contains("no certificate"),
            "{e}"
        );
        let missing = read_ca_cert(&dir.path().join("missing.pem")).unwrap_err();
        assert!(missing.to_string().contains("missing.pem"), "{missing}");
    }
}
