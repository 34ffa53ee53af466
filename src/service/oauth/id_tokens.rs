//! ID tokens (OpenID Connect Core §2): their claims and signing (RS256 by default, EdDSA
//! for clients that ask for it).

use crate::auth::keys::{KeyAlg, Keyset};
use crate::auth::tokens;
use crate::domain::oauth::at_hash;
use crate::error::Error;
use crate::service::oauth::clients::{Client, IdTokenAlg};
use crate::state::AppState;
use crate::store::session;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The claims of an ID token (OpenID Connect Core §2).
#[derive(Debug, Serialize)]
struct IdTokenClaims<'a> {
    iss: &'a str,
    sub: String,
    aud: &'a str,
    azp: &'a str,
    exp: i64,
    iat: i64,
    auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    amr: Vec<&'a str>,
    at_hash: String,
    /// The session: `/oauth2/logout` ends it when this token is the `id_token_hint`.
    sid: String,
    /// SMART App Launch: the user's FHIR resource, with the `fhirUser` scope (`domain::acting`).
    #[serde(rename = "fhirUser", skip_serializing_if = "Option::is_none")]
    fhir_user: Option<String>,
}

/// Signs an ID token for a session, with the client's algorithm.
#[allow(clippy::too_many_arguments)]
pub fn id_token(
    state: &AppState,
    keyset: &Keyset,
    client: &Client,
    session: &session::Model,
    nonce: Option<&str>,
    access_token: &str,
    fhir_user: Option<String>,
    now: DateTime<Utc>,
) -> Result<String, Error> {
    let alg = match client.id_token_alg {
        IdTokenAlg::Rs256 => KeyAlg::Rs256,
        IdTokenAlg::EdDsa => KeyAlg::EdDsa,
    };
    let key = keyset
        .signing_key(alg)
        .ok_or_else(|| Error::internal(anyhow::anyhow!("no {} key is loaded", alg.as_str())))?;
    let claims = IdTokenClaims {
        iss: state.settings.issuer(),
        sub: session.account_id.to_string(),
        aud: &client.model.client_id,
        azp: &client.model.client_id,
        exp: now.timestamp() + state.settings.access_token_ttl_secs,
        iat: now.timestamp(),
        auth_time: session.auth_time.timestamp(),
        nonce,
        amr: session.amr.split_whitespace().collect(),
        at_hash: at_hash(access_token, alg == KeyAlg::EdDsa),
        sid: session.id.to_string(),
        fhir_user,
    };
    tokens::sign(key, "JWT", &claims)
}
