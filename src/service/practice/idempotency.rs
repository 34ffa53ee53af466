//! `Idempotency-Key` on the practice API's POSTs (IETF httpapi idempotency-key draft): the
//! rules behind the middleware in `api::idempotency`. A key belongs to the credential that
//! sent it (its `scope`), is remembered for 24 hours, and is bound to the first request's
//! fingerprint (method target and body); the first response is kept sealed, because it may
//! carry a patient's details.

use crate::crypto::sealed::Sealer;
use crate::error::{Error, Result};
use crate::store::idempotency::{self, Stored};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

/// How long a key is remembered.
const TTL_HOURS: i64 = 24;

/// A request's key, as the middleware found it.
pub struct KeyUse<'a> {
    /// Whose key it is: a hash of the credential, so two practices' keys never meet.
    pub scope: &'a str,
    pub key: &'a str,
    /// A hash of the request's target and body.
    pub fingerprint: &'a str,
}

/// The first response, to answer a retry with.
pub struct Replay {
    pub status: i32,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

/// What a request whose key another request holds should do.
pub enum Earlier {
    /// The first request has answered: answer the same.
    Answered(Replay),
    /// The first request is still at work: wait and ask again.
    Working,
    /// The first request failed and gave the key back.
    GivenBack,
}

/// Forgets expired keys, then reserves this one: `Some(id)` when this request owns the key and
/// does the work (of two concurrent requests, the unique index lets only one in).
pub async fn reserve(
    db: &DatabaseConnection,
    used: &KeyUse<'_>,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>> {
    idempotency::forget_before(db, now - TimeDelta::hours(TTL_HOURS)).await?;
    Ok(idempotency::reserve(db, used.scope, used.key, used.fingerprint, now).await?)
}

/// Where the request that holds the key stands; the same key with another body is
/// `idempotency_key_reused`.
pub async fn earlier(
    db: &DatabaseConnection,
    sealer: &Sealer,
    used: &KeyUse<'_>,
) -> Result<Earlier> {
    let Some(row) = idempotency::find(db, used.scope, used.key).await? else {
        return Ok(Earlier::GivenBack);
    };
    if row.fingerprint != used.fingerprint {
        return Err(Error::IdempotencyKeyReused);
    }
    let (Some(status), Some(body)) = (row.status, row.body.as_deref()) else {
        return Ok(Earlier::Working);
    };
    let body = sealer
        .open(body, &row.id.to_string())
        .map_err(Error::Internal)?;
    Ok(Earlier::Answered(Replay {
        status,
        content_type: row.content_type,
        location: row.location,
        body,
    }))
}

/// Keeps the owner's successful response for retries.
pub async fn keep(
    db: &DatabaseConnection,
    sealer: &Sealer,
    id: Uuid,
    response: Replay,
) -> Result<()> {
    let stored = Stored {
        status: response.status,
        content_type: response.content_type,
        location: response.location,
        body: sealer
            .seal(&response.body[..], &id.to_string())
            .map_err(Error::Internal)?,
    };
    Ok(idempotency::complete(db, id, stored).await?)
}

/// Gives the key back after a failure, so a retry does the work.
pub async fn release(db: &DatabaseConnection, id: Uuid) -> Result<()> {
    Ok(idempotency::release(db, id).await?)
}
