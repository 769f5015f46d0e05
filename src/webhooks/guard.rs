//! Where outgoing requests may go. A webhook URL is parsed with the URL standard's parser (so
//! `0x7f000001`, `2130706433` and `0177.0.0.1` are all 127.0.0.1), refused when it carries
//! user-info, and every address it names or resolves to is vetted: loopback, link-local,
//! unspecified, multicast, broadcast and IPv4-mapped/-translated IPv6 are never reached; private
//! LAN ranges are allowed unless `webhooks_allow_private = false`. The delivery client vets
//! the resolver's answers at connect time (`GuardedResolver`), so a name that later resolves
//! to the box itself (DNS rebinding) is still refused, and it follows no redirects.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::config::Config;
use crate::error::FieldError;

/// Which address classes an outgoing request may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Private LAN ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7).
    pub allow_private: bool,
    /// 127/8 and ::1: only for tests that run a receiver on this machine.
    pub allow_loopback: bool,
}

impl Policy {
    pub fn of(config: &Config) -> Policy {
        Policy { allow_private: config.webhooks_allow_private, allow_loopback: config.webhooks_allow_loopback }
    }

    /// Whether a request may connect to `ip`.
    pub fn allows(self, ip: IpAddr) -> bool {
        match class(ip) {
            Class::Public => true,
            Class::Private => self.allow_private,
            Class::Loopback => self.allow_loopback,
            Class::Forbidden => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Public,
    Private,
    Loopback,
    Forbidden,
}

fn class(ip: IpAddr) -> Class {
    match ip {
        IpAddr::V4(v4) => class_v4(v4),
        IpAddr::V6(v6) => class_v6(v6),
    }
}

fn class_v4(ip: Ipv4Addr) -> Class {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Class::Loopback
    } else if a == 0 || ip.is_link_local() || ip.is_multicast() || ip.is_broadcast() || a >= 240 {
        // 0/8 "this network" (0.0.0.0 reaches the box), 169.254/16 (cloud metadata), 224/4, 240/4.
        Class::Forbidden
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        Class::Private
    } else {
        Class::Public
    }
}

fn class_v6(ip: Ipv6Addr) -> Class {
    let seg = ip.segments();
    if ip.is_loopback() {
        Class::Loopback
    } else if ip.is_unspecified()
        || ip.is_multicast()
        // fe80::/10 link-local
        || (seg[0] & 0xffc0) == 0xfe80
        // ::ffff:0:0/96 IPv4-mapped and ::/96 IPv4-compatible: a v4 address in v6 clothing.
        || (seg[0..5] == [0, 0, 0, 0, 0] && (seg[5] == 0xffff || seg[5] == 0))
        // 64:ff9b::/96 NAT64 translates to any v4 address.
        || (seg[0] == 0x64 && seg[1] == 0xff9b)
    {
        Class::Forbidden
    } else if (seg[0] & 0xfe00) == 0xfc00 || (seg[0] & 0xffc0) == 0xfec0 {
        // fc00::/7 unique local, fec0::/10 site-local.
        Class::Private
    } else {
        Class::Public
    }
}

fn refused(code: &'static str, ru: &str, en: &str) -> FieldError {
    FieldError::new("url", code, ru, en)
}

/// Checks a webhook URL as typed: scheme, user-info, and a literal or well-known local host.
/// Returns the normalised URL (the one that is stored and requested).
pub fn check_url(raw: &str, policy: Policy) -> Result<Url, FieldError> {
    let bad_url = || refused("url", "Адрес должен начинаться с http:// или https://", "The URL must start with http:// or https://");
    if raw.len() > 500 || raw.contains(char::is_whitespace) {
        return Err(bad_url());
    }
    let url = Url::parse(raw).map_err(|_| bad_url())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad_url());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refused(
            "url_userinfo",
            "Адрес не должен содержать имя пользователя или пароль",
            "The URL must not contain a user name or password",
        ));
    }
    let forbidden = || refused("url_forbidden", "Этот адрес недоступен для вебхуков", "Webhooks cannot be sent to this address");
    match host(&url) {
        Some(Host::Ip(ip)) if !policy.allows(ip) => Err(forbidden()),
        Some(Host::Name(name)) if is_local_name(name) && !policy.allow_loopback => Err(forbidden()),
        Some(_) => Ok(url),
        None => Err(bad_url()),
    }
}

enum Host<'a> {
    Ip(IpAddr),
    Name(&'a str),
}

/// The URL's host as the parser normalised it: IPv4 in dotted decimal, IPv6 in brackets.
fn host(url: &Url) -> Option<Host<'_>> {
    let h = url.host_str().filter(|h| !h.is_empty())?;
    let bare = h.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(h);
    Some(match bare.parse::<IpAddr>() {
        Ok(ip) => Host::Ip(ip),
        Err(_) => Host::Name(h),
    })
}

