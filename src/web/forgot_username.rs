//! `/forgot-username`: ask for the usernames using an email address or mobile number, with
//! `service::login::username_reminders`, as `POST /api/v1/username-reminders` does. The same page
//! answers whether or not an account matched.

use crate::api::context::RequestMeta;
use crate::domain::contact::MobileNumber;
use crate::service::login::username_reminders;
use crate::state::AppState;
use crate::web::csrf::Csrf;
use crate::web::form::{FormData, FormErrors};
use crate::web::guards::CsrfForm;
use crate::web::page::Page;
use poem::handler;
use poem::http::StatusCode;
use poem::web::Data;

const ORDER: &[&str] = &["email_or_mobile"];

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
    let contact = form.optional("email_or_mobile").and_then(|c| {
        if c.contains('@') {
            Some(c.to_owned())
        } else {
            MobileNumber::parse("mobile", c)
                .ok()
                .map(|m| m.as_str().to_owned())
        }
    });
    let Some(contact) = contact else {
        let mut errors = FormErrors::default();
        errors.add(
            "email_or_mobile",
            "Enter an email address, like name@example.org, or a mobile number in international form, like +15550100123.",
        );
        return request_page(&csrf, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY);
    };
    username_reminders::request(&state, contact, meta);
    Page::new("forgot_username/sent.html", ())
}
