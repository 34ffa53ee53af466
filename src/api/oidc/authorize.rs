//! `GET /oauth2/authorize`: thin over `service::oauth::authorize`. A bad client or redirect
//! URI gets a page (no `Location` anywhere); other errors go back to the client.

use crate::api::context::RequestMeta;
use crate::api::oidc::params::request_id;
use crate::service::oauth::authorize::{self as authorization, Decision};
use crate::service::sessions::browser;
use crate::state::AppState;
use crate::web::errors::error_page;
use crate::web::page::Page;
use crate::web::session::{CurrentSession, clear_session_cookie};
use crate::web::templates::LOGIN_URL;
use poem::http::{StatusCode, header};
use poem::web::Data;
use poem::{IntoResponse, Request, Response, handler};
use serde::Serialize;
use std::collections::BTreeMap;

fn bad_request_page(reason: &str) -> Response {
    Page::new(
        "error.html",
        minijinja::context! {
            heading => "This sign-in link is not valid",
            paragraphs => vec![
                reason.to_owned(),
                "Please go back to the app and try again. If it keeps happening, contact the \
                 app's provider or your practice."
                    .to_owned(),
            ],
        },
    )
    .status(StatusCode::BAD_REQUEST)
    .into_response()
}

fn redirect(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::FOUND)
        .header(header::LOCATION, to)
        .header(header::CACHE_CONTROL, "no-store")
        .finish()
}

#[derive(Serialize)]
struct PatientChoice {
    first_name: String,
    href: String,
}

#[handler]
pub async fn authorize(
    req: &Request,
    state: Data<&AppState>,
    meta: RequestMeta,
    session: CurrentSession,
) -> Response {
    let raw = req.uri().query().unwrap_or("");
    let Ok(pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(raw) else {
        return bad_request_page("The link is malformed.");
    };
    let mut params = BTreeMap::new();
    for (k, v) in pairs {
        if v.is_empty() {
            continue;
        }
        if params.insert(k, v).is_some() {
            return bad_request_page("The link repeats a parameter.");
        }
    }
    let request = match authorization::validate_client(&state, params).await {
        Ok(r) => r,
        Err(e) => return bad_request_page(e.0),
    };
    let now = state.now();
    let live = session.0.as_ref().map(|s| &s.session);
    let decision = match authorization::decide(&state, &request, live, &meta, now).await {
        Ok(d) => d,
        Err(e) => return error_page(&e, request_id(req).as_deref()).into_response(),
    };
    match decision {
        Decision::Redirect(params) => redirect(&authorization::redirect_url(
            &request,
            state.settings.issuer(),
            params,
        )),
        Decision::Login { end_session } => {
            let query = serde_urlencoded::to_string([
                ("continue", authorization::continue_url(&request).as_str()),
                ("practice", request.practice.slug.as_str()),
            ])
            .unwrap_or_default();
            let mut resp = redirect(&format!("{LOGIN_URL}?{query}"));
            if end_session && let Some(live) = &session.0 {
                if let Err(e) = browser::end(&state.db, &live.token, now).await {
                    return error_page(&e, request_id(req).as_deref()).into_response();
                }
                if let Ok(v) = header::HeaderValue::from_str(&clear_session_cookie(&state.settings))
                {
                    resp.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            resp
        }
        Decision::Refused(e) => error_page(&e, request_id(req).as_deref())
            .practice(&request.practice)
            .into_response(),
        Decision::ChoosePatient(patients) => {
            // One link per patient: the request again with `patient` set.
            let patients: Vec<PatientChoice> = patients
                .into_iter()
                .map(|(id, first_name)| {
                    let mut params = request.params.clone();
                    params.insert("patient".to_owned(), id.to_string());
                    PatientChoice {
                        href: format!(
                            "/oauth2/authorize?{}",
                            serde_urlencoded::to_string(&params).unwrap_or_default()
                        ),
                        first_name,
                    }
                })
                .collect();
            Page::new(
                "oidc/choose_patient.html",
                minijinja::context! {
                    app => request.client.model.name.clone(),
                    patients => minijinja::value::Serde(patients),
                },
            )
            .practice(&request.practice)
            .into_response()
        }
    }
}
