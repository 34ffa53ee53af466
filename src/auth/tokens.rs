//! Access tokens: JWTs per RFC 9068 (`typ: at+jwt`), signed with the current EdDSA key.
//!
//! Verification follows RFC 8725: the algorithm is pinned (EdDSA), the key comes only from
//! the local keyset by `kid` (`jku`, `x5u`, `x5c` and `jwk` headers are refused), the type must
//! be `at+jwt` (an ID token or any other JWT is refused), `iss` must be ours, `aud` must be the
//! audience of the practice the token names, and `exp`, `nbf` and `iat` are checked against the
//! server's clock with [`LEEWAY_SECS`] of leeway.
//!
//! Audience: `{issuer}/practices/{slug}`; a token is for one practice.

use crate::auth::keys::{KeyAlg, KeyStore, Keyset, PublishedKey};
use crate::auth::verified::Verified;
use crate::error::Error;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Validation, decode, decode_header};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use crate::auth::keys::LEEWAY_SECS;
/// The JOSE `typ` of access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
/// `client_id` of tokens from Portico's own login API (`POST /api/v1/login`).
pub const FIRST_PARTY_CLIENT_ID: &str = "portico";
/// `scope` of first-party tokens: the patient portal API.
pub const PORTAL_SCOPE: &str = "portal";
/// Longer strings are refused before any parsing.
const MAX_TOKEN_BYTES: usize = 8 * 1024;

pub use crate::auth::claims::{AccessClaims, PatientClaim, PracticeClaim};

/// The audience of a practice's tokens.
pub fn audience(issuer: &str, practice_slug: &str) -> String {
    format!("{issuer}/practices/{practice_slug}")
}

#[derive(Serialize)]
struct JoseHeader<'a> {
    alg: &'a str,
    typ: &'a str,
    kid: &'a str,
}

/// Signs claims as a compact JWS with a key parsed once (no per-token key parsing).
pub fn sign<C: Serialize>(key: &PublishedKey, typ: &str, claims: &C) -> Result<String, Error> {
    let header = JoseHeader {
        alg: key.alg.as_str(),
        typ,
        kid: &key.kid,
    };
    let mut token = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).map_err(Error::internal)?);
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).map_err(Error::internal)?));
    let signature = key.sign(token.as_bytes());
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(signature));
    Ok(token)
}

fn is_access_token_typ(typ: Option<&str>) -> bool {
    // RFC 9068 §4: "at+jwt" or the full media type "application/at+jwt".
    typ.is_some_and(|t| {
        t.eq_ignore_ascii_case(ACCESS_TOKEN_TYP) || t.eq_ignore_ascii_case("application/at+jwt")
    })
}

/// Checks an access token and returns its claims; anything wrong is `unauthorized`. It does
/// not look at the database: the caller checks that the access still stands. A backend
/// service's token (`auth::system_tokens`) is never a patient's: it has no session, patients
/// or `amr`, and its subject is the client. A token whose signature verified before skips the
/// parsing and the signature (`auth::verified`), not the checks of its key, time and audience.
pub async fn verify_access_token(
    keys: &KeyStore,
    token: &str,
    issuer: &str,
    now: DateTime<Utc>,
) -> Result<AccessClaims, Error> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Error::Unauthorized);
    }
    if let Some(hit) = keys.verified().get(token) {
        // The key that signed it must still be usable now, as on a first check.
        usable_key(keys, &hit.kid, now).await?;
        return current(hit.claims.clone(), issuer, now);
    }
    let (claims, kid) = verify_signed_by::<AccessClaims>(keys, token, issuer, now).await?;
    let claims = current(claims, issuer, now)?;
    let verified = Verified {
        kid,
        claims: claims.clone(),
    };
    keys.verified().put(token, verified, now.timestamp());
    Ok(claims)
}

/// The checks an access token's claims pass on every use: ours, in time, for its practice,
/// and a patient's (not a backend service's).
fn current(claims: AccessClaims, issuer: &str, now: DateTime<Utc>) -> Result<AccessClaims, Error> {
    let now_secs = now.timestamp();
    let fresh = claims.exp + LEEWAY_SECS >= now_secs
        && claims.iat <= now_secs + LEEWAY_SECS
        && claims.nbf.is_none_or(|nbf| nbf <= now_secs + LEEWAY_SECS);
    if !fresh
        || claims.iss != issuer
        || claims.aud != audience(issuer, &claims.practice.slug)
        || claims.sub == claims.client_id
    {
        return Err(Error::Unauthorized);
    }
    Ok(claims)
}

/// The keyset holding `kid`, when that key may verify access tokens now.
async fn usable_key(
    keys: &KeyStore,
    kid: &str,
    now: DateTime<Utc>,
) -> Result<std::sync::Arc<Keyset>, Error> {
    let keyset = keys.for_kid(kid, now).await.ok_or(Error::Unauthorized)?;
    keyset
        .verifying_key(kid, now)
        .filter(|k| k.alg == KeyAlg::EdDsa)
        .ok_or(Error::Unauthorized)?;
    Ok(keyset)
}

/// The header, key, signature and `iss` checks every access token passes (see the module
/// comment); the caller checks the times, the audience and what the claims are.
pub async fn verify_signed<T: DeserializeOwned>(
    keys: &KeyStore,
    token: &str,
    issuer: &str,
    now: DateTime<Utc>,
) -> Result<T, Error> {
    Ok(verify_signed_by(keys, token, issuer, now).await?.0)
}

/// [`verify_signed`], also naming the key that signed the token.
async fn verify_signed_by<T: DeserializeOwned>(
    keys: &KeyStore,
    token: &str,
    issuer: &str,
    now: DateTime<Utc>,
) -> Result<(T, String), Error> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Error::Unauthorized);
    }
    let header = decode_header(token).map_err(|_| Error::Unauthorized)?;
    let alg = KeyAlg::EdDsa;
    if header.alg != alg.jwt()
        || !is_access_token_typ(header.typ.as_deref())
        || header.jku.is_some()
        || header.x5u.is_some()
        || header.x5c.is_some()
        || header.jwk.is_some()
        || header.crit.is_some()
    {
        return Err(Error::Unauthorized);
    }
    let kid = header.kid.ok_or(Error::Unauthorized)?;
    let keyset = usable_key(keys, &kid, now).await?;
    let key = keyset.verifying_key(&kid, now).ok_or(Error::Unauthorized)?;

    let mut validation = Validation::new(alg.jwt());
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.set_issuer(&[issuer]);
    // Time and audience are the caller's: time against the server's clock (tests move it),
    // audience against the practice the token names.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.leeway = 0;
    let claims = decode::<T>(token, &key.decoding, &validation)
        .map(|d| d.claims)
        .map_err(|_| Error::Unauthorized)?;
    Ok((claims, kid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_token_type_accepts_both_spellings_only() {
        assert!(is_access_token_typ(Some("at+jwt")));
        assert!(is_access_token_typ(Some("application/at+JWT")));
        assert!(!is_access_token_typ(Some("JWT")));
        assert!(!is_access_token_typ(None));
    }

    #[test]
    fn audience_names_the_practice() {
        assert_eq!(
            audience("https://id.example", "smith-family-clinic"),
            "https://id.example/practices/smith-family-clinic"
        );
    }
}
