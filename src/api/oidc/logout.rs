//! `/oauth2/logout`: RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0). Ends the
//! browser's web session and, with a valid `id_token_hint`, the session the ID token was
//! issued in; then returns to a registered `post_logout_redirect_uri` (with `state`) or shows
//! a signed-out page.

use crate::api::oidc::params::Params;
use crate::service::oauth_logout;
use crate::state::AppState;
use crate::store::audit::RequestMeta;
use crate::web::errors::error_page;
use crate::web::page::Page;
use crate::web::session::{CurrentSession, clear_session_cookie};
use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::web::Data;
use poem::{Body, IntoResponse, Request, Response, handler};

#[handler]
pub async fn logout(
    req: &Request,
    state: Data<&AppState>,
    meta: RequestMeta,
    session: CurrentSession,
    body: Body,
) -> Response {
    let params = if req.method() == Method::POST {
        Params::from_form(req, body).await
    } else {
        Params::from_query(req)
    };
    let Ok(params) = params else {
        return error_page(
            &crate::error::Error::MalformedRequest("The logout request is malformed.".into()),
            None,
        )
        .into_response();
    };
    let outcome = oauth_logout::logout(
        &state,
        session.0.as_ref().map(|s| s.token.as_str()),
        params.get("id_token_hint"),
        params.get("client_id"),
        params.get("post_logout_redirect_uri"),
        params.get("state"),
        &meta,
        state.now(),
    )
    .await;
    let mut resp = match outcome {
        Ok(Some(to)) => Response::builder()
            .status(StatusCode::FOUND)
            .header(header::LOCATION, to)
            .finish(),
        Ok(None) => Page::new("oidc/signed_out.html", ()).into_response(),
        Err(e) => error_page(&e, None).into_response(),
    };
    if session.0.is_some()
        && let Ok(v) = HeaderValue::from_str(&clear_session_cookie(&state.settings))
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}
