//! `/account/password`: the logged-in account changes its password (the current one first),
//! with `service::login::passwords` like `POST /api/v1/me/password`. This page session stays; every
//! other session of the account ends.

use crate::api::context::RequestMeta;
use crate::error::Error;
use crate::service::login::passwords::{self, Acting, Keep};
use crate::state::AppState;
use crate::web::csrf::Csrf;
use crate::web::form::FormErrors;
use crate::web::guards::{CsrfForm, LoggedIn};
use crate::web::messages::{FieldSpec, on_form};
use crate::web::page::Page;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{IntoResponse, Response, handler};

const ORDER: &[&str] = &["current_password", "password", "password_confirm"];

fn form_page(csrf: &Csrf, errors: &FormErrors, status: StatusCode) -> Page {
    Page::new("account/password.html", ())
        .with(errors.context(ORDER))
        .csrf(csrf)
        .status(status)
}

/// The form; without a live session, the login page first.
#[handler]
pub async fn show(_session: LoggedIn, csrf: Csrf) -> Response {
    form_page(&csrf, &FormErrors::default(), StatusCode::OK).into_response()
}

/// Changes the password.
#[handler]
pub async fn submit(
    state: Data<&AppState>,
    meta: RequestMeta,
    CsrfForm { form, csrf, .. }: CsrfForm,
    LoggedIn { live, .. }: LoggedIn,
) -> poem::Result<Response> {
    let mut errors = FormErrors::default();
    if form.raw("current_password").is_empty() {
        errors.add("current_password", "Enter your current password.");
    }
    if form.raw("password").is_empty() {
        errors.add("password", "Choose a new password.");
    } else if form.raw("password") != form.raw("password_confirm") {
        errors.add(
            "password_confirm",
            "The passwords do not match. Type the same password in both boxes.",
        );
    }
    if !errors.is_empty() {
        return Ok(form_page(&csrf, &errors, StatusCode::UNPROCESSABLE_ENTITY).into_response());
    }
    let account =
        crate::service::accounts::logins::of_page_session(&state.db, live.session.account_id)
            .await?;
    let who = Acting {
        account: &account,
        practice_id: live.session.practice_id,
        keep: Keep::Page(live.session.id),
    };
    let outcome = passwords::change_as(
        &state,
        &who,
        form.raw("current_password"),
        form.raw("password"),
        &meta,
        state.now(),
    )
    .await;
    match outcome {
        Ok(()) => Ok(Page::new("account/password_done.html", ()).into_response()),
        Err(Error::InvalidCredentials) => {
            errors.add(
                "current_password",
                "Your current password is not right. Please check it and try again.",
            );
            Ok(form_page(&csrf, &errors, StatusCode::UNAUTHORIZED).into_response())
        }
        Err(e) => {
            let status = e.status();
            let specs = [FieldSpec::text(
                "password",
                "new_password",
                "Your new password",
                "Choose a new password.",
            )];
            on_form(e, &specs, &form, &mut errors)?;
            Ok(form_page(&csrf, &errors, status).into_response())
        }
    }
}
