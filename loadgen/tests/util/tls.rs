//! TLS test servers: certificates minted with rcgen (a private CA, and leaves that are
//! good, expired, for another host, self-signed, or under a huge chain), a rustls server
//! that answers right and counts resumed handshakes (or demands a client certificate), and
//! servers that stall, answer the hello with garbage, or speak plain HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::{ok, params, read_request};

/// A private CA and what it signs.
pub struct Pki {
    pub ca_pem: String,
    ca: Issuer<'static, KeyPair>,
    ca_der: CertificateDer<'static>,
}

/// A certificate chain and its key, for a server.
#[derive(Clone)]
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    key: Vec<u8>,
}

/// How a leaf certificate is made.
pub enum Leaf {
    /// Signed by the CA, for `localhost` and 127.0.0.1.
    Good,
    /// Signed by the CA, its dates in the past.
    Expired,
    /// Signed by the CA, for another host.
    WrongHost,
    /// Self-signed: chains to no root.
    SelfSigned,
    /// Good, sent with this many copies of the CA's certificate behind it.
    HugeChain(usize),
}

impl Pki {
    pub fn new() -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "gameday test venue CA");
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Pki {
            ca_pem: cert.pem(),
            ca_der: cert.der().clone(),
            ca: Issuer::new(params, key),
        }
    }

    /// Writes the CA's certificate as PEM into `dir`; returns its path.
    pub fn write_ca(&self, dir: &std::path::Path) -> std::path::PathBuf {
        let path = dir.join("venue-ca.pem");
        std::fs::write(&path, &self.ca_pem).unwrap();
        path
    }

    pub fn identity(&self, leaf: Leaf) -> Identity {
        let names = match leaf {
            Leaf::WrongHost => vec!["other.example".to_owned()],
            _ => vec!["localhost".to_owned(), "127.0.0.1".to_owned()],
        };
        let mut params = CertificateParams::new(names).unwrap();
        if let Leaf::Expired = leaf {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let key = KeyPair::generate().unwrap();
        let cert = match leaf {
            Leaf::SelfSigned => params.self_signed(&key).unwrap(),
            _ => params.signed_by(&key, &self.ca).unwrap(),
        };
        let mut chain = vec![cert.der().clone()];
        if let Leaf::HugeChain(n) = leaf {
            chain.extend(std::iter::repeat_n(self.ca_der.clone(), n));
        }
        Identity {
            chain,
            key: key.serialize_der(),
        }
    }
}

impl Pki {
    /// A good server that demands a client certificate signed by the CA, speaking only
    /// `version` (in TLS 1.3 it says so after the handshake, in 1.2 during it).
    pub fn demanding_client_certs(
        &self,
        version: &'static rustls::SupportedProtocolVersion,
    ) -> TlsBehaviour {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca_der.clone()).unwrap();
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                .build()
                .unwrap();
        let identity = self.identity(Leaf::Good);
        let config = identity.server_config_with(&[version], Some(verifier));
        TlsBehaviour::ServeWith { config }
    }
}

impl Identity {
    fn server_config(&self) -> Arc<rustls::ServerConfig> {
        self.server_config_with(rustls::DEFAULT_VERSIONS, None)
    }

    fn server_config_with(
        &self,
        versions: &[&'static rustls::SupportedProtocolVersion],
        clients: Option<Arc<dyn rustls::server::danger::ClientCertVerifier>>,
    ) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()));
        let builder = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .unwrap();
        let builder = match clients {
            Some(verifier) => builder.with_client_cert_verifier(verifier),
            None => builder.with_no_client_auth(),
        };
        let mut config = builder.with_single_cert(self.chain.clone(), key).unwrap();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    }
}

