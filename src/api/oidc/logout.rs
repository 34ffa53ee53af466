//! `/oauth2/logout`: RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).
//!
//! The request is checked first (`service::oauth::logout::check`): a hint that is not an ID
//! token Portico issued to a registered client, or an unregistered return address, gets the
//! error page and ends nothing. Then:
//! - with a valid `id_token_hint` for the account signed in on this browser (or with no one
//!   signed in), the browser's session and the hint's grant end at once;
//! - otherwise (no hint, or a hint about someone else) a page asks the person to confirm, and
//!   only its form (`POST`, with the CSRF token) ends the session: a link or image on another
//!   site cannot log a patient out.
//!
//! Afterwards the browser returns to the registered `post_logout_redirect_uri` (with `state`)
//! or sees a signed-out page. After the confirmation form the return goes through that page
//! (a refresh and a link), because the pages' `form-action 'self'` also applies to the
//! redirects that follow a form.

use crate::api::context::RequestMeta;
use crate::api::oidc::params::Params;
use crate::service::oauth::logout::{self as rp_logout, Checked};
use crate::state::AppState;
use crate::web::csrf::{self, Csrf};
use crate::web::errors::error_page;
use crate::web::page::Page;
use crate::web::session::{CurrentSession, clear_session_cookie};
use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::web::Data;
use poem::{Body, IntoResponse, Request, Response, handler};

/// The parameters the confirmation form sends again.
const CARRIED: &[&str] = &[
    "id_token_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
];

fn app_name(checked: &Checked) -> Option<String> {
    checked.client.as_ref().map(|c| c.model.name.clone())
}

#[handler]
pub async fn logout(
    req: &Request,
    state: Data<&AppState>,
    meta: RequestMeta,
    session: CurrentSession,
    csrf: Csrf,
    body: Body,
) -> Response {
    let posted = req.method() == Method::POST;
    let params = if posted {
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
    let now = state.now();
    let checked = match rp_logout::check(
        &state,
        params.get("id_token_hint"),
        params.get("client_id"),
        params.get("post_logout_redirect_uri"),
        params.get("state"),
        now,
    )
    .await
    {
        Ok(c) => c,
        Err(e) => return error_page(&e, None).into_response(),
    };
    let confirmed = posted && csrf.verify(params.get(csrf::FIELD).unwrap_or(""));
    let live = session.0.as_ref();
    if let Some(live) = live
        && !confirmed
        && !checked.hint_is_for(live.session.account_id)
    {
        let carried: Vec<[String; 2]> = CARRIED
            .iter()
            .filter_map(|k| params.get(k).map(|v| [(*k).to_owned(), v.to_owned()]))
            .collect();
        return Page::new(
            "oidc/confirm_logout.html",
            minijinja::context! {
                app => app_name(&checked),
                params => carried,
            },
        )
        .csrf(&csrf)
        .into_response();
    }
    if let Err(e) =
        rp_logout::end(&state, live.map(|s| s.token.as_str()), &checked, &meta, now).await
    {
        return error_page(&e, None).into_response();
    }
    let mut resp = match &checked.target {
        Some(to) if !confirmed => Response::builder()
            .status(StatusCode::FOUND)
            .header(header::LOCATION, to)
            .header(header::CACHE_CONTROL, "no-store")
            .finish(),
        to => Page::new(
            "oidc/signed_out.html",
            minijinja::context! { return_to => to, app => app_name(&checked) },
        )
        .into_response(),
    };
    if live.is_some()
        && let Ok(v) = HeaderValue::from_str(&clear_session_cookie(&state.settings))
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}
