//! The stylesheet, embedded in the binary and served under a content-hashed URL with a
//! year-long cache: a new stylesheet gets a new URL, so no browser keeps a stale one.

use crate::crypto::secrets::hash_token;
use poem::http::{StatusCode, header};
use poem::web::Path;
use poem::{Response, handler};
use std::sync::LazyLock;

/// `web/static/portico.css`, as built.
pub const STYLESHEET: &str = include_str!("../../web/static/portico.css");

static STYLESHEET_URL: LazyLock<String> = LazyLock::new(|| {
    let hash = hash_token(STYLESHEET);
    format!("/static/portico.{}.css", &hash[..16])
});

/// Where pages link the stylesheet: `/static/portico.{hash}.css`.
pub fn stylesheet_url() -> &'static str {
    STYLESHEET_URL.as_str()
}

/// Serves the stylesheet at its current URL; any other name under `/static/` is not found.
#[handler]
pub async fn stylesheet(Path(file): Path<String>) -> poem::Result<Response> {
    if format!("/static/{file}") != stylesheet_url() {
        return Err(crate::error::Error::NotFound.into());
    }
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/css; charset=utf-8")
        .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
        .body(STYLESHEET))
}
