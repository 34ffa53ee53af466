//! `/forgot-username`: ask for the usernames using an email address, with
//! `service::login::username_reminders`, as `POST /api/v1/username-reminders` does. The same page
//! answers whether or not an account matched.

use crate::api::context::RequestMeta;
use crate::service::login::username_reminders;
use crate::state::AppState;
use crate::web::csrf::Csrf;
use crate::web::form::{FormData, FormErrors};
use crate::web::guards::CsrfForm;
use crate::web::page::Page;
use poem::handler;
use poem::http::StatusCode;
use poem::web::Data;

const ORDER: &[&str] = &["email"];

fn request_page(csrf: &Csrf, form: &FormData, errors: &FormErrors, status: StatusCode) -> Page {
    Page::new(
        "forgot_username/request.html",
        minijinja::context! { values => minijinja::value::Serde(form.echo()) },
    )
    .with(errors.context(ORDER))
    .csrf(csrf)
    .status(status)
}

/// The form.
#[handler]
pub async fn show(csrf: Csrf) -> Page {
    request_page(
        &csrf,
        &FormData::default(),
        &FormErrors::default(),
        StatusCode::OK,
    )
}

/// Asks for a reminder: the same answer whether or not an account matched.
#[handler]
pub async fn submit(
    state: Data<&AppState>,
    meta: RequestMeta,
    CsrfForm { form, csrf, .. }: CsrfForm,
) -> Page {
    let Some(email) = form.optional("email").filter(|e| e.contains('@')) else {
        let mut errors = FormErrors::default();
        errors.add("email", "Enter an email address, like name@example.org.");
        return request_page(&csrf, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY);
    };
    username_reminders::request(&state, email.to_owned(), meta);
    Page::new("forgot_username/sent.html", ())
}
