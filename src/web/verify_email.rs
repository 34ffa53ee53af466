//! `/verify-email/{token}`: the link in the sign-up confirmation email. Opening it shows one
//! button; pressing it confirms with `service::registration::confirmation::verify_email`, as
//! `POST /api/v1/email-verifications` does. The link itself changes nothing, because mail
//! scanners open links before the person does and would use it up.

use crate::api::context::RequestMeta;
use crate::domain::access::AccessStatus;
use crate::error::Error;
use crate::service::registration::confirmation;
use crate::state::AppState;
use crate::web::csrf::Csrf;
use crate::web::guards::CsrfForm;
use crate::web::page::Page;
use poem::handler;
use poem::http::StatusCode;
use poem::web::{Data, Path};

fn invalid() -> Page {
    Page::new("verify_email/invalid.html", ()).status(StatusCode::GONE)
}

/// The confirmation button, for a link that still works.
#[handler]
pub async fn show(
    state: Data<&AppState>,
    Path(token): Path<String>,
    csrf: Csrf,
) -> poem::Result<Page> {
    match confirmation::preview_verification(&state.db, &token, state.now()).await {
        Ok(practice) => Ok(Page::new("verify_email/confirm.html", ())
            .practice(&practice)
            .csrf(&csrf)),
        Err(Error::TokenInvalid) => Ok(invalid()),
        Err(e) => Err(e.into()),
    }
}

/// Confirms the address and shows where the access stands.
#[handler]
pub async fn submit(
    state: Data<&AppState>,
    meta: RequestMeta,
    Path(token): Path<String>,
    _form: CsrfForm,
) -> poem::Result<Page> {
    match confirmation::verify_email(&state.db, &token, &meta, state.now()).await {
        Ok(v) => Ok(Page::new(
            "verify_email/done.html",
            minijinja::context! { active => v.access.status == AccessStatus::Active },
        )
        .practice(&v.practice)),
        Err(Error::TokenInvalid) => Ok(invalid()),
        Err(e) => Err(e.into()),
    }
}
