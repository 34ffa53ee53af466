//! SMART Backend Services: `grant_type=client_credentials` for a client the practice registered
//! as a backend service, authenticated with `private_key_jwt` (the token endpoint checked the
//! assertion). The token names the practice and the client, with the `system/` scopes asked
//! for, each covered by a registered one; no patient, no refresh token, no ID token.

use crate::auth::system_tokens::{self, MAX_SYSTEM_TOKEN_TTL_SECS};
use crate::auth::tokens::PracticeClaim;
use crate::domain::oauth::parse_scopes;
use crate::service::oauth::client_rules::AuthMethod;
use crate::service::oauth::clients::{self, Client};
use crate::service::oauth::errors::OAuthError;
use crate::service::oauth::tokens::TokenResponse;
use crate::state::AppState;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::practices;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// How long this server's system tokens live: [`MAX_SYSTEM_TOKEN_TTL_SECS`], or the
/// configured access-token lifetime when that is shorter.
pub fn ttl_secs(state: &AppState) -> i64 {
    Ord::min(
        MAX_SYSTEM_TOKEN_TTL_SECS,
        state.settings.access_token_ttl_secs,
    )
}

/// Issues a system token to `client` for `scope` (required: SMART asks for it).
pub async fn grant(
    state: &AppState,
    client: &Client,
    scope: Option<&str>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<TokenResponse, OAuthError> {
    if !client.model.backend_service || client.auth_method != AuthMethod::PrivateKeyJwt {
        return Err(OAuthError::UnauthorizedClient(
            "Only a client registered as a backend service may use client_credentials.".into(),
        ));
    }
    let scope = scope.ok_or_else(|| {
        OAuthError::InvalidScope("scope is required: the system scopes wanted.".into())
    })?;
    let scopes =
        parse_scopes(scope).map_err(|e| OAuthError::InvalidScope(format!("The scope {e}.")))?;
    if let Some(bad) = scopes.iter().find(|s| !s.is_system() || !client.covers(s)) {
        return Err(OAuthError::InvalidScope(format!(
            "The scope {:?} is not allowed for this client.",
            bad.as_str()
        )));
    }
    let granted: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    let granted = granted.join(" ");
    let practice = practices::find(&state.db, client.model.practice_id)
        .await?
        .ok_or_else(|| OAuthError::InvalidClient("The client's practice is gone.".into()))?;
    let keyset = state.keys.current(now).await;
    let ttl = ttl_secs(state);
    let access_token = system_tokens::sign(
        &keyset,
        state.settings.issuer(),
        &client.model.client_id,
        PracticeClaim {
            id: practice.id,
            slug: practice.slug,
        },
        &granted,
        ttl,
        now,
    )?;
    // Who fetched system access to the practice's data, and for what: kept like any access.
    audit::record(
        &state.db,
        meta,
        Event::new("oauth.system_token_issued", Actor::Anonymous)
            .practice(client.model.practice_id)
            .detail(json!({"client_id": client.model.client_id, "scope": granted})),
        now,
    )
    .await?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: ttl,
        refresh_token: None,
        id_token: None,
        scope: granted,
        patient: None,
        encounter: None,
    })
}

/// RFC 7662 for a system token presented by a client of the token's practice: active while
/// the token is fresh and its client is still that practice's backend service; `None` when
/// `token` is not a system token.
pub async fn introspect(
    state: &AppState,
    client: &Client,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<Value>, OAuthError> {
    let issuer = state.settings.issuer();
    let Ok(claims) = system_tokens::verify(&state.keys, token, issuer, now).await else {
        return Ok(None);
    };
    let issued_to = clients::by_client_id(state, &claims.client_id)
        .await
        .map_err(OAuthError::Server)?;
    let live = issued_to
        .is_some_and(|c| c.model.backend_service && c.model.practice_id == claims.practice.id);
    if !live || claims.practice.id != client.model.practice_id {
        return Ok(Some(json!({"active": false})));
    }
    Ok(Some(json!({
        "active": true,
        "token_type": "Bearer",
        "scope": claims.scope,
        "client_id": claims.client_id,
        "sub": claims.sub,
        "aud": claims.aud,
        "iss": claims.iss,
        "exp": claims.exp,
        "iat": claims.iat,
        "jti": claims.jti,
        "practice": claims.practice,
    })))
}

/// RFC 7009 §2.2.1: a system token is not revocable (it lives minutes and has no session to
/// end), and its client is told so rather than led to think it was revoked.
pub async fn refuse_revocation(
    state: &AppState,
    client: &Client,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(), OAuthError> {
    let issuer = state.settings.issuer();
    match system_tokens::verify(&state.keys, token, issuer, now).await {
        Ok(claims) if claims.client_id == client.model.client_id => {
            Err(OAuthError::UnsupportedTokenType(format!(
                "System tokens cannot be revoked; they expire within {} seconds.",
                ttl_secs(state)
            )))
        }
        _ => Ok(()),
    }
}
