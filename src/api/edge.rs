//! The middleware every request passes through, once: request id, body size limit, problem
//! details for every error (ours, poem's and poem-openapi's), security headers, metrics and
//! one log line per request. It names the operation, never the raw path, because paths such as
//! `/invite/{token}` carry secrets.

use crate::api::context::RequestId;
use crate::api::problem::{from_poem_error, render};
use crate::error::Error;
use crate::state::AppState;
use crate::telemetry::statements::count_statements;
use crate::web::PagePaths;
use poem::error::ReadBodyError;
use poem::http::{HeaderValue, Method, header};
use poem::middleware::CatchPanic;
use poem::{Endpoint, EndpointExt, IntoResponse, Middleware, Request, Response};
use poem_openapi::OperationId;
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;
use uuid::Uuid;

/// Which methods each route template answers, for the `Allow` header of a 405 (RFC 9110
/// §15.5.6 requires it; poem does not send it).
#[derive(Debug, Default)]
pub struct AllowIndex(Vec<(Vec<String>, Vec<String>)>);

impl AllowIndex {
    /// Built from the OpenAPI document plus the routes outside it.
    pub fn from_spec(spec: &serde_json::Value, extra: &[(&str, &[&str])]) -> Self {
        let mut routes = Vec::new();
        if let Some(paths) = spec.get("paths").and_then(|p| p.as_object()) {
            for (path, ops) in paths {
                let methods = ops
                    .as_object()
                    .map(|o| o.keys().map(|m| m.to_uppercase()).collect())
                    .unwrap_or_default();
                routes.push((segments(path), methods));
            }
        }
        for (path, methods) in extra {
            routes.push((
                segments(path),
                methods.iter().map(|m| m.to_string()).collect(),
            ));
        }
        Self(routes)
    }

    pub fn methods_for(&self, path: &str) -> Vec<String> {
        let want = segments(path);
        let matching: Vec<(usize, &Vec<String>)> = self
            .0
            .iter()
            .filter(|(tpl, _)| {
                tpl.len() == want.len()
                    && tpl
                        .iter()
                        .zip(&want)
                        .all(|(t, w)| t == w || (t.starts_with('{') && !w.is_empty()))
            })
            .map(|(tpl, m)| (tpl.iter().zip(&want).filter(|(t, w)| t == w).count(), m))
            .collect();
        // The router prefers literal segments: `/patients/export.csv` is not `/patients/{id}`.
        let best = matching.iter().map(|(literal, _)| *literal).max();
        let mut out: Vec<String> = matching
            .iter()
            .filter(|(literal, _)| Some(*literal) == best)
            .flat_map(|(_, m)| m.iter().cloned())
            .collect();
        if out.iter().any(|m| m == "GET") {
            out.push("HEAD".into());
        }
        out.sort();
        out.dedup();
        out
    }
}

fn segments(path: &str) -> Vec<String> {
    path.trim_matches('/')
        .split('/')
        .map(str::to_owned)
        .collect()
}

/// `Strict-Transport-Security` when the public URL is https.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

pub struct Edge {
    pub state: AppState,
    pub allow: Arc<AllowIndex>,
    pub pages: Arc<PagePaths>,
}

impl<E: Endpoint> Middleware<E> for Edge {
    type Output = EdgeEndpoint<
        poem::middleware::CatchPanicEndpoint<E, fn(Box<dyn std::any::Any + Send>) -> Response>,
    >;

    fn transform(&self, ep: E) -> Self::Output {
        let on_panic: fn(Box<dyn std::any::Any + Send>) -> Response =
            |_| Error::Internal(anyhow::anyhow!("handler panicked")).into_response();
        EdgeEndpoint {
            inner: ep.with(CatchPanic::new().with_handler(on_panic)),
            state: self.state.clone(),
            allow: Arc::clone(&self.allow),
            pages: Arc::clone(&self.pages),
        }
    }
}

pub struct EdgeEndpoint<E> {
    inner: E,
    state: AppState,
    allow: Arc<AllowIndex>,
    pages: Arc<PagePaths>,
}

