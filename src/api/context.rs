//! Facts about the request every audit row and log line needs: client IP, user agent and
//! request id.

use crate::error::Error;
use crate::state::AppState;
use poem::http::header;
use poem::web::RemoteAddr;
use poem::{FromRequest, Request, RequestBody};
use std::net::IpAddr;

/// Where the request came from, read off it by the extractor below (handlers take it as an
/// argument and pass it to the service they call).
pub use crate::domain::request::RequestMeta;

/// The id the edge middleware gave this request; in logs, problem bodies and `X-Request-Id`.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The shared state, attached to every request by the router.
pub fn state_of(req: &Request) -> Result<&AppState, Error> {
    req.data::<AppState>()
        .ok_or_else(|| Error::internal(anyhow::anyhow!("AppState missing")))
}

/// The client's address. `X-Forwarded-For` counts only when the peer is a trusted proxy, and
/// then the right-most address that is not itself a trusted proxy is the client.
pub fn client_ip(req: &Request, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = match req.remote_addr() {
        RemoteAddr(poem::Addr::SocketAddr(sa)) => Some(sa.ip()),
        _ => None,
    };
    let peer_trusted = peer.is_some_and(|ip| trusted.contains(&ip));
    if peer_trusted
        && let Some(xff) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
    {
        let from_chain = xff
            .rsplit(',')
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .find(|ip| !trusted.contains(ip));
        if from_chain.is_some() {
            return from_chain;
        }
    }
    peer
}

impl<'a> FromRequest<'a> for RequestMeta {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let state = state_of(req)?;
        Ok(RequestMeta {
            ip: client_ip(req, &state.settings.trusted_proxies).map(|ip| ip.to_string()),
            user_agent: req
                .headers()
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
        })
    }
}
