//! Targets (teams), their limits, and the parts their requests are made from.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use http::Uri;
use http::uri::PathAndQuery;

use crate::LoadgenError;
use crate::address::AddressPolicy;
use crate::http1::Requests;
use crate::tls::{TlsEndpoint, connector, server_name};
use tokio_rustls::TlsConnector;

/// The path and query of a request, with `{key}` where the key goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestShape(String);

impl Default for RequestShape {
    fn default() -> Self {
        RequestShape("/calc?input={key}".to_owned())
    }
}

impl RequestShape {
    /// A shape like `/calc?input={key}`: it starts with `/` and holds `{key}` once.
    pub fn new(template: &str) -> Result<RequestShape, LoadgenError> {
        if !template.starts_with('/') || template.matches("{key}").count() != 1 {
            return Err(LoadgenError::Config(format!(
                "request shape {template:?}: expected a path starting with / holding {{key}} once, like /calc?input={{key}}"
            )));
        }
        Ok(RequestShape(template.to_owned()))
    }

    fn render(&self, prefix: &str, key: &str) -> String {
        format!("{prefix}{}", self.0.replace("{key}", key))
    }

    /// The path before `{key}` (under `prefix`) and after it.
    fn around_key(&self, prefix: &str) -> (String, &str) {
        let (before, after) = self.0.split_once("{key}").expect("a shape holds {key}");
        (format!("{prefix}{before}"), after)
    }
}

/// The time allowed to open a connection unless one is given: loadgen's `--connect-timeout`
/// and a scenario's `[load] connect_timeout` alike.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// The time allowed for a whole request unless one is given: loadgen's `--timeout` and a
/// scenario's `[load] timeout` alike.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// One target's own limits: its pool, its cap and its timeouts are its own, so a slow or
/// hanging team never takes from another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetLimits {
    /// Requests in flight at once (and so connections). A request due past the cap is
    /// counted as dropped.
    pub max_in_flight: usize,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed for a whole request: connect, answer and body.
    pub timeout: Duration,
    /// Bytes of body read at most; past that the answer is `too_large`.
    pub body_cap: usize,
    /// Headers a response may have; past that the answer is `too_large`.
    pub max_headers: usize,
    /// The addresses it may be reached at, checked at every new connection.
    pub addresses: AddressPolicy,
}

impl Default for TargetLimits {
    fn default() -> Self {
        TargetLimits {
            max_in_flight: 1000,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            body_cap: 4096,
            max_headers: 100,
            addresses: AddressPolicy::Any,
        }
    }
}

impl TargetLimits {
    pub(crate) fn validate(&self, target: &str) -> Result<(), LoadgenError> {
        let bad = |what: String| Err(LoadgenError::Config(format!("target {target}: {what}")));
        if self.max_in_flight == 0 || self.max_in_flight > 1_000_000 {
            return bad(format!(
                "max_in_flight must be 1 to 1000000, not {}",
                self.max_in_flight
            ));
        }
        if self.timeout.is_zero() || self.connect_timeout.is_zero() {
            return bad(format!(
                "timeout and connect_timeout must be above zero, not {:?} and {:?}",
                self.timeout, self.connect_timeout
            ));
        }
        if self.body_cap < 64 || self.body_cap > 64 << 20 {
            return bad(format!(
                "the body cap must be 64 B to 64 MiB, not {} B",
                self.body_cap
            ));
        }
        if self.max_headers == 0 || self.max_headers > MAX_HEADERS {
            return bad(format!(
                "max headers must be 1 to {MAX_HEADERS}, not {}",
                self.max_headers
            ));
        }
        Ok(())
    }
}

/// The most headers a response may be allowed (a head is also held to 64 KiB).
pub const MAX_HEADERS: usize = 1000;

/// A team: a name and one or more base URLs (`http` or `https`), served round robin.
///
/// A target with no URL is *waiting*: a team that registers its endpoint later. A run
/// starts with it and sends it nothing: its due sends pass unsent and uncounted (no sends,
/// no drops, nothing late) and no closed client starts for it, while its batch, empty, is
/// still closed at every tick like any other target's. Once
/// [`crate::EngineHandle::set_urls`] gives it URLs it sends from its next due send, on the
/// same schedule as every other target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub urls: Vec<String>,
    pub shape: RequestShape,
    pub limits: TargetLimits,
    /// A PEM file of a private CA whose certificates `https` URLs may also chain to,
    /// beside the system's roots.
    pub ca_cert: Option<PathBuf>,
}

impl Target {
    /// A target with the default request shape and limits (with no URL, a waiting one).
    pub fn new(name: impl Into<String>, urls: Vec<String>) -> Target {
        Target {
            name: name.into(),
            urls,
            shape: RequestShape::default(),
            limits: TargetLimits::default(),
            ca_cert: None,
        }
    }
}

impl Target {
    /// Checks the URLs, limits and CA file, before anything expensive is built for the
    /// target (the system's roots are not read). No URL at all is a waiting target, and
    /// valid.
    pub fn check(&self) -> Result<(), LoadgenError> {
        self.limits.validate(&self.name)?;
        let tls = connector(self.ca_cert.as_deref(), false)?;
        starting_bases(&self.name, &self.urls, &self.shape, &[], &tls).map(drop)
    }
}

