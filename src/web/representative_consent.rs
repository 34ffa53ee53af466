//! `/representative-consent/{token}`: the page the consent link in the patient's email opens
//! (issue 11). It says who asks (name, relation, practice) and offers Approve and Decline,
//! which decide with `service::representation::consent_requests::decide`, exactly as
//! `POST /api/v1/representative-consents/{token}/approve | decline` do. Opening the link
//! changes nothing (mail scanners open links first). `/representative-consent` takes the code
//! from the same email instead of the link.

use crate::api::context::RequestMeta;
use crate::domain::access::{AccessStatus, ConsentDecision};
use crate::error::Error;
use crate::service::representation::consent_requests;
use crate::state::AppState;
use crate::web::csrf::Csrf;
use crate::web::guards::CsrfForm;
use crate::web::invite::{relation_label, when};
use crate::web::page::{Page, redirect};
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

fn invalid() -> Page {
    Page::new("representative_consent/invalid.html", ()).status(StatusCode::GONE)
}

/// `?code=` from the code form.
#[derive(Debug, Default, Deserialize)]
pub struct CodeQuery {
    code: Option<String>,
}

/// The form for the code; with a code, the consent page for it.
#[handler]
pub async fn code_form(Query(q): Query<CodeQuery>) -> Response {
    match q.code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) if code.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            redirect(&format!("/representative-consent/{code}"), vec![])
        }
        Some(_) => invalid().into_response(),
        None => Page::new("representative_consent/code.html", ()).into_response(),
    }
}

/// Who asks, with Approve and Decline, for a link or code that still works.
#[handler]
pub async fn show(
    state: Data<&AppState>,
    Path(token): Path<String>,
    csrf: Csrf,
) -> poem::Result<Page> {
    match consent_requests::preview(&state.db, &token, state.now()).await {
        Ok(p) => Ok(Page::new(
            "representative_consent/ask.html",
            minijinja::context! {
                representative_name => p.representative_name,
                relation => relation_label(p.relation),
                expires => when(p.expires_at),
            },
        )
        .practice(&p.practice)
        .csrf(&csrf)),
        Err(Error::TokenInvalid) => Ok(invalid()),
        Err(e) => Err(e.into()),
    }
}

/// Approves or declines (`decision` = `approve` or `decline`).
#[handler]
pub async fn submit(
    state: Data<&AppState>,
    meta: RequestMeta,
    Path(token): Path<String>,
    CsrfForm { form, .. }: CsrfForm,
) -> poem::Result<Page> {
    let decision = match form.raw("decision") {
        "approve" => ConsentDecision::Approve,
        "decline" => ConsentDecision::Decline,
        _ => return Err(Error::invalid("decision", "must be approve or decline").into()),
    };
    match consent_requests::decide(&state, &token, decision, &meta, state.now()).await {
        Ok(d) => Ok(Page::new(
            "representative_consent/done.html",
            minijinja::context! {
                approved => d.access.status == AccessStatus::Active,
                until => d.access.consent_expires_at.map(when),
            },
        )
        .practice(&d.practice)),
        Err(Error::TokenInvalid) => Ok(invalid()),
        Err(e) => Err(e.into()),
    }
}
