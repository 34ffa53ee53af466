//! Resolving a destination and checking every address, then calling exactly the address that
//! was checked: a client pinned to it (`reqwest::ClientBuilder::resolve`), so a DNS answer that
//! changes between the check and the connection (rebinding) cannot redirect the request into
//! the operator's network. TLS still verifies the certificate against the host name.

use crate::domain::destination::{Destination, Refusal, check_public};
use std::net::SocketAddr;
use std::time::Duration;

/// How long a DNS lookup may take before the destination counts as unresolvable.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Resolves `dest` and returns its addresses when every one is public (or when
/// `allow_private`). One private address is enough to refuse: a resolver may hand out any.
pub async fn resolve(dest: &Destination, allow_private: bool) -> Result<Vec<SocketAddr>, Refusal> {
    let addrs: Vec<SocketAddr> = match (dest.literal(), dest.domain()) {
        (Some(ip), _) => vec![SocketAddr::new(ip, dest.port())],
        (None, Some(host)) => {
            let lookup = tokio::net::lookup_host((host, dest.port()));
            match tokio::time::timeout(LOOKUP_TIMEOUT, lookup).await {
                Ok(Ok(found)) => found.collect(),
                _ => Vec::new(),
            }
        }
        (None, None) => Vec::new(),
    };
    if addrs.is_empty() {
        return Err(Refusal::Unresolvable(dest.host().to_string()));
    }
    if !allow_private {
        for a in &addrs {
            check_public(a.ip())?;
        }
    }
    Ok(addrs)
}

/// An HTTP client that connects only to `addr` for `dest`'s host, follows no redirect (a
/// redirect would be a second, unchecked destination) and gives up after `timeout`.
pub fn pinned_client(
    dest: &Destination,
    addr: SocketAddr,
    timeout: Duration,
) -> reqwest::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .no_proxy();
    if let Some(host) = dest.domain() {
        builder = builder.resolve(host, addr);
    }
    builder.build()
}
