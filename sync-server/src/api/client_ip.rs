//! Who is calling, by network address, for rate limits. Behind a reverse proxy or load
//! balancer every connection comes from the proxy, so the client's address is read from
//! `X-Forwarded-For`, but only when the connection comes from a proxy the operator named
//! as trusted: anyone else could write any address there.

use super::AppState;
use super::error::ApiError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>) -> TrustedProxies {
        TrustedProxies(networks)
    }

    /// Reads a comma-separated list of addresses and networks, e.g. `10.0.0.0/8, ::1`.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{s:?} is not an IP address or network"))
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`: walking `X-Forwarded-For` from the right (the hop nearest
    /// to us), the first address that is not a trusted proxy. Without trusted proxies, or
    /// from an untrusted peer, the peer itself.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            // A malformed entry ends the trusted chain: keep the last address we trust.
            let Ok(ip) = hop.parse::<IpAddr>() else { break };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// The calling client's address (see the module doc).
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        Ok(ClientIp(state.trusted_proxies.client(peer, &parts.headers)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in xff {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_forwarded_header_is_ignored() {
        let none = TrustedProxies::default();
        let spoofed = headers(&["203.0.113.9"]);
        assert_eq!(
            none.client(ip("198.51.100.1"), &spoofed),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_untrusted_peers_cannot() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1").unwrap();
        let via_proxy = headers(&["203.0.113.9"]);
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &via_proxy),
            ip("203.0.113.9")
        );
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &via_proxy),
            ip("203.0.113.9")
        );
        assert_eq!(
            proxies.client(ip("198.51.100.1"), &via_proxy),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn addresses_a_client_wrote_before_the_proxies_are_not_believed() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        // The client sent "1.2.3.4" itself; two proxies of ours appended the real hops.
        let chain = headers(&["1.2.3.4, 203.0.113.9", "10.0.0.7"]);
        assert_eq!(proxies.client(ip("10.0.0.1"), &chain), ip("203.0.113.9"));
        let garbage = headers(&["1.2.3.4, not-an-ip, 10.0.0.7"]);
        assert_eq!(proxies.client(ip("10.0.0.1"), &garbage), ip("10.0.0.7"));
        assert_eq!(
            proxies.client(ip("10.0.0.1"), &headers(&[])),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn a_bad_proxy_list_is_a_clear_error() {
        let err = TrustedProxies::parse("10.0.0.0/8, example.com").unwrap_err();
        assert!(err.contains("example.com"), "{err}");
        assert_eq!(
            TrustedProxies::parse(" ").unwrap(),
            TrustedProxies::default()
        );
    }
}
