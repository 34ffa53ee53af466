//! RP-initiated logout: which sessions end and where the browser goes next.

use crate::auth::keys::KeyAlg;
use crate::error::{Error, Result};
use crate::service::oauth_clients;
use crate::service::sessions::{self, ended};
use crate::service::web_sessions;
use crate::state::AppState;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Validation, decode, decode_header};
use sea_orm::TransactionTrait;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Deserialize)]
struct HintClaims {
    sub: String,
    aud: String,
    #[serde(default)]
    sid: Option<String>,
}

/// An ID token we issued, checked for signature and issuer; its expiry does not matter here
/// (OpenID Connect RP-Initiated Logout §2: an expired hint is still a hint).
async fn verify_hint(state: &AppState, token: &str, now: DateTime<Utc>) -> Option<HintClaims> {
    if token.len() > 8 * 1024 {
        return None;
    }
    let header = decode_header(token).ok()?;
    let alg = [KeyAlg::Rs256, KeyAlg::EdDsa]
        .into_iter()
        .find(|a| a.jwt() == header.alg)?;
    if header.jku.is_some() || header.x5u.is_some() || header.jwk.is_some() {
        return None;
    }
    let kid = header.kid?;
    let keyset = state.keys.for_kid(&kid, now).await?;
    let key = keyset.verifying_key(&kid, now).filter(|k| k.alg == alg)?;
    let mut validation = Validation::new(alg.jwt());
    validation.set_issuer(&[state.settings.issuer()]);
    validation.set_required_spec_claims(&["iss", "sub", "aud"]);
    validation.validate_exp = false;
    validation.validate_aud = false;
    decode::<HintClaims>(token, &key.decoding, &validation)
        .ok()
        .map(|d| d.claims)
}

/// Ends the browser's web session (`cookie_token`) and the hint's session; returns where to
/// redirect, if a registered post-logout URI was asked for.
#[allow(clippy::too_many_arguments)]
pub async fn logout(
    state: &AppState,
    cookie_token: Option<&str>,
    id_token_hint: Option<&str>,
    client_id: Option<&str>,
    post_logout_redirect_uri: Option<&str>,
    logout_state: Option<&str>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    let hint = match id_token_hint {
        Some(t) => Some(verify_hint(state, t, now).await.ok_or_else(|| {
            Error::MalformedRequest("The id_token_hint is not an ID token from this portal.".into())
        })?),
        None => None,
    };
    let client_id = match (&hint, client_id) {
        (Some(h), Some(c)) if h.aud != c => {
            return Err(Error::MalformedRequest(
                "client_id does not match the id_token_hint.".into(),
            ));
        }
        (Some(h), _) => Some(h.aud.clone()),
        (None, c) => c.map(str::to_owned),
    };
    // Where to go is decided before anything ends, so a bad request changes nothing.
    let target = match post_logout_redirect_uri {
        None => None,
        Some(uri) => {
            let client = match &client_id {
                Some(id) => oauth_clients::by_client_id(state, id).await?,
                None => None,
            };
            let client = client
                .filter(|c| c.has_post_logout_redirect_uri(uri))
                .ok_or_else(|| {
                    Error::MalformedRequest(
                        "The app asked to return to an address it has not registered.".into(),
                    )
                })?;
            let mut pairs: Vec<(&str, &str)> = Vec::new();
            if let Some(s) = logout_state {
                pairs.push(("state", s));
            }
            let sep = if uri.contains('?') { '&' } else { '?' };
            Some((
                client,
                if pairs.is_empty() {
                    uri.to_owned()
                } else {
                    format!(
                        "{uri}{sep}{}",
                        serde_urlencoded::to_string(&pairs).unwrap_or_default()
                    )
                },
            ))
        }
    };
    let txn = state.db.begin().await?;
    if let Some(token) = cookie_token {
        web_sessions::end(&txn, token, now).await?;
    }
    if let Some(h) = &hint
        && let Some(sid) = h.sid.as_deref().and_then(|s| s.parse::<Uuid>().ok())
        && sessions::end_one(&txn, sid, ended::LOGOUT, now).await?
    {
        let account = h.sub.parse::<Uuid>().ok();
        let mut event = Event::new("logout", account.map_or(Actor::Anonymous, Actor::Account))
            .detail(json!({"session_id": sid, "client_id": client_id}));
        if let Some(a) = account {
            event = event.account(a);
        }
        audit::record(&txn, meta, event, now).await?;
    }
    txn.commit().await?;
    Ok(target.map(|(_, url)| url))
}
