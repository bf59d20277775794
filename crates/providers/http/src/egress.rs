//! Where the gateway may send requests: the one address policy for vendor calls,
//! passthrough and outbound webhook delivery.
//!
//! A check on a URL's text alone is not enough: a public-looking name (`localhost.`, the
//! machine's own hostname, `*.nip.io`, a name whose DNS changes after it was accepted) can
//! resolve to loopback or a private range. So the policy is enforced where the connection is
//! made: [`EgressPolicy::resolver`] is the client's DNS resolver and drops every disallowed
//! address, and [`EgressPolicy::check_url`] covers what the resolver never sees — IP
//! literals, which reqwest connects to without resolving.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use url::{Host, Url};

/// Which targets are allowed. Injected into each client, never process-global: the
/// simulators and tests run on loopback and allow private targets; production does not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EgressPolicy {
    allow_private: bool,
}

/// A target the policy refuses; the message names the host and why, never a path or query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressRefused {
    pub host: String,
    pub reason: &'static str,
}

impl fmt::Display for EgressRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}; the gateway only calls public addresses",
            self.host, self.reason
        )
    }
}

impl std::error::Error for EgressRefused {}

impl EgressPolicy {
    /// Only public unicast addresses (the production default).
    pub const PUBLIC_ONLY: Self = Self {
        allow_private: false,
    };

    /// Anything, loopback included: for the built-in simulators, tests and a vendor sandbox
    /// on the operator's own network.
    pub const ALLOW_PRIVATE: Self = Self {
        allow_private: true,
    };

    pub fn new(allow_private: bool) -> Self {
        Self { allow_private }
    }

    pub fn allows_private(&self) -> bool {
        self.allow_private
    }

    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        self.allow_private || is_public_ip(ip)
    }

    /// The URL's host, as text: IP literals by address, names that are private by
    /// definition (`localhost`, `*.internal`, …). Names are checked again, by address, when
    /// the resolver runs.
    pub fn check_url(&self, url: &Url) -> Result<(), EgressRefused> {
        match url.host() {
            None => Err(EgressRefused {
                host: "the URL".into(),
                reason: "has no host",
            }),
            Some(host) => self.check_host(&host),
        }
    }

    pub fn check_host(&self, host: &Host<&str>) -> Result<(), EgressRefused> {
        if self.allow_private {
            return Ok(());
        }
        let (ip, shown) = match host {
            Host::Ipv4(ip) => (IpAddr::V4(*ip), ip.to_string()),
            Host::Ipv6(ip) => (IpAddr::V6(*ip), format!("[{ip}]")),
            Host::Domain(name) => {
                return if is_private_name(name) {
                    Err(EgressRefused {
                        host: (*name).to_string(),
                        reason: "is a local name",
                    })
                } else {
                    Ok(())
                }
            }
        };
        if is_public_ip(ip) {
            Ok(())
        } else {
            Err(EgressRefused {
                host: shown,
                reason: "is a loopback, private or reserved address",
            })
        }
    }

    /// A reqwest DNS resolver that keeps only the addresses this policy allows.
    pub fn resolver(&self) -> Arc<EgressResolver> {
        Arc::new(EgressResolver { policy: *self })
    }
}

/// The system resolver, keeping only the addresses its policy allows.
pub struct EgressResolver {
    policy: EgressPolicy,
}

