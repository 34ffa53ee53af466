//! `GET /oauth2/jwks`: the public signing keys (RFC 7517), from bytes serialised when the keys
//! were loaded. A strong ETag lets caches revalidate with `If-None-Match` (304, no body).

use crate::auth::keys::JWKS_MAX_AGE_SECS;
use crate::state::AppState;
use poem::http::{HeaderValue, StatusCode, header};
use poem::web::Data;
use poem::{Body, Request, Response, handler};

/// Whether an `If-None-Match` value matches the current ETag (RFC 9110 §13.1.2: weak
/// comparison, so `W/"x"` matches `"x"`; `*` matches anything).
fn none_match(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/") == etag)
}

#[handler]
pub async fn jwks(req: &Request, state: Data<&AppState>) -> Response {
    let keyset = state.keys.current(state.now()).await;
    let cache = format!("public, max-age={JWKS_MAX_AGE_SECS}");
    let not_modified = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| none_match(v, keyset.etag()));
    let builder = Response::builder()
        .header(header::ETAG, keyset.etag())
        .header(header::CACHE_CONTROL, cache);
    if not_modified {
        return builder.status(StatusCode::NOT_MODIFIED).body(Body::empty());
    }
    let mut resp = builder
        .status(StatusCode::OK)
        .body(Body::from_bytes(keyset.jwks().clone()));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_in_lists() {
        assert!(none_match("\"abc\"", "\"abc\""));
        assert!(none_match("W/\"abc\"", "\"abc\""));
        assert!(none_match("\"x\", \"abc\"", "\"abc\""));
        assert!(none_match("*", "\"abc\""));
        assert!(!none_match("\"abd\"", "\"abc\""));
    }
}