impl<E: Endpoint> Endpoint for EdgeEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let started = Instant::now();
        let request_id = Uuid::new_v4().to_string();
        req.extensions_mut().insert(RequestId(request_id.clone()));
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let html = self.pages.wants_html(
            &path,
            req.headers()
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok()),
        );
        let span = tracing::info_span!("request", request_id = %request_id);

        let (outcome, statements) = count_statements(
            async {
                limit_body(&mut req, self.state.settings.max_body_bytes).await?;
                self.inner.call(req).await.map(IntoResponse::into_response)
            }
            .instrument(span.clone()),
        )
        .await;

        let (mut resp, operation) = match outcome {
            Ok(resp) => {
                let op = resp.data::<OperationId>().map(|o| o.0).unwrap_or("other");
                // A panic in a page handler comes back as a problem: show a page instead.
                let problem = resp
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .is_some_and(|v| v.as_bytes() == crate::api::problem::PROBLEM_JSON.as_bytes());
                if html && problem && resp.status().is_server_error() {
                    let page = crate::web::errors::error_page(
                        &Error::Internal(anyhow::anyhow!("handler panicked")),
                        Some(&request_id),
                    );
                    (page.into_response(), op)
                } else {
                    (resp, op)
                }
            }
            Err(err) => {
                let op = err
                    .data::<OperationId>()
                    .map(|o| o.0)
                    .unwrap_or("unmatched");
                let e = from_poem_error(
                    err,
                    method.as_str(),
                    || self.allow.methods_for(&path),
                    self.state.settings.max_body_bytes,
                );
                let _g = span.enter();
                let resp = if html {
                    crate::web::errors::error_page(&e, Some(&request_id)).into_response()
                } else {
                    render(&e, Some(&request_id))
                };
                (resp, op)
            }
        };

        let headers = resp.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            headers.insert("x-request-id", v);
        }
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        // Over https, browsers must never come back over plain http (a year; RFC 6797).
        if self.state.settings.is_https() {
            headers.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
            );
        }
        // Tokens and health records must not sit in caches (RFC 6749 §5.1, ASVS 14.3.2).
        if (path.starts_with("/api/") || path.starts_with("/oauth2/"))
            && !headers.contains_key(header::CACHE_CONTROL)
        {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        }

        let status = resp.status().as_u16();
        let elapsed = started.elapsed();
        self.state
            .metrics
            .record(operation, status, elapsed, statements);
        if method != Method::GET
            || status >= 400
            || !matches!(operation, "healthz" | "readyz" | "metrics")
        {
            tracing::info!(
                parent: &span,
                method = %method,
                operation,
                status,
                latency_ms = elapsed.as_secs_f64() * 1000.0,
                "request"
            );
        }
        Ok(resp)
    }
}

/// Refuses bodies over the limit, declared or streamed, before any handler reads them.
async fn limit_body(req: &mut Request, max: usize) -> Result<(), Error> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > max as u64 => return Err(Error::PayloadTooLarge { limit: max }),
        Some(_) => {}
        None if !req.headers().contains_key(header::TRANSFER_ENCODING) => return Ok(()),
        None => {}
    }
    match req.take_body().into_bytes_limit(max).await {
        Ok(bytes) => {
            req.set_body(bytes);
            Ok(())
        }
        Err(ReadBodyError::PayloadTooLarge) => Err(Error::PayloadTooLarge { limit: max }),
        Err(e) => Err(Error::MalformedRequest(format!(
            "The request body could not be read: {e}"
        ))),
    }
}

/// Names a route that is not part of the OpenAPI document, for metrics and logs. An extractor
/// that refuses a request with a response of its own (a page's "form expired", a redirect to
/// the login page: `web::guards`) answers with that response, under this name too.
pub fn labelled<E: Endpoint>(label: &'static str, ep: E) -> impl Endpoint<Output = Response> {
    ep.map_to_response().after(move |res| async move {
        let mut r = match res {
            Ok(r) => r,
            Err(e) if e.is_from_response() => e.into_response(),
            Err(e) => return Err(e),
        };
        r.set_data(OperationId(label));
        Ok(r)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_index_matches_templates() {
        let spec = serde_json::json!({"paths": {
            "/api/v1/practice/patients/{id}": {"get": {}, "patch": {}},
            "/api/v1/practice/patients": {"get": {}, "post": {}}
        }});
        let idx = AllowIndex::from_spec(&spec, &[("/healthz", &["GET"])]);
        assert_eq!(
            idx.methods_for("/api/v1/practice/patients/abc"),
            ["GET", "HEAD", "PATCH"]
        );
        assert_eq!(
            idx.methods_for("/api/v1/practice/patients"),
            ["GET", "HEAD", "POST"]
        );
        assert_eq!(idx.methods_for("/healthz"), ["GET", "HEAD"]);
        assert!(idx.methods_for("/nope").is_empty());
        let spec = serde_json::json!({"paths": {
            "/p/{id}": {"get": {}, "patch": {}},
            "/p/export.csv": {"get": {}}
        }});
        let literal = AllowIndex::from_spec(&spec, &[]);
        assert_eq!(literal.methods_for("/p/export.csv"), ["GET", "HEAD"]);
        assert_eq!(literal.methods_for("/p/1"), ["GET", "HEAD", "PATCH"]);
    }
}
