//! Where a webhook may be sent: an `http(s)` URL whose host is not (and does not resolve
//! to) an address inside the operator's network, unless the operator allows that
//! (`--allow-private-webhooks`). Checked when an endpoint is registered (the URL, and an
//! address written in it) and at every delivery after the name is resolved: the client
//! connects only to the addresses checked here ([`GuardedResolver`]), so a name that
//! resolves differently later cannot lead it inside.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Host;

/// Why a target is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("A webhook URL must be an http:// or https:// URL with a host.")]
    NotHttp,
    #[error(
        "The webhook target {0} is a loopback, link-local, private, shared, unspecified or \
         multicast address; the server refuses it unless started with --allow-private-webhooks."
    )]
    Refused(String),
}

/// Whether `ip` is one a webhook may not reach without the operator's leave: loopback,
/// link-local, private (RFC 1918, unique local), shared (CGNAT, 100.64.0.0/10), "this
/// network", unspecified, broadcast, documentation and multicast addresses, and IPv6 forms
/// that embed such an IPv4 address.
pub fn refused(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => refused_v4(a),
        IpAddr::V6(a) => refused_v6(a),
    }
}

fn refused_v4(a: Ipv4Addr) -> bool {
    let [o0, o1, ..] = a.octets();
    a.is_loopback()
        || a.is_private()
        || a.is_link_local()
        || a.is_unspecified()
        || a.is_broadcast()
        || a.is_multicast()
        || a.is_documentation()
        || o0 == 0
        || (o0 == 100 && (64..128).contains(&o1))
        || o0 >= 240
}

fn refused_v6(a: Ipv6Addr) -> bool {
    let first = a.segments()[0];
    if a.is_loopback() || a.is_unspecified() || a.is_multicast() {
        return true;
    }
    // Unique local fc00::/7, link-local fe80::/10, the old site-local fec0::/10.
    if (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80 || (first & 0xffc0) == 0xfec0 {
        return true;
    }
    // IPv4-mapped and -compatible (::ffff:a.b.c.d, ::a.b.c.d) and NAT64 (64:ff9b::/96).
    if let Some(v4) = a.to_ipv4() {
        return refused_v4(v4);
    }
    let s = a.segments();
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6].iter().all(|&x| x == 0) {
        let [.., a1, a2, a3, a4] = a.octets();
        return refused_v4(Ipv4Addr::new(a1, a2, a3, a4));
    }
    false
}

/// The URL of a webhook, if it may be one: `http` or `https`, a host, and (unless
/// `allow_private`) no refused address or `localhost` name written in it. A name is checked
/// again, once resolved, at each delivery.
pub fn check_url(raw: &str, allow_private: bool) -> Result<Url, TargetError> {
    let url = Url::parse(raw.trim()).map_err(|_| TargetError::NotHttp)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(TargetError::NotHttp);
    }
    let host = url.host().ok_or(TargetError::NotHttp)?;
    if allow_private {
        return Ok(url);
    }
    let refused_host = match &host {
        Host::Ipv4(a) => refused_v4(*a),
        Host::Ipv6(a) => refused_v6(*a),
        Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
    };
    if refused_host {
        return Err(TargetError::Refused(host.to_string()));
    }
    Ok(url)
}

/// The addresses a delivery may connect to: all of them, or an error when any is refused
/// (a name that also points inside is not trusted with the rest).
pub fn allowed_addrs(
    addrs: Vec<SocketAddr>,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, TargetError> {
    if !allow_private && let Some(bad) = addrs.iter().find(|a| refused(a.ip())) {
        return Err(TargetError::Refused(bad.ip().to_string()));
    }
    Ok(addrs)
}

/// The delivery client's resolver: the system's, with [`allowed_addrs`] applied.
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let addrs = allowed_addrs(addrs, allow_private)?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn inside_addresses_are_refused() {
        for a in [
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
        ] {
            assert!(refused(ip(a)), "{a} should be refused");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for a in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.32.0.1",
            "192.169.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(!refused(ip(a)), "{a} should be allowed");
        }
    }

    #[test]
    fn a_url_must_be_http_with_a_host() {
        for bad in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "example.com/hook",
            "javascript:alert(1)",
            "http://",
            "",
        ] {
            assert_eq!(check_url(bad, true), Err(TargetError::NotHttp), "{bad}");
        }
        assert!(check_url("https://example.com/hook", false).is_ok());
        assert!(check_url("HTTP://Example.com:8080/h?x=1", false).is_ok());
    }

    #[test]
    fn a_url_naming_an_inside_address_is_refused_unless_allowed() {
        for bad in [
            "http://127.0.0.1:9000/",
            "http://[::1]/",
            "http://localhost/",
            "http://LOCALHOST./x",
            "http://api.localhost/",
            "https://10.0.0.5/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://[::ffff:192.168.0.1]/",
            "http://0x7f000001/",
            "http://2130706433/",
        ] {
            assert!(
                matches!(check_url(bad, false), Err(TargetError::Refused(_))),
                "{bad}"
            );
            assert!(check_url(bad, true).is_ok(), "{bad} with the flag");
        }
    }

    #[tokio::test]
    async fn the_client_resolver_refuses_a_name_that_resolves_inside() {
        let guarded = GuardedResolver {
            allow_private: false,
        };
        let name: Name = "localhost".parse().unwrap();
        let refusal = guarded.resolve(name).await.err().unwrap();
        assert!(
            refusal.to_string().contains("--allow-private-webhooks"),
            "{refusal}"
        );
        let allowed = GuardedResolver {
            allow_private: true,
        };
        let addrs: Vec<SocketAddr> = allowed
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }

    #[test]
    fn resolved_addresses_are_refused_if_any_is_inside() {
        let public: SocketAddr = "93.184.216.34:0".parse().unwrap();
        let inside: SocketAddr = "10.0.0.1:0".parse().unwrap();
        assert_eq!(allowed_addrs(vec![public], false), Ok(vec![public]));
        assert!(allowed_addrs(vec![public, inside], false).is_err());
        assert_eq!(
            allowed_addrs(vec![public, inside], true),
            Ok(vec![public, inside])
        );
    }
}