/// `localhost` and its subdomains always mean this machine (RFC 6761).
fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// Resolves `url`'s host now and refuses it when any address is one the policy forbids (an
/// unresolvable name passes: the delivery will fail and say so). Used on save; delivery
/// vets again at connect time.
pub async fn check_resolved(url: &Url, policy: Policy) -> Result<(), FieldError> {
    let Some(Host::Name(name)) = host(url) else {
        return Ok(());
    };
    let port = url.port_or_known_default().unwrap_or(80);
    let Ok(Ok(addrs)) = tokio::time::timeout(Duration::from_secs(3), tokio::net::lookup_host((name, port))).await else {
        return Ok(());
    };
    if addrs.into_iter().all(|a| policy.allows(a.ip())) {
        Ok(())
    } else {
        Err(refused("url_forbidden", "Этот адрес недоступен для вебхуков", "Webhooks cannot be sent to this address"))
    }
}

/// The refusal a delivery records when a host resolves only to forbidden addresses.
#[derive(Debug, thiserror::Error)]
#[error("address not allowed")]
pub struct AddressNotAllowed;

/// The system resolver, with every answer the policy forbids removed; when none is left the
/// connection fails with `AddressNotAllowed`.
pub struct GuardedResolver {
    pub policy: Policy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.filter(|a| policy.allows(a.ip())).collect();
            if found.is_empty() {
                return Err(AddressNotAllowed.into());
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// The webhook delivery client: 10-second timeout, no redirects, no proxy from the
/// environment, every resolved address vetted.
pub fn client(policy: Policy) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("Dukan/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver { policy }))
        .build()
}

/// What the delivery log says about a failed request: a fixed vocabulary, never the
/// library's text (which names addresses and ports).
pub fn error_class(e: &reqwest::Error) -> &'static str {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<AddressNotAllowed>() {
            return "address not allowed";
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connection refused",
                std::io::ErrorKind::TimedOut => return "timeout",
                _ => {}
            }
        }
        // rustls is not a direct dependency: its errors are recognised by their text, which
        // is only looked at, never stored.
        let text = s.to_string().to_ascii_lowercase();
        if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
            return "TLS error";
        }
        source = s.source();
    }
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: Policy = Policy { allow_private: true, allow_loopback: false };

    fn check(raw: &str, policy: Policy, expected: Result<(), &str>) {
        let got = check_url(raw, policy).map(|_| ()).map_err(|e| e.code);
        assert_eq!(got, expected, "{raw}");
    }

    #[test]
    fn urls_to_this_machine_and_metadata_are_refused() {
        for raw in [
            "http://127.0.0.1:8080/",
            "http://127.1/",
            "http://0x7f000001/",
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://localhost/",
            "http://LocalHost./x",
            "http://api.localhost/",
            "http://169.254.169.254/latest/meta-data",
            "http://0.0.0.0/",
            "http://0/",
            "http://[::1]/",
            "http://[::]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://[fe80::1]/",
            "http://[64:ff9b::7f00:1]/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
        ] {
            check(raw, DEFAULT, Err("url_forbidden"));
        }
        check("http://user:pw@example.com/", DEFAULT, Err("url_userinfo"));
        check("http://user@example.com/", DEFAULT, Err("url_userinfo"));
        for raw in ["ftp://example.com/", "javascript:alert(1)", "http://", "http://a b/", "hook"] {
            check(raw, DEFAULT, Err("url"));
        }
    }

    #[test]
    fn public_and_lan_receivers_are_allowed_unless_the_operator_forbids_the_lan() {
        for raw in ["https://example.com/hook", "http://8.8.8.8/", "http://[2001:db8::1]:8443/x"] {
            check(raw, DEFAULT, Ok(()));
            check(raw, Policy { allow_private: false, allow_loopback: false }, Ok(()));
        }
        for raw in ["http://192.168.1.10:3000/", "http://10.0.0.1/", "http://172.16.5.5/", "http://100.64.0.1/", "http://[fd00::1]/"] {
            check(raw, DEFAULT, Ok(()));
            check(raw, Policy { allow_private: false, allow_loopback: false }, Err("url_forbidden"));
        }
        check("http://127.0.0.1:9/", Policy { allow_private: true, allow_loopback: true }, Ok(()));
        check("http://[::ffff:127.0.0.1]/", Policy { allow_private: true, allow_loopback: true }, Err("url_forbidden"));
    }

    #[tokio::test]
    async fn the_resolver_drops_forbidden_answers() {
        let guarded = GuardedResolver { policy: DEFAULT };
        let name: Name = "localhost".parse().expect("name");
        // The system resolver answers 127.0.0.1 / ::1 for it (/etc/hosts): every answer is
        // dropped, as for any name that resolves to this machine.
        let err = guarded.resolve(name).await.err().expect("refused");
        assert!(err.is::<AddressNotAllowed>(), "{err}");
        let open = GuardedResolver { policy: Policy { allow_private: true, allow_loopback: true } };
        let name: Name = "localhost".parse().expect("name");
        let addrs: Vec<SocketAddr> = open.resolve(name).await.expect("resolves").collect();
        assert!(!addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()));
    }
}
