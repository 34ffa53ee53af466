//! Where Portico may send a request of its own (a webhook now, a back-channel logout later):
//! an https URL whose every address is public. A URL pointing into the operator's network
//! (loopback, private ranges, link-local with the cloud metadata service at 169.254.169.254,
//! CGNAT, IPv6 unique-local …) would let a practice's admin key probe or call internal
//! services (server-side request forgery, OWASP ASVS 5.0 1.3.6). The rules here take no I/O;
//! `outbound::destination` resolves the host and applies them to each address, at
//! subscription and again at every delivery (DNS rebinding).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

/// Why a destination is refused; each has a stable problem code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a URL we can call: unparsable, credentials in it, too long, no host.
    Invalid(String),
    /// Plain http (allowed only with `PORTICO_WEBHOOK_ALLOW_PRIVATE=true`).
    NotHttps,
    /// The host resolves to an address that is not public.
    NotPublic { address: IpAddr, why: &'static str },
    /// The host does not resolve.
    Unresolvable(String),
}

impl Refusal {
    /// The problem code: stable, clients branch on it.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Invalid(_) => "destination_invalid",
            Refusal::NotHttps => "destination_not_https",
            Refusal::NotPublic { .. } => "destination_not_public",
            Refusal::Unresolvable(_) => "destination_unresolvable",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Refusal::Invalid(why) => format!("The URL is not valid: {why}."),
            Refusal::NotHttps => "The URL must use https.".into(),
            Refusal::NotPublic { address, why } => format!(
                "The URL's host resolves to {address}, a {why} address; only public addresses are allowed."
            ),
            Refusal::Unresolvable(host) => format!("The host {host} does not resolve."),
        }
    }
}

/// A parsed destination: its URL, host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    url: Url,
    host: Host<String>,
    port: u16,
}

pub const MAX_URL_LEN: usize = 2000;

impl Destination {
    /// Parses `raw`; https only unless `allow_private` (development and tests).
    pub fn parse(raw: &str, allow_private: bool) -> Result<Self, Refusal> {
        let raw = raw.trim();
        if raw.len() > MAX_URL_LEN {
            return Err(Refusal::Invalid(format!(
                "longer than {MAX_URL_LEN} characters"
            )));
        }
        let url = Url::parse(raw).map_err(|e| Refusal::Invalid(e.to_string()))?;
        match url.scheme() {
            "https" => {}
            "http" if allow_private => {}
            "http" => return Err(Refusal::NotHttps),
            _ => return Err(Refusal::Invalid("the scheme must be https".into())),
        }
        // Credentials in a URL end up in logs and listings; the signature authenticates us.
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refusal::Invalid(
                "it must not carry a user name or password".into(),
            ));
        }
        if url.fragment().is_some() {
            return Err(Refusal::Invalid("it must not have a fragment".into()));
        }
        let host = url
            .host()
            .map(|h| h.to_owned())
            .ok_or_else(|| Refusal::Invalid("it has no host".into()))?;
        let port = url
            .port_or_known_default()
            .ok_or_else(|| Refusal::Invalid("it has no port".into()))?;
        Ok(Self { url, host, port })
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    pub fn host(&self) -> &Host<String> {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The host as a DNS name, when it is not an address literal.
    pub fn domain(&self) -> Option<&str> {
        match &self.host {
            Host::Domain(d) => Some(d),
            _ => None,
        }
    }

    /// The address, when the host is an address literal.
    pub fn literal(&self) -> Option<IpAddr> {
        match &self.host {
            Host::Ipv4(a) => Some(IpAddr::V4(*a)),
            Host::Ipv6(a) => Some(IpAddr::V6(*a)),
            Host::Domain(_) => None,
        }
    }
}

/// `Ok` for an address on the public internet; otherwise what kind of address it is.
pub fn check_public(ip: IpAddr) -> Result<(), Refusal> {
    match not_public(ip) {
        None => Ok(()),
        Some(why) => Err(Refusal::NotPublic { address: ip, why }),
    }
}

