//! Access tokens of SMART backend services (`client_credentials`): the same form and key as a
//! patient's (RFC 9068, EdDSA, `at+jwt`, audience of the practice), but their subject is the
//! client, and they name the practice and the `system/` scopes only: no account, session,
//! patient or `amr`. Patient endpoints refuse them (`tokens::verify_access_token`); resource
//! servers tell them apart by `sub` = `client_id` (or by introspection).

use crate::auth::keys::{KeyAlg, KeyStore, Keyset};
use crate::auth::tokens::{
    self, ACCESS_TOKEN_TYP, LEEWAY_SECS, PracticeClaim, audience, verify_signed,
};
use crate::error::Error;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long a system token lives at most (SMART Backend Services: five minutes is typical).
/// Shorter when the configured access-token lifetime is shorter (signing keys retire by it).
pub const MAX_SYSTEM_TOKEN_TTL_SECS: i64 = 300;

/// The claims of a backend service's access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemClaims {
    pub iss: String,
    /// The client id, as `client_id`.
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client_id: String,
    /// `system/…` scopes only.
    pub scope: String,
    pub practice: PracticeClaim,
}

/// Signs a system token for `client_id` of `practice`, valid `ttl_secs` from `now`.
pub fn sign(
    keyset: &Keyset,
    issuer: &str,
    client_id: &str,
    practice: PracticeClaim,
    scope: &str,
    ttl_secs: i64,
    now: DateTime<Utc>,
) -> Result<String, Error> {
    let key = keyset
        .signing_key(KeyAlg::EdDsa)
        .ok_or_else(|| Error::internal(anyhow::anyhow!("no EdDSA signing key is loaded")))?;
    let claims = SystemClaims {
        iss: issuer.to_owned(),
        sub: client_id.to_owned(),
        aud: audience(issuer, &practice.slug),
        exp: now.timestamp() + ttl_secs,
        iat: now.timestamp(),
        jti: Uuid::now_v7().to_string(),
        client_id: client_id.to_owned(),
        scope: scope.to_owned(),
        practice,
    };
    tokens::sign(key, ACCESS_TOKEN_TYP, &claims)
}

/// Checks a system token as `tokens::verify_access_token` checks a patient's; a patient's
/// token (whose subject is an account) is refused. The caller checks the client still stands.
pub async fn verify(
    keys: &KeyStore,
    token: &str,
    issuer: &str,
    now: DateTime<Utc>,
) -> Result<SystemClaims, Error> {
    let claims: SystemClaims = verify_signed(keys, token, issuer, now).await?;
    let now_secs = now.timestamp();
    let fresh = claims.exp + LEEWAY_SECS >= now_secs && claims.iat <= now_secs + LEEWAY_SECS;
    if !fresh
        || claims.sub != claims.client_id
        || claims.aud != audience(issuer, &claims.practice.slug)
    {
        return Err(Error::Unauthorized);
    }
    Ok(claims)
}