impl reqwest::dns::Resolve for EgressResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy;
        Box::pin(async move {
            let host = name.as_str().to_string();
            if !policy.allow_private && is_private_name(&host) {
                return Err(Box::new(EgressRefused {
                    host,
                    reason: "is a local name",
                })
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| policy.allows_ip(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(Box::new(EgressRefused {
                    host,
                    reason: "resolves only to loopback, private or reserved addresses",
                })
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The refusal inside a client error, when the policy is why the request failed.
pub fn refusal_in<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a EgressRefused> {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if let Some(r) = e.downcast_ref::<EgressRefused>() {
            return Some(r);
        }
        cur = e.source();
    }
    None
}

/// Names that are local by definition (RFC 6761 `localhost`, the `.internal`/`.local`
/// conventions), with or without the trailing root dot.
pub fn is_private_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name.is_empty()
        || name == "localhost"
        || [".localhost", ".internal", ".local", ".localdomain"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
}

/// Public unicast: not loopback, private, link-local, shared (CGNAT), benchmarking,
/// documentation, multicast, reserved or unspecified — and for IPv6 forms that carry an
/// IPv4 address (mapped, NAT64), the same of that address.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let refused = a == 0 // "this network"
        || a == 10
        || a == 127
        || (a == 100 && (b & 0xc0) == 64) // 100.64.0.0/10 shared address space (CGNAT)
        || (a == 169 && b == 254) // link-local, cloud metadata
        || (a == 172 && (b & 0xf0) == 16)
        || (a == 192 && b == 168)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // TEST-NET-1
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 198 && (b & 0xfe) == 18) // 198.18.0.0/15 benchmarking
        || (a == 198 && b == 51 && c == 100) // TEST-NET-2
        || (a == 203 && b == 0 && c == 113) // TEST-NET-3
        || a >= 224; // multicast, reserved, broadcast
    !refused
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) reach that IPv4 address.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded_v4(s));
    }
    // Only global unicast (2000::/3) may be public. This refuses ::/8 (unspecified,
    // loopback, IPv4-compatible ::a.b.c.d), 100::/64 discard, fc00::/7 unique-local,
    // fe80::/10 link-local, fec0::/10 site-local, ff00::/8 multicast and the
    // local-use NAT64 64:ff9b:1::/48.
    if (s[0] & 0xe000) != 0x2000 {
        return false;
    }
    // 2001::/23 IETF protocol assignments (Teredo included) and 2001:db8::/32 documentation.
    let refused = (s[0] == 0x2001 && (s[1] < 0x0200 || s[1] == 0x0db8))
        || (s[0] & 0xfff0) == 0x3ff0 // 3fff::/20 documentation
        || (s[0] == 0x2002 && !is_public_v4(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ))); // 6to4 carrying a private IPv4
    !refused
}

fn embedded_v4(s: [u16; 8]) -> Ipv4Addr {
    Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public_ip(s.parse().unwrap())
    }

    #[test]
    fn refuses_every_non_public_range() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.1.2.3",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::127.0.0.1",
            "::8.8.8.8",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "100::1",
            "2001::1",
            "2001:db8::1",
            "2002:7f00:1::1",
            "3fff::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
        ] {
            assert!(!public(ip), "{ip} must be refused");
        }
    }

    #[test]
    fn allows_public_addresses() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "198.20.0.1",
            "2606:4700:4700::1111",
            "2001:4860:4860::8888",
            "64:ff9b::808:808",
            "::ffff:8.8.8.8",
            "2002:808:808::1",
        ] {
            assert!(public(ip), "{ip} is public");
        }
    }

    #[test]
    fn literal_urls_are_checked_by_address() {
        let p = EgressPolicy::PUBLIC_ONLY;
        for bad in [
            "http://127.0.0.1:9000/x",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::7f00:1]/",
            "http://[::ffff:7f00:1]/",
            "http://198.18.0.1/",
            "http://localhost./",
            "http://LOCALHOST/",
            "http://a.localhost/",
            "http://metadata.google.internal/",
        ] {
            let url = Url::parse(bad).unwrap();
            assert!(p.check_url(&url).is_err(), "{bad}");
            assert!(EgressPolicy::ALLOW_PRIVATE.check_url(&url).is_ok(), "{bad}");
        }
        let ok = Url::parse("https://api.heymilo.network/x").unwrap();
        assert!(p.check_url(&ok).is_ok());
    }

    /// The machine's own hostname resolves to loopback here (as on most hosts): a name no
    /// text check knows, refused by address.
    #[tokio::test]
    async fn the_resolver_drops_private_answers() {
        use reqwest::dns::Resolve;
        use std::str::FromStr;
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        let host = host.trim().to_string();
        assert!(!is_private_name(&host));
        let resolved: Vec<_> = tokio::net::lookup_host((host.as_str(), 0))
            .await
            .unwrap()
            .collect();
        assert!(
            !resolved.is_empty() && resolved.iter().all(|a| !is_public_ip(a.ip())),
            "precondition: {host} resolves to private addresses only: {resolved:?}"
        );
        let name = || reqwest::dns::Name::from_str(&host).unwrap();
        let err = match EgressPolicy::PUBLIC_ONLY.resolver().resolve(name()).await {
            Ok(_) => panic!("{host} must not resolve"),
            Err(e) => e,
        };
        let refused = refusal_in(err.as_ref()).expect("an egress refusal");
        assert!(refused.reason.starts_with("resolves only"), "{refused}");
        let allowed = EgressPolicy::ALLOW_PRIVATE.resolver().resolve(name()).await;
        assert!(allowed.is_ok_and(|mut a| a.next().is_some()));
    }
}
