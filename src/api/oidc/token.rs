//! `POST /oauth2/token`: `authorization_code`, `refresh_token` and (SMART Backend Services)
//! `client_credentials` grants only (no implicit, no password grant: RFC 9700 §2.1.2, §2.4).

use crate::api::context::RequestMeta;
use crate::api::oidc::client_auth;
use crate::api::oidc::params::{Params, error_response, json_response, request_id};
use crate::service::oauth::client_credentials;
use crate::service::oauth::errors::OAuthError;
use crate::service::oauth::tokens::{self, TokenResponse};
use crate::state::AppState;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request, Response, handler};

#[handler]
pub async fn token(
    req: &Request,
    state: Data<&AppState>,
    meta: RequestMeta,
    body: Body,
) -> Response {
    match exchange(req, &state, &meta, body).await {
        Ok(tokens) => json_response(StatusCode::OK, &tokens),
        Err(e) => error_response(&e, request_id(req).as_deref()),
    }
}

async fn exchange(
    req: &Request,
    state: &AppState,
    meta: &RequestMeta,
    body: Body,
) -> Result<TokenResponse, OAuthError> {
    let params = Params::from_form(req, body).await?;
    let grant_type = params.require("grant_type")?;
    // Public clients may use the token endpoint: every code is bound to a PKCE challenge.
    let client = client_auth::authenticate(state, req, &params, true).await?;
    let now = state.now();
    match grant_type {
        "authorization_code" => {
            tokens::exchange_code(
                state,
                &client,
                params.require("code")?,
                params.get("redirect_uri"),
                params.get("code_verifier"),
                meta,
                now,
            )
            .await
        }
        "refresh_token" => {
            if !client.allows_scope(crate::domain::oauth::SCOPE_OFFLINE_ACCESS) {
                return Err(OAuthError::UnauthorizedClient(
                    "This client may not use refresh tokens.".into(),
                ));
            }
            tokens::refresh(
                state,
                &client,
                params.require("refresh_token")?,
                params.get("scope"),
                meta,
                now,
            )
            .await
        }
        "client_credentials" => {
            client_credentials::grant(state, &client, params.get("scope"), meta, now).await
        }
        other => Err(OAuthError::UnsupportedGrantType(format!(
            "The grant type {other:?} is not supported; use authorization_code, refresh_token \
             or client_credentials."
        ))),
    }
}
