//! `Idempotency-Key` on the practice API's POSTs (IETF httpapi idempotency-key draft; the
//! rules are `service::practice::idempotency`, this is the HTTP side): a retry
//! with the same key and body within 24 hours gets the first response again, without the work
//! being done twice; the same key with another body is 422 `idempotency_key_reused`. The key's
//! row is inserted before the work, so of two concurrent requests with one key only one does
//! it (the unique index decides); the other waits for its response. Keys belong to the
//! credential that sent them. A response that is not a success is not kept: the retry runs.

use crate::crypto::sealed::{Purpose, Sealer};
use crate::error::Error;
use crate::service::practice::idempotency::{self, Earlier, KeyUse, Replay};
use crate::state::AppState;
use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use sha2::{Digest, Sha256};
use std::time::Duration;

pub const HEADER: &str = "idempotency-key";
/// How long a retry waits for the first request's response before answering 409.
const WAIT_STEPS: u32 = 100;
const WAIT_STEP: Duration = Duration::from_millis(50);

pub struct Idempotency;

impl<E: Endpoint> Middleware<E> for Idempotency {
    type Output = IdempotencyEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        IdempotencyEndpoint { inner }
    }
}

pub struct IdempotencyEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for IdempotencyEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let applies = req.method() == Method::POST
            && req.original_uri().path().starts_with("/api/v1/practice/");
        let key = req
            .headers()
            .get(HEADER)
            .map(|v| v.to_str().map(str::to_owned));
        let (Some(key), true, Some(state)) = (key, applies, req.data::<AppState>().cloned()) else {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        };
        let key = match key {
            Ok(k) if (1..=255).contains(&k.len()) => k,
            _ => {
                return Err(Error::invalid(
                    "Idempotency-Key",
                    "must be 1 to 255 visible ASCII characters",
                )
                .into());
            }
        };
        let body = req.take_body().into_bytes().await?;
        let scope = hex(&Sha256::digest(
            req.headers()
                .get(header::AUTHORIZATION)
                .map(HeaderValue::as_bytes)
                .unwrap_or_default(),
        ));
        let mut hasher = Sha256::new();
        hasher.update(req.original_uri().to_string().as_bytes());
        hasher.update([0]);
        hasher.update(&body);
        let fingerprint = hex(&hasher.finalize());
        req.set_body(body);

        let sealer = Sealer::new(
            state
                .settings
                .key_encryption_secret
                .as_ref()
                .map(|s| s.expose()),
            Purpose::IdempotentResponse,
        )
        .map_err(Error::Internal)?;
        let db = &state.db;
        let used = KeyUse {
            scope: &scope,
            key: &key,
            fingerprint: &fingerprint,
        };
        if let Some(id) = idempotency::reserve(db, &used, state.now()).await? {
            let outcome = self.inner.call(req).await.map(IntoResponse::into_response);
            return match outcome {
                Ok(resp) if resp.status().is_success() => keep(&state, &sealer, id, resp).await,
                other => {
                    idempotency::release(db, id).await?;
                    other
                }
            };
        }
        for _ in 0..WAIT_STEPS {
            match idempotency::earlier(db, &sealer, &used).await? {
                Earlier::Answered(first) => return Ok(replay(first)),
                Earlier::Working => tokio::time::sleep(WAIT_STEP).await,
                // The first request failed and gave the key back: this one may do the work,
                // but only after a fresh reservation; the client retries.
                Earlier::GivenBack => break,
            }
        }
        Err(Error::Conflict(
            "A request with this Idempotency-Key is still being answered; retry shortly.".into(),
        )
        .into())
    }
}

async fn keep(
    state: &AppState,
    sealer: &Sealer,
    id: uuid::Uuid,
    resp: Response,
) -> poem::Result<Response> {
    let (parts, body) = resp.into_parts();
    let bytes = body.into_bytes().await?;
    let text = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let first = Replay {
        status: i32::from(parts.status.as_u16()),
        content_type: text(header::CONTENT_TYPE),
        location: text(header::LOCATION),
        body: bytes.to_vec(),
    };
    idempotency::keep(&state.db, sealer, id, first).await?;
    Ok(Response::from_parts(parts, bytes.into()))
}

fn replay(first: Replay) -> Response {
    let Replay {
        status,
        content_type,
        location,
        body,
    } = first;
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut resp = Response::builder()
        .status(status)
        .header("idempotent-replayed", "true");
    if let Some(ct) = content_type {
        resp = resp.content_type(ct);
    }
    if let Some(location) = location {
        resp = resp.header(header::LOCATION, location);
    }
    resp.body(body)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
