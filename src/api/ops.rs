//! Operations endpoints: liveness, readiness, metrics.

use crate::crypto::secrets;
use crate::db;
use crate::error::Error;
use crate::service::operations;
use crate::state::AppState;
use poem::http::{StatusCode, header};
use poem::web::Data;
use poem::{IntoResponse, Request, Response, handler};

/// Liveness: the process is up and answering.
#[handler]
pub fn healthz() -> Response {
    Response::builder()
        .content_type("text/plain; charset=utf-8")
        .body("ok")
}

/// Readiness: the database answers. 503 otherwise, so a load balancer stops sending work.
#[handler]
pub async fn readyz(state: Data<&AppState>) -> Response {
    if db::ping(&state.db).await {
        Response::builder()
            .status(StatusCode::OK)
            .content_type("application/json")
            .body(r#"{"status":"ready"}"#)
    } else {
        Error::Unavailable.into_response()
    }
}

/// Prometheus text exposition. With `PORTICO_METRICS_TOKEN` set, only for a request that
/// presents it as a bearer token (compared in constant time); `401` otherwise.
#[handler]
pub async fn metrics(req: &Request, state: Data<&AppState>) -> Response {
    if let Some(want) = &state.settings.metrics_token {
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or("");
        // Compared as SHA-256 digests, so the time taken says nothing about the length either.
        let (presented, want) = (
            secrets::hash_token(presented),
            secrets::hash_token(want.expose().trim()),
        );
        if !secrets::constant_time_eq(presented.as_bytes(), want.as_bytes()) {
            return Response::builder()
                .status(StatusCode::UNAUTHORIZED)
                .header(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")
                .content_type("text/plain; charset=utf-8")
                .body("a bearer token is required\n");
        }
    }
    Response::builder()
        .header(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )
        .body(operations::metrics::render(&state, state.now()).await)
}
