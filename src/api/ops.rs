//! Operations endpoints: liveness, readiness, metrics.

use crate::db;
use crate::error::Error;
use crate::state::AppState;
use poem::http::{StatusCode, header};
use poem::web::Data;
use poem::{IntoResponse, Response, handler};

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

/// Prometheus text exposition.
#[handler]
pub fn metrics(state: Data<&AppState>) -> Response {
    Response::builder()
        .header(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )
        .body(state.metrics.render())
}