/// What kind of non-public address `ip` is, or `None` when it is public.
pub fn not_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => not_public_v4(v4),
        IpAddr::V6(v6) => not_public_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn not_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    // RFC 6890's special-purpose registry, the parts that are not globally reachable.
    const RANGES: &[([u8; 4], u32, &str)] = &[
        ([169, 254, 169, 254], 32, "cloud metadata"),
        ([0, 0, 0, 0], 8, "unspecified (this network)"),
        ([10, 0, 0, 0], 8, "private"),
        ([100, 64, 0, 0], 10, "shared (CGNAT)"),
        ([127, 0, 0, 0], 8, "loopback"),
        ([169, 254, 0, 0], 16, "link-local"),
        ([172, 16, 0, 0], 12, "private"),
        ([192, 0, 0, 0], 24, "IETF protocol assignment"),
        ([192, 0, 2, 0], 24, "documentation"),
        ([192, 88, 99, 0], 24, "6to4 relay"),
        ([192, 168, 0, 0], 16, "private"),
        ([198, 18, 0, 0], 15, "benchmarking"),
        ([198, 51, 100, 0], 24, "documentation"),
        ([203, 0, 113, 0], 24, "documentation"),
        ([224, 0, 0, 0], 4, "multicast"),
        ([240, 0, 0, 0], 4, "reserved"),
    ];
    RANGES
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map(|(_, _, why)| *why)
}

fn not_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    // An IPv4 address inside IPv6 (mapped, NAT64's well-known prefix, 6to4) reaches that
    // IPv4 address: judge it as one.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return not_public_v4(v4);
    }
    let s = ip.segments();
    let o = ip.octets();
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4] {
        return not_public_v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    if s[0] == 0x2002 {
        return not_public_v4(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    match s[0] {
        // IPv4-compatible (deprecated) and other reserved forms under ::/8.
        0x0000..=0x00ff => Some("reserved"),
        0xfc00..=0xfdff => Some("unique-local"),
        0xfe80..=0xfebf => Some("link-local"),
        0xfec0..=0xfeff => Some("site-local"),
        0xff00..=0xffff => Some("multicast"),
        0x2001 if s[1] == 0x0db8 => Some("documentation"),
        // 2001::/23 holds Teredo and other special assignments; 2001:db8 is above.
        0x2001 if s[1] < 0x0200 => Some("IETF protocol assignment"),
        0x0100 if s[1..4] == [0; 3] => Some("discard-only"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(s: &str) -> Option<&'static str> {
        not_public(s.parse().unwrap())
    }

    #[test]
    fn private_loopback_link_local_cgnat_metadata_and_unspecified_are_not_public() {
        assert_eq!(why("127.0.0.1"), Some("loopback"));
        assert_eq!(why("10.1.2.3"), Some("private"));
        assert_eq!(why("172.31.255.255"), Some("private"));
        assert_eq!(why("192.168.0.10"), Some("private"));
        assert_eq!(why("169.254.169.254"), Some("cloud metadata"));
        assert_eq!(why("169.254.1.1"), Some("link-local"));
        assert_eq!(why("100.64.0.1"), Some("shared (CGNAT)"));
        assert_eq!(why("0.0.0.0"), Some("unspecified (this network)"));
        assert_eq!(why("::"), Some("unspecified"));
        assert_eq!(why("::1"), Some("loopback"));
        assert_eq!(why("fd00:ec2::254"), Some("unique-local"));
        assert_eq!(why("fe80::1"), Some("link-local"));
        assert_eq!(why("::ffff:127.0.0.1"), Some("loopback"));
        assert_eq!(why("::ffff:169.254.169.254"), Some("cloud metadata"));
        assert_eq!(why("64:ff9b::10.0.0.1"), Some("private"));
        assert_eq!(why("2002:c0a8:0001::1"), Some("private"));
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
        ] {
            assert_eq!(why(ip), None, "{ip}");
        }
    }

    #[test]
    fn only_https_without_credentials_unless_private_is_allowed() {
        assert_eq!(
            Destination::parse("http://example.org/hook", false),
            Err(Refusal::NotHttps)
        );
        assert!(Destination::parse("http://127.0.0.1:9/hook", true).is_ok());
        assert_eq!(
            Destination::parse("ftp://example.org/", true).map_err(|r| r.code()),
            Err("destination_invalid")
        );
        assert_eq!(
            Destination::parse("https://u:p@example.org/", false).map_err(|r| r.code()),
            Err("destination_invalid")
        );
        let d = Destination::parse("https://example.org/hook", false).unwrap();
        assert_eq!((d.domain(), d.port()), (Some("example.org"), 443));
        let d = Destination::parse("https://[::1]:8443/", false).unwrap();
        assert_eq!(d.literal(), Some("::1".parse().unwrap()));
    }
}
