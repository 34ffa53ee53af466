//! `private_key_jwt` client authentication (RFC 7523 §2.2, §3; OpenID Connect Core §9; SMART
//! Backend Services): the client signs a short-lived JWT with one of its registered keys.
//!
//! Checks, in order, each failure `invalid_client` (401): the header's `alg` is one of
//! `client_keys::ASSERTION_ALGS` and names a `kid`; the client named by `iss` exists and
//! authenticates with `private_key_jwt`; the `kid` is one of its keys and that key is pinned to
//! the header's `alg`; the signature verifies (jsonwebtoken); `iss` and `sub` are the client
//! id; `aud` is the token endpoint URL or the issuer; `exp` is present, not past and at most
//! [`MAX_LIFETIME_SECS`] ahead (with `tokens::LEEWAY_SECS` for clock skew); `nbf`/`iat`, when
//! present, not in the future; `jti` present and never seen before for this client. The `jti`
//! is spent by one guarded INSERT (`store::client_assertions`), so a replay, even a concurrent
//! one, is refused.

use crate::auth::tokens::LEEWAY_SECS;
use crate::crypto::client_keys::{ASSERTION_ALGS, KeyRefusal, alg_name};
use crate::service::oauth::client_rules::AuthMethod;
use crate::service::oauth::clients::{self, Client};
use crate::service::oauth::errors::OAuthError;
use crate::state::AppState;
use crate::store::client_assertions;
use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Validation, dangerous, decode, decode_header};
use serde::Deserialize;
use std::sync::Arc;

/// `client_assertion_type` of a JWT assertion (RFC 7523 §2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// How far ahead an assertion's `exp` may be (SMART Backend Services: no more than 5 minutes).
pub const MAX_LIFETIME_SECS: i64 = 300;
/// Longer assertions are refused before any parsing.
const MAX_ASSERTION_BYTES: usize = 8 * 1024;
/// Longer `jti` values are refused (they are stored).
const MAX_JTI_LEN: usize = 255;

/// `iss`, read before the signature is checked only to find whose keys check it.
#[derive(Deserialize)]
struct Issuer {
    iss: String,
}

#[derive(Deserialize)]
struct AssertionClaims {
    exp: i64,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    iat: Option<i64>,
    #[serde(default)]
    jti: Option<String>,
}

fn refused(why: impl Into<String>) -> OAuthError {
    OAuthError::InvalidClient(why.into())
}

/// The client a `client_assertion` authenticates; see the module comment for the checks.
pub async fn authenticate(
    state: &AppState,
    assertion: &str,
    now: DateTime<Utc>,
) -> Result<Arc<Client>, OAuthError> {
    if assertion.len() > MAX_ASSERTION_BYTES {
        return Err(refused("The client assertion is too long."));
    }
    let header =
        decode_header(assertion).map_err(|_| refused("The client assertion is not a JWT."))?;
    if !ASSERTION_ALGS.contains(&header.alg) {
        return Err(refused(
            "The client assertion's alg must be RS256, RS384, ES256, ES384 or EdDSA.",
        ));
    }
    if header.crit.is_some() {
        return Err(refused(
            "The client assertion has critical headers Portico does not know.",
        ));
    }
    let kid = header
        .kid
        .as_deref()
        .ok_or_else(|| refused("The client assertion's header must name the key (kid)."))?;
    let issuer = dangerous::insecure_decode::<Issuer>(assertion)
        .map_err(|_| refused("The client assertion has no iss."))?
        .claims
        .iss;
    let client = clients::by_client_id(state, &issuer)
        .await
        .map_err(OAuthError::Server)?
        .ok_or_else(|| refused("Client authentication failed."))?;
    if client.auth_method != AuthMethod::PrivateKeyJwt {
        return Err(refused(
            "This client does not authenticate with private_key_jwt.",
        ));
    }
    let key = client.keys.find(kid, header.alg).map_err(|e| match e {
        KeyRefusal::UnknownKid => refused(format!("The client has no key with kid {kid:?}.")),
        KeyRefusal::AlgMismatch => refused(format!(
            "The key {kid:?} is not registered for {}.",
            alg_name(header.alg)
        )),
    })?;
    let claims = verify(state, assertion, key, &header.alg, &client.model.client_id)?;
    check_times(&claims, now)?;
    let jti = claims
        .jti
        .filter(|j| !j.is_empty() && j.len() <= MAX_JTI_LEN)
        .ok_or_else(|| refused("The client assertion needs a jti (1 to 255 characters)."))?;
    // Kept until the assertion could no longer pass `check_times` anyway.
    let keep_until = DateTime::<Utc>::from_timestamp(claims.exp + LEEWAY_SECS, 0)
        .unwrap_or(now + TimeDelta::seconds(MAX_LIFETIME_SECS + LEEWAY_SECS));
    if !client_assertions::spend(&state.db, client.model.id, &jti, keep_until, now).await? {
        return Err(refused("The client assertion has already been used (jti)."));
    }
    client_assertions::purge_expired(&state.db, now).await?;
    Ok(client)
}

/// The signature, `iss`, `sub` and `aud`, by jsonwebtoken with the key's pinned algorithm.
fn verify(
    state: &AppState,
    assertion: &str,
    key: &jsonwebtoken::DecodingKey,
    alg: &jsonwebtoken::Algorithm,
    client_id: &str,
) -> Result<AssertionClaims, OAuthError> {
    let issuer = state.settings.issuer();
    let mut validation = Validation::new(*alg);
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    validation.set_issuer(&[client_id]);
    validation.sub = Some(client_id.to_owned());
    validation.set_audience(&[format!("{issuer}/oauth2/token"), issuer.to_owned()]);
    // Times against the server's clock below (tests move it), not the system time.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.leeway = 0;
    decode::<AssertionClaims>(assertion, key, &validation)
        .map(|d| d.claims)
        .map_err(|e| {
            refused(match e.kind() {
                ErrorKind::InvalidSignature => "The client assertion's signature does not verify.",
                ErrorKind::InvalidAudience => {
                    "The client assertion's aud must be the token endpoint URL or the issuer."
                }
                ErrorKind::InvalidIssuer | ErrorKind::InvalidSubject => {
                    "The client assertion's iss and sub must both be the client id."
                }
                ErrorKind::MissingRequiredClaim(_) | ErrorKind::Json(_) => {
                    "The client assertion needs iss, sub, aud, exp and jti."
                }
                _ => "The client assertion is not valid.",
            })
        })
}

fn check_times(claims: &AssertionClaims, now: DateTime<Utc>) -> Result<(), OAuthError> {
    let now = now.timestamp();
    if claims.exp + LEEWAY_SECS < now {
        return Err(refused("The client assertion has expired."));
    }
    if claims.exp > now + MAX_LIFETIME_SECS + LEEWAY_SECS {
        return Err(refused(
            "The client assertion's exp may be at most 5 minutes ahead.",
        ));
    }
    let future = |t: Option<i64>| t.is_some_and(|t| t > now + LEEWAY_SECS);
    if future(claims.nbf) || future(claims.iat) {
        return Err(refused("The client assertion is not valid yet."));
    }
    Ok(())
}