/// One base URL, ready to connect to.
#[derive(Debug)]
pub(crate) struct Base {
    /// `host:port`, resolved on each new connection (addresses behind a name may move).
    pub(crate) authority: String,
    /// For an `https` URL: the certificate's expected name and the target's TLS client.
    pub(crate) tls: Option<TlsEndpoint>,
    /// Its requests, made as each goes out from the key.
    pub(crate) requests: Requests,
}

/// A target with every request part built once.
pub(crate) struct PreparedTarget {
    pub(crate) name: Arc<str>,
    pub(crate) shape: RequestShape,
    /// Shared, so that a request in flight keeps its base after the target's URLs change.
    pub(crate) bases: Vec<Arc<Base>>,
    pub(crate) limits: TargetLimits,
    /// Its TLS client, for these bases and any it is given later.
    pub(crate) tls: TlsConnector,
}

impl std::fmt::Debug for PreparedTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedTarget")
            .field("name", &self.name)
            .field("bases", &self.bases)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl PreparedTarget {
    pub(crate) fn prepare(
        target: &Target,
        keys: &[hashref::Key],
    ) -> Result<PreparedTarget, LoadgenError> {
        target.limits.validate(&target.name)?;
        let tls = connector(target.ca_cert.as_deref(), true)?;
        Ok(PreparedTarget {
            name: target.name.as_str().into(),
            shape: target.shape.clone(),
            bases: starting_bases(&target.name, &target.urls, &target.shape, keys, &tls)?,
            limits: target.limits.clone(),
            tls,
        })
    }
}

/// A target's bases at the start of a run: none for a waiting target, else as
/// [`prepare_bases`] builds them.
fn starting_bases(
    name: &str,
    urls: &[String],
    shape: &RequestShape,
    keys: &[hashref::Key],
    tls: &TlsConnector,
) -> Result<Vec<Arc<Base>>, LoadgenError> {
    match urls.is_empty() {
        true => Ok(Vec::new()),
        false => prepare_bases(name, urls, shape, keys, tls),
    }
}

/// Checks a target's base URLs (at least one) and every key's request target for each: at
/// the start of a run, and again when a running target's URLs change.
pub(crate) fn prepare_bases(
    name: &str,
    urls: &[String],
    shape: &RequestShape,
    keys: &[hashref::Key],
    tls: &TlsConnector,
) -> Result<Vec<Arc<Base>>, LoadgenError> {
    if urls.is_empty() {
        return Err(LoadgenError::Config(format!(
            "target {name}: needs at least one URL"
        )));
    }
    urls.iter()
        .map(|url| prepare_base(name, url, shape, keys, tls).map(Arc::new))
        .collect()
}

fn prepare_base(
    name: &str,
    url: &str,
    shape: &RequestShape,
    keys: &[hashref::Key],
    tls: &TlsConnector,
) -> Result<Base, LoadgenError> {
    let base = BaseUrl::parse(name, url, tls)?;
    let paths = keys.iter().map(|k| shape.render(&base.prefix, k.as_str()));
    base.check_paths(paths)?;
    let (before, after) = shape.around_key(&base.prefix);
    let requests = Requests::new(&base.host_header, &before, after);
    Ok(base.into_base(requests))
}

/// A base for the endpoint probe, and its paths (and queries) in order: `/healthcheck`, then
/// each key's in the request shape, under the URL's own path. Its requests take a whole path
/// where others take a key.
pub(crate) fn probe_base(
    name: &str,
    url: &str,
    shape: &RequestShape,
    keys: &[hashref::Key],
    tls: &TlsConnector,
) -> Result<(Base, Vec<String>), LoadgenError> {
    let base = BaseUrl::parse(name, url, tls)?;
    let mut paths = vec![format!("{}/healthcheck", base.prefix)];
    paths.extend(keys.iter().map(|k| shape.render(&base.prefix, k.as_str())));
    base.check_paths(paths.iter())?;
    let requests = Requests::new(&base.host_header, "", "");
    Ok((base.into_base(requests), paths))
}

/// A base URL, checked and taken apart into what its requests need.
struct BaseUrl<'u> {
    name: &'u str,
    url: &'u str,
    /// `host:port`.
    authority: String,
    tls: Option<TlsEndpoint>,
    host_header: String,
    /// The URL's own path, without its last `/`: requests go under it.
    prefix: String,
}

