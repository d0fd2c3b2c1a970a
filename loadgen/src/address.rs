//! Where the engine may connect: the SSRF rule (no loopback, private, link-local, multicast
//! or unspecified address unless allowed) checked on every address a name resolves to at
//! every new connection, so that a name re-pointed after it was registered (DNS rebinding)
//! cannot reach inside the organizer's network.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

use crate::Outcome;

/// Which addresses a target may be reached at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AddressPolicy {
    /// Any address: simulated teams on this machine, CI, a team testing its own server.
    #[default]
    Any,
    /// Public unicast addresses only: what a game against teams' real servers uses.
    PublicOnly,
}

impl AddressPolicy {
    /// Why `ip` may not be reached under this policy, if it may not.
    pub fn refuses(self, ip: IpAddr) -> Option<&'static str> {
        match self {
            AddressPolicy::Any => None,
            AddressPolicy::PublicOnly => non_public(ip),
        }
    }
}

/// What sort of non-public address `ip` is (`"loopback"`, `"private"`, ...), or `None` for a
/// public unicast address. An IPv4 address mapped or translated into IPv6 is judged as IPv4.
pub fn non_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped().or_else(|| nat64(v6)) {
            Some(v4) => non_public_v4(v4),
            None => non_public_v6(v6),
        },
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    Some(if ip.is_loopback() {
        "loopback"
    } else if ip.is_unspecified() || a == 0 {
        "unspecified"
    } else if ip.is_link_local() {
        "link-local (the cloud metadata service lives at 169.254.169.254)"
    } else if ip.is_private() {
        "private"
    } else if a == 100 && (64..128).contains(&b) {
        "shared (carrier-grade NAT)"
    } else if ip.is_multicast() {
        "multicast"
    } else if ip.is_broadcast() || a >= 240 {
        "reserved"
    } else {
        return None;
    })
}

fn non_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    Some(if ip.is_loopback() {
        "loopback"
    } else if ip.is_unspecified() {
        "unspecified"
    } else if ip.is_unicast_link_local() {
        "link-local"
    } else if ip.is_unique_local() {
        "private (unique local)"
    } else if ip.is_multicast() {
        "multicast"
    } else if first & 0xfec0 == 0xfec0 {
        "site-local"
    } else {
        return None;
    })
}

/// The IPv4 address inside a NAT64 address (64:ff9b::/96), which reaches it.
fn nat64(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    (s[..6] == [0x64, 0xff9b, 0, 0, 0, 0]).then(|| {
        let [.., a, b, c, d] = ip.octets();
        Ipv4Addr::new(a, b, c, d)
    })
}

/// Addresses a name resolves to.
pub type Resolving<'a> = Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'a>>;

/// Turns `host:port` into addresses. The system's resolver unless a run gives its own (to
/// pin names, or in tests, to play a rebinding name server).
pub trait Resolve: Send + Sync + 'static {
    fn resolve<'a>(&'a self, authority: &'a str) -> Resolving<'a>;
}

/// The resolver a run uses: the system's by default.
#[derive(Clone, Default)]
pub struct Resolver(Option<Arc<dyn Resolve>>);

impl Resolver {
    /// A run's own resolver.
    pub fn custom(resolve: Arc<dyn Resolve>) -> Resolver {
        Resolver(Some(resolve))
    }

    /// The addresses of `authority` (`host:port`); a literal address resolves to itself.
    pub async fn resolve(&self, authority: &str) -> io::Result<Vec<SocketAddr>> {
        match &self.0 {
            Some(custom) => custom.resolve(authority).await,
            None => Ok(tokio::net::lookup_host(authority).await?.collect()),
        }
    }
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Resolver(custom)"
        } else {
            "Resolver(system)"
        })
    }
}

/// The addresses of `authority` that `policy` lets the engine connect to, or why none: a
/// name that does not resolve is a `DnsError`; a name with any forbidden address is refused
/// whole (a name server could hand out the forbidden one next).
pub(crate) async fn addresses(
    resolver: &Resolver,
    policy: AddressPolicy,
    authority: &str,
) -> Result<Vec<SocketAddr>, Outcome> {
    let dns = |detail| Outcome::DnsError { detail };
    let addrs = resolver
        .resolve(authority)
        .await
        .map_err(|e| dns(format!("{authority}: cannot resolve: {e}")))?;
    if addrs.is_empty() {
        return Err(dns(format!("{authority}: resolves to no address")));
    }
    if let Some((ip, why)) = addrs
        .iter()
        .find_map(|a| policy.refuses(a.ip()).map(|why| (a.ip(), why)))
    {
        return Err(Outcome::ConnectRefused {
            detail: format!(
                "{authority} resolves to {ip}, a {why} address: not connected (game.allow_private_targets is off)"
            ),
        });
    }
    Ok(addrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_of_non_public_address_is_named() {
        let cases = [
            ("127.0.0.1", Some("loopback")),
            ("127.8.9.10", Some("loopback")),
            ("10.1.2.3", Some("private")),
            ("172.16.0.1", Some("private")),
            ("172.31.255.255", Some("private")),
            ("192.168.1.1", Some("private")),
            ("169.254.169.254", Some("link-local")),
            ("100.64.0.1", Some("shared")),
            ("224.0.0.1", Some("multicast")),
            ("239.255.255.250", Some("multicast")),
            ("0.0.0.0", Some("unspecified")),
            ("0.1.2.3", Some("unspecified")),
            ("255.255.255.255", Some("reserved")),
            ("240.0.0.1", Some("reserved")),
            ("::1", Some("loopback")),
            ("::", Some("unspecified")),
            ("fe80::1", Some("link-local")),
            ("fd00::1", Some("private")),
            ("ff02::1", Some("multicast")),
            ("fec0::1", Some("site-local")),
            ("::ffff:127.0.0.1", Some("loopback")),
            ("::ffff:169.254.169.254", Some("link-local")),
            ("::ffff:10.0.0.1", Some("private")),
            ("64:ff9b::a00:1", Some("private")),
            ("8.8.8.8", None),
            ("172.32.0.1", None),
            ("100.128.0.1", None),
            ("2606:4700:4700::1111", None),
            ("::ffff:8.8.8.8", None),
        ];
        for (text, want) in cases {
            let ip: IpAddr = text.parse().unwrap();
            let got = non_public(ip);
            match want {
                Some(word) => assert!(
                    got.is_some_and(|g| g.starts_with(word)),
                    "{text}: {got:?}, expected {word}"
                ),
                None => assert_eq!(got, None, "{text}"),
            }
            assert_eq!(AddressPolicy::Any.refuses(ip), None, "{text}");
            assert_eq!(AddressPolicy::PublicOnly.refuses(ip), got, "{text}");
        }
    }
}
