//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): what a request asks for, and
//! which sessions end.
//!
//! - Only an ID token that Portico issued to a registered client is an `id_token_hint`: JOSE
//!   `typ` `JWT` (an access token, `at+jwt`, is refused), a key of ours, our issuer, and an
//!   `aud` (and `azp`) naming a registered client. Anything else is refused before anything
//!   ends. Its session ends only if it is that client's session at that client's practice.
//! - The request is checked ([`check`]) before anything ends ([`end`]), so a bad request changes
//!   nothing. Whether the browser's own session may end without asking is the handler's call
//!   (`api::oidc::logout`): only with a hint for the account signed in, or after the person
//!   confirms on Portico's page (a form with the CSRF token).

use crate::auth::keys::KeyAlg;
use crate::error::{Error, Result};
use crate::service::oauth::clients::{self, Client};
use crate::service::sessions::browser;
use crate::service::sessions::ending::ended;
use crate::state::AppState;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::sessions::{self as session_rows, Live, Owner};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Validation, decode, decode_header};
use sea_orm::TransactionTrait;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

/// The JOSE `typ` of Portico's ID tokens.
const ID_TOKEN_TYP: &str = "JWT";

#[derive(Debug, Deserialize)]
struct HintClaims {
    sub: String,
    aud: String,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    sid: Option<String>,
}

/// A valid `id_token_hint`: who it was issued to and about.
#[derive(Debug, Clone)]
pub struct Hint {
    /// The account the ID token is about (`sub`).
    pub account_id: Uuid,
    /// The grant it came from (`sid`), if it names one.
    pub session_id: Option<Uuid>,
    /// The registered client it was issued to (`aud`).
    pub client: Arc<Client>,
}

/// A logout request whose parameters were all found good.
#[derive(Debug, Clone)]
pub struct Checked {
    pub hint: Option<Hint>,
    /// The client named by the hint or by `client_id`.
    pub client: Option<Arc<Client>>,
    /// The registered `post_logout_redirect_uri` with `state`, when one was asked for.
    pub target: Option<String>,
}

impl Checked {
    /// Whether the hint is about `account_id` (the account signed in on this browser).
    pub fn hint_is_for(&self, account_id: Uuid) -> bool {
        self.hint
            .as_ref()
            .is_some_and(|h| h.account_id == account_id)
    }
}

/// The claims of an ID token we issued, checked for `typ`, signature and issuer; its expiry
/// does not matter here (RP-Initiated Logout §2: an expired hint is still a hint).
async fn verify_signature(state: &AppState, token: &str, now: DateTime<Utc>) -> Option<HintClaims> {
    if token.len() > 8 * 1024 {
        return None;
    }
    let header = decode_header(token).ok()?;
    if !header
        .typ
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(ID_TOKEN_TYP))
    {
        return None;
    }
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

/// An ID token Portico issued to a registered client, or `None`.
async fn verify_hint(state: &AppState, token: &str, now: DateTime<Utc>) -> Result<Option<Hint>> {
    let Some(claims) = verify_signature(state, token, now).await else {
        return Ok(None);
    };
    if claims.azp.as_deref().is_some_and(|azp| azp != claims.aud) {
        return Ok(None);
    }
    let Ok(account_id) = claims.sub.parse::<Uuid>() else {
        return Ok(None);
    };
    let Some(client) = clients::by_client_id(state, &claims.aud).await? else {
        return Ok(None);
    };
    Ok(Some(Hint {
        account_id,
        session_id: claims.sid.as_deref().and_then(|s| s.parse().ok()),
        client,
    }))
}

fn refused(why: &str) -> Error {
    Error::MalformedRequest(why.to_owned())
}

/// Checks a logout request; ends nothing. A hint that is not an ID token Portico issued to a
/// registered client, a `client_id` that differs from the hint's, and an unregistered return
/// address are refused.
pub async fn check(
    state: &AppState,
    id_token_hint: Option<&str>,
    client_id: Option<&str>,
    post_logout_redirect_uri: Option<&str>,
    logout_state: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Checked> {
    let hint = match id_token_hint {
        Some(t) => Some(verify_hint(state, t, now).await?.ok_or_else(|| {
            refused("The id_token_hint is not an ID token this portal issued to an app.")
        })?),
        None => None,
    };
    let client = match (&hint, client_id) {
        (Some(h), Some(c)) if h.client.model.client_id != c => {
            return Err(refused("client_id does not match the id_token_hint."));
        }
        (Some(h), _) => Some(h.client.clone()),
        (None, Some(c)) => clients::by_client_id(state, c).await?,
        (None, None) => None,
    };
    let target = match post_logout_redirect_uri {
        None => None,
        Some(uri) => {
            if !client
                .as_ref()
                .is_some_and(|c| c.has_post_logout_redirect_uri(uri))
            {
                return Err(refused(
                    "The app asked to return to an address it has not registered.",
                ));
            }
            let sep = if uri.contains('?') { '&' } else { '?' };
            Some(match logout_state {
                Some(s) => format!(
                    "{uri}{sep}{}",
                    serde_urlencoded::to_string([("state", s)]).unwrap_or_default()
                ),
                None => uri.to_owned(),
            })
        }
    };
    Ok(Checked {
        hint,
        client,
        target,
    })
}

/// Ends the browser's web session (`cookie_token`) and the hint's grant: the session named by
/// its `sid`, only while it is that client's session for that account at that client's
/// practice (one guarded update).
pub async fn end(
    state: &AppState,
    cookie_token: Option<&str>,
    checked: &Checked,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    let txn = state.db.begin().await?;
    if let Some(token) = cookie_token {
        browser::end(&txn, token, now).await?;
    }
    if let Some(h) = &checked.hint
        && let Some(sid) = h.session_id
    {
        let owner = Owner {
            account_id: h.account_id,
            client_id: &h.client.model.client_id,
            practice_id: h.client.model.practice_id,
        };
        let was_live =
            session_rows::end_live(&txn, Live::Owned(sid, owner), ended::LOGOUT, now).await? == 1;
        if was_live {
            let event = Event::new("logout", Actor::Account(h.account_id))
                .account(h.account_id)
                .practice(h.client.model.practice_id)
                .detail(json!({"session_id": sid, "client_id": h.client.model.client_id}));
            audit::record(&txn, meta, event, now).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}
