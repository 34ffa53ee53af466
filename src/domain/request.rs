//! Where a request came from, as the audit trail records it. Plain data: the API reads it off
//! the request (`api::context`), services pass it down, the store writes it next to each event.

/// Where the request came from: client IP (from a trusted proxy only), user agent, request id.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl RequestMeta {
    /// For work that no request caused (CLI, background jobs).
    pub fn none() -> Self {
        Self::default()
    }
}