impl<'u> BaseUrl<'u> {
    fn parse(name: &'u str, url: &'u str, tls: &TlsConnector) -> Result<BaseUrl<'u>, LoadgenError> {
        let bad = |reason: &str| bad_url(name, url, reason);
        let uri: Uri = url.parse().map_err(|_| bad("not a URL"))?;
        let secure = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(bad("expected a URL like http://host:port or https://host")),
        };
        let host = uri.host().ok_or_else(|| bad("no host"))?;
        if uri.query().is_some() {
            return Err(bad("a base URL has no query; the request shape adds it"));
        }
        let tls = match secure {
            false => None,
            true => Some(TlsEndpoint {
                name: server_name(host).ok_or_else(|| bad("the host is not a valid TLS name"))?,
                connector: tls.clone(),
            }),
        };
        let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
        let authority = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let host_header = match uri.port_u16() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        };
        Ok(BaseUrl {
            name,
            url,
            authority,
            tls,
            host_header,
            prefix: uri.path().trim_end_matches('/').to_owned(),
        })
    }

    /// Checks that each of `paths` is a valid request target, as hyper checks a URI, so
    /// that no key breaks a request line.
    fn check_paths<P: AsRef<str>>(
        &self,
        mut paths: impl Iterator<Item = P>,
    ) -> Result<(), LoadgenError> {
        match paths.all(|path| path.as_ref().parse::<PathAndQuery>().is_ok()) {
            true => Ok(()),
            false => Err(bad_url(
                self.name,
                self.url,
                "the request shape does not make a valid path with this URL",
            )),
        }
    }

    /// The base, with its requests.
    fn into_base(self, requests: Requests) -> Base {
        Base {
            authority: self.authority,
            tls: self.tls,
            requests,
        }
    }
}

fn bad_url(name: &str, url: &str, reason: &str) -> LoadgenError {
    LoadgenError::BadUrl {
        target: name.to_owned(),
        url: url.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<hashref::Key> {
        hashref::Keyset::generate(1, 3).unwrap().keys().to_vec()
    }

    #[test]
    fn bases_make_every_key_s_request() {
        let t = Target::new("team", vec!["http://127.0.0.1:8080/api/".into()]);
        let p = PreparedTarget::prepare(&t, &keys()).unwrap();
        let base = &p.bases[0];
        assert_eq!(base.authority, "127.0.0.1:8080");
        assert_eq!(
            base.requests.get(keys()[0].as_str()).concat(),
            format!(
                "GET /api/calc?input={} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
                keys()[0]
            )
            .as_bytes()
        );
    }

    #[test]
    fn default_port_and_ipv6() {
        let t = Target::new(
            "t",
            vec!["http://example.com".into(), "http://[::1]:81".into()],
        );
        let p = PreparedTarget::prepare(&t, &keys()).unwrap();
        assert_eq!(p.bases[0].authority, "example.com:80");
        assert!(
            p.bases[0]
                .requests
                .get("k")
                .concat()
                .ends_with(b"\r\nHost: example.com\r\n\r\n")
        );
        assert_eq!(p.bases[1].authority, "[::1]:81");
    }

    #[test]
    fn https_bases_default_to_443_and_name_their_host() {
        let t = Target::new(
            "t",
            vec!["https://team.example".into(), "https://[::1]:8443/x".into()],
        );
        let p = PreparedTarget::prepare(&t, &keys()).unwrap();
        assert_eq!(p.bases[0].authority, "team.example:443");
        let tls = p.bases[0].tls.as_ref().unwrap();
        assert_eq!(tls.name.to_str(), "team.example");
        assert!(
            p.bases[0]
                .requests
                .get("k")
                .concat()
                .ends_with(b"\r\nHost: team.example\r\n\r\n")
        );
        assert_eq!(p.bases[1].authority, "[::1]:8443");
        assert!(p.bases[1].tls.is_some());
        let plain = Target::new("t", vec!["http://team.example".into()]);
        assert!(
            PreparedTarget::prepare(&plain, &keys()).unwrap().bases[0]
                .tls
                .is_none()
        );
        assert!(t.check().is_ok());
        let bad_ca = Target {
            ca_cert: Some("/nonexistent/ca.pem".into()),
            ..t
        };
        let e = bad_ca.check().unwrap_err().to_string();
        assert!(e.contains("/nonexistent/ca.pem"), "{e}");
    }

    #[test]
    fn bad_urls_and_shapes_say_why() {
        for (url, why) in [
            ("ftp://x", "expected a URL like http://"),
            ("http://x/?a=1", "no query"),
            ("not a url", "not a URL"),
        ] {
            let t = Target::new("t", vec![url.into()]);
            let err = PreparedTarget::prepare(&t, &keys())
                .unwrap_err()
                .to_string();
            assert!(err.contains(why), "{url}: {err}");
        }
        assert!(RequestShape::new("calc?input={key}").is_err());
        assert!(RequestShape::new("/calc").is_err());
        assert!(RequestShape::new("/v2/hash/{key}").is_ok());
        // No URL is a waiting target: valid at the start, with no base.
        let waiting = Target::new("t", vec![]);
        assert!(waiting.check().is_ok());
        assert!(
            PreparedTarget::prepare(&waiting, &keys())
                .unwrap()
                .bases
                .is_empty()
        );
        let tls = connector(None, false).unwrap();
        let e = prepare_bases("t", &[], &RequestShape::default(), &keys(), &tls).unwrap_err();
        assert!(e.to_string().contains("needs at least one URL"), "{e}");
    }
}
