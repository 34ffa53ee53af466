//! `/verify-email/{token}`: the link in the sign-up confirmation email. Opening it shows one
//! button; pressing it confirms with `service::registration::confirmation::verify_email`, as
//! `POST /api/v1/email-verifications` does. The link itself changes nothing, because mail
//! scanners open links before the person does and would use it up.

use crate::api::context::RequestMeta;
use crate::domain::access::AccessStatus;
use crate::error::Error;
use crate::service::registration::{confirmation, confirmation_resend};
use crate::state::AppState;
use crate::web::csrf::Csrf;
use crate::web::form::{FormData, FormErrors};
use crate::web::guards::CsrfForm;
use crate::web::page::Page;
use poem::handler;
use poem::http::StatusCode;
use poem::web::{Data, Path};

fn invalid() -> Page {
    Page::new("verify_email/invalid.html", ()).status(StatusCode::GONE)
}

const RESEND_ORDER: &[&str] = &["username_or_email"];

fn resend_page(csrf: &Csrf, form: &FormData, errors: &FormErrors, status: StatusCode) -> Page {
    Page::new(
        "verify_email/resend.html",
        minijinja::context! { values => minijinja::value::Serde(form.echo()) },
    )
    .with(errors.context(RESEND_ORDER))
    .csrf(csrf)
    .status(status)
}

/// `/verify-email`: the form that asks for a confirmation link again.
#[handler]
pub async fn resend_form(csrf: Csrf) -> Page {
    resend_page(
        &csrf,
        &FormData::default(),
        &FormErrors::default(),
        StatusCode::OK,
    )
}

/// Asks for the link again (from this form, or the login's "confirm your email" page): the
/// same answer whether or not an account matched, as `POST /api/v1/email-verifications/resend`.
#[handler]
pub async fn resend(
    state: Data<&AppState>,
    meta: RequestMeta,
    CsrfForm { form, csrf, .. }: CsrfForm,
) -> Page {
    let Some(identifier) = form.optional("username_or_email") else {
        let mut errors = FormErrors::default();
        errors.add(
            "username_or_email",
            "Enter your username or the email address you signed up with.",
        );
        return resend_page(&csrf, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY);
    };
    confirmation_resend::request(&state, identifier.to_owned(), meta);
    Page::new("verify_email/resent.html", ())
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
