//! `/oauth2/userinfo` (bearer access token), `/oauth2/introspect` and `/oauth2/revoke`
//! (client-authenticated).

use crate::api::context::RequestMeta;
use crate::api::oidc::client_auth;
use crate::api::oidc::params::{Params, error_response, json_response, request_id};
use crate::service::oauth::errors::OAuthError;
use crate::service::oauth::resources;
use crate::state::AppState;
use poem::http::{Method, StatusCode, header};
use poem::web::Data;
use poem::{Body, Request, Response, handler};

/// The bearer token of a userinfo request: the `Authorization` header, or (POST) the
/// `access_token` form parameter (RFC 6750 §2.1, §2.2).
async fn bearer(req: &Request, body: Body) -> Result<String, OAuthError> {
    if let Some(v) = req.headers().get(header::AUTHORIZATION) {
        let v = v.to_str().unwrap_or("");
        return v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
            .map(|t| t.trim().to_owned())
            .ok_or_else(|| OAuthError::InvalidToken("A Bearer token is required.".into()));
    }
    if req.method() == Method::POST {
        let params = Params::from_form(req, body).await?;
        if let Some(t) = params.get("access_token") {
            return Ok(t.to_owned());
        }
    }
    Err(OAuthError::InvalidToken(
        "A Bearer token is required.".into(),
    ))
}

#[handler]
pub async fn userinfo(req: &Request, state: Data<&AppState>, body: Body) -> Response {
    let result = async {
        let token = bearer(req, body).await?;
        resources::userinfo(&state, &token, state.now()).await
    }
    .await;
    match result {
        Ok(claims) => json_response(StatusCode::OK, &claims),
        Err(e) => error_response(&e, request_id(req).as_deref()),
    }
}

#[handler]
pub async fn introspect(req: &Request, state: Data<&AppState>, body: Body) -> Response {
    let result = async {
        let params = Params::from_form(req, body).await?;
        let client = client_auth::authenticate(&state, req, &params, false).await?;
        let token = params.require("token")?;
        resources::introspect(&state, &client, token, state.now()).await
    }
    .await;
    match result {
        Ok(answer) => json_response(StatusCode::OK, &answer),
        Err(e) => error_response(&e, request_id(req).as_deref()),
    }
}

#[handler]
pub async fn revoke(
    req: &Request,
    state: Data<&AppState>,
    meta: RequestMeta,
    body: Body,
) -> Response {
    let result = async {
        let params = Params::from_form(req, body).await?;
        let client = client_auth::authenticate(&state, req, &params, true).await?;
        let token = params.require("token")?;
        resources::revoke(&state, &client, token, &meta, state.now()).await
    }
    .await;
    match result {
        // RFC 7009 §2.2: 200 whether or not the token was valid.
        Ok(()) => json_response(StatusCode::OK, &serde_json::json!({})),
        Err(e) => error_response(&e, request_id(req).as_deref()),
    }
}