/// How a TLS test server behaves.
pub enum TlsBehaviour {
    /// Handshakes with this identity and answers right; with `close`, each answer closes
    /// its connection (so the next one resumes its session).
    Serve { identity: Identity, close: bool },
    /// Handshakes with this server config and answers right.
    ServeWith { config: Arc<rustls::ServerConfig> },
    /// Reads the hello, never answers.
    Stall,
    /// Answers the hello with bytes that are not TLS, for as long as the client reads.
    Garbage,
    /// A plain HTTP server: answers whatever comes with a 400 and closes (as nginx does).
    PlainHttp,
}

/// A running TLS test server; stops when dropped.
pub struct TlsServer {
    pub addr: std::net::SocketAddr,
    /// Handshakes finished, and how many of them resumed a session.
    pub full: Arc<AtomicUsize>,
    pub resumed: Arc<AtomicUsize>,
    /// The ALPN protocol the last handshake agreed on.
    pub alpn: Arc<std::sync::Mutex<Option<Vec<u8>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TlsServer {
    pub fn url(&self, host: &str) -> String {
        format!("https://{host}:{}", self.addr.port())
    }

    pub async fn start(behaviour: TlsBehaviour) -> TlsServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (full, resumed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let alpn = Arc::new(std::sync::Mutex::new(None));
        let counts = (full.clone(), resumed.clone(), alpn.clone());
        let behaviour = Arc::new(behaviour);
        let acceptor = match &*behaviour {
            TlsBehaviour::Serve { identity, .. } => {
                Some(tokio_rustls::TlsAcceptor::from(identity.server_config()))
            }
            TlsBehaviour::ServeWith { config } => {
                Some(tokio_rustls::TlsAcceptor::from(config.clone()))
            }
            _ => None,
        };
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (behaviour, acceptor, counts) =
                    (behaviour.clone(), acceptor.clone(), counts.clone());
                tokio::spawn(async move {
                    serve(stream, &behaviour, acceptor, counts).await;
                });
            }
        });
        TlsServer {
            addr,
            full,
            resumed,
            alpn,
            task,
        }
    }
}

type Counts = (
    Arc<AtomicUsize>,
    Arc<AtomicUsize>,
    Arc<std::sync::Mutex<Option<Vec<u8>>>>,
);

async fn serve(
    mut stream: tokio::net::TcpStream,
    behaviour: &TlsBehaviour,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    (full, resumed, alpn): Counts,
) {
    let mut hello = [0u8; 4096];
    match behaviour {
        TlsBehaviour::Stall => {
            let _ = stream.read(&mut hello).await;
            std::future::pending::<()>().await;
        }
        TlsBehaviour::Garbage => {
            let _ = stream.read(&mut hello).await;
            let garbage: Vec<u8> = (0..16 * 1024u32).map(|i| (i * 7 + 3) as u8).collect();
            while stream.write_all(&garbage).await.is_ok() {}
        }
        TlsBehaviour::PlainHttp => {
            let _ = stream.read(&mut hello).await;
            let _ = stream
                .write_all(
                    b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await;
        }
        TlsBehaviour::Serve { .. } | TlsBehaviour::ServeWith { .. } => {
            let close = matches!(behaviour, TlsBehaviour::Serve { close: true, .. });
            let Ok(mut tls) = acceptor.unwrap().accept(stream).await else {
                return;
            };
            let conn = tls.get_ref().1;
            match conn.handshake_kind() {
                Some(rustls::HandshakeKind::Resumed) => resumed.fetch_add(1, Ordering::SeqCst),
                _ => full.fetch_add(1, Ordering::SeqCst),
            };
            *alpn.lock().unwrap() = conn.alpn_protocol().map(<[u8]>::to_vec);
            let mut buf = Vec::new();
            while let Some(key) = read_request(&mut tls, &mut buf).await {
                let mut answer = ok(params().answer(&key).as_str().as_bytes());
                if close {
                    let at = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
                    answer.splice(at..at, b"\r\nconnection: close".iter().copied());
                }
                if tls.write_all(&answer).await.is_err() || close {
                    let _ = tls.shutdown().await;
                    return;
                }
            }
        }
    }
}
