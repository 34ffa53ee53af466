//! Client authentication at the token, introspection and revocation endpoints:
//! `client_secret_basic`, `client_secret_post`, `private_key_jwt` (RFC 7523; checked in
//! `service::oauth::client_assertions`), and `none` for public clients (which then rely on
//! PKCE). One method per request (RFC 6749 §2.3), and the one the client registered.

use crate::api::oidc::params::Params;
use crate::service::oauth::client_assertions::{self, ASSERTION_TYPE};
use crate::service::oauth::client_rules::AuthMethod;
use crate::service::oauth::clients::{self, Client};
use crate::service::oauth::errors::OAuthError;
use crate::state::AppState;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use poem::Request;
use poem::http::header;
use std::sync::Arc;

/// Credentials from `Authorization: Basic` (form-encoded id and secret, RFC 6749 §2.3.1).
fn basic(req: &Request) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || OAuthError::InvalidClient("The Authorization header is not valid.".into());
    let value = value.to_str().map_err(|_| bad())?;
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return Err(bad());
    };
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
            .ok()
            .and_then(|v| v.into_iter().next())
            .map(|(_, v)| v)
            .unwrap_or_default()
    };
    Ok(Some((unescape(id), unescape(secret))))
}

/// The authenticated client. `allow_public`: whether a public client (no secret) may call.
pub async fn authenticate(
    state: &AppState,
    req: &Request,
    params: &Params,
    allow_public: bool,
) -> Result<Arc<Client>, OAuthError> {
    let from_header = basic(req)?;
    if let Some(assertion) = params.get("client_assertion") {
        return by_assertion(state, params, assertion, from_header.is_some()).await;
    }
    if params.get("client_assertion_type").is_some() {
        return Err(OAuthError::InvalidRequest(
            "client_assertion_type was sent without a client_assertion.".into(),
        ));
    }
    let (client_id, secret) = match (from_header, params.get("client_secret")) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::InvalidRequest(
                "Use one client authentication method, not two.".into(),
            ));
        }
        (Some((id, secret)), None) => {
            if params.get("client_id").is_some_and(|p| p != id) {
                return Err(OAuthError::InvalidClient(
                    "client_id does not match the credentials.".into(),
                ));
            }
            (id, Some(secret))
        }
        (None, secret) => (
            params
                .get("client_id")
                .ok_or_else(|| OAuthError::InvalidClient("client_id is required.".into()))?
                .to_owned(),
            secret.map(str::to_owned),
        ),
    };
    let unknown = || OAuthError::InvalidClient("Client authentication failed.".into());
    let client = clients::by_client_id(state, &client_id)
        .await
        .map_err(OAuthError::Server)?
        .ok_or_else(unknown)?;
    if client.model.public {
        if secret.as_deref().is_some_and(|s| !s.is_empty()) {
            return Err(unknown());
        }
        if !allow_public {
            return Err(OAuthError::InvalidClient(
                "Public clients cannot use this endpoint.".into(),
            ));
        }
        return Ok(client);
    }
    if client.auth_method == AuthMethod::PrivateKeyJwt {
        return Err(OAuthError::InvalidClient(
            "This client authenticates with private_key_jwt.".into(),
        ));
    }
    match secret {
        Some(s) if client.secret_matches(&s) => Ok(client),
        _ => Err(unknown()),
    }
}

/// `private_key_jwt`: `client_assertion` and its type, and no other credentials; a
/// `client_id`, when sent, must be the assertion's issuer.
async fn by_assertion(
    state: &AppState,
    params: &Params,
    assertion: &str,
    with_basic: bool,
) -> Result<Arc<Client>, OAuthError> {
    if with_basic || params.get("client_secret").is_some() {
        return Err(OAuthError::InvalidRequest(
            "Use one client authentication method, not two.".into(),
        ));
    }
    if params.get("client_assertion_type") != Some(ASSERTION_TYPE) {
        return Err(OAuthError::InvalidClient(format!(
            "client_assertion_type must be {ASSERTION_TYPE}."
        )));
    }
    let client = client_assertions::authenticate(state, assertion, state.now()).await?;
    if params
        .get("client_id")
        .is_some_and(|id| id != client.model.client_id)
    {
        return Err(OAuthError::InvalidClient(
            "client_id does not match the client assertion.".into(),
        ));
    }
    Ok(client)
}
