//! `/reset-password` (ask for a link) and `/reset-password/{token}` (the link in the email:
//! choose a new password), with `service::login::passwords`, as `POST /api/v1/password-resets` and
//! `POST /api/v1/password-resets/{token}` do. Asking answers the same page whether or not an
//! account matched.

use crate::api::context::RequestMeta;
use crate::error::Error;
use crate::service::login::{passwords, reset_requests};
use crate::state::AppState;
use crate::web::csrf::Csrf;
use crate::web::form::{FormData, FormErrors};
use crate::web::guards::CsrfForm;
use crate::web::messages::{FieldSpec, on_form};
use crate::web::page::Page;
use crate::web::session::clear_session_cookie;
use poem::handler;
use poem::http::StatusCode;
use poem::web::{Data, Path};

/// Where people ask for a link.
pub const RESET_URL: &str = "/reset-password";

const REQUEST_ORDER: &[&str] = &["identifier"];
const SET_ORDER: &[&str] = &["password", "password_confirm"];

fn request_page(csrf: &Csrf, form: &FormData, errors: &FormErrors, status: StatusCode) -> Page {
    Page::new(
        "reset/request.html",
        minijinja::context! { values => minijinja::value::Serde(form.echo()) },
    )
    .with(errors.context(REQUEST_ORDER))
    .csrf(csrf)
    .status(status)
}

/// The form to ask for a link.
#[handler]
pub async fn request_form(csrf: Csrf) -> Page {
    request_page(
        &csrf,
        &FormData::default(),
        &FormErrors::default(),
        StatusCode::OK,
    )
}

/// Asks for a link: the same answer whether or not an account matched.
#[handler]
pub async fn request(
    state: Data<&AppState>,
    meta: RequestMeta,
    CsrfForm { form, csrf, .. }: CsrfForm,
) -> Page {
    let Some(identifier) = form.optional("identifier") else {
        let mut errors = FormErrors::default();
        errors.add(
            "identifier",
            "Enter your username, email address or mobile number.",
        );
        return request_page(&csrf, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY);
    };
    reset_requests::request(&state, identifier.to_owned(), meta);
    Page::new(
        "reset/sent.html",
        minijinja::context! { minutes => passwords::RESET_TTL.num_minutes() },
    )
}

/// A link that no longer works.
fn invalid() -> Page {
    Page::new(
        "error.html",
        minijinja::context! {
            heading => "This link does not work any more",
            paragraphs => vec![
                "A password reset link works for 30 minutes, and only once. Asking for a new \
                 link, or changing the password, also stops older links.",
                "Please ask for a new link.",
            ],
            action => minijinja::context! { href => RESET_URL, label => "Get a new link" },
        },
    )
    .status(StatusCode::GONE)
}

fn set_page(csrf: &Csrf, errors: &FormErrors, status: StatusCode) -> Page {
    Page::new("reset/form.html", ())
        .with(errors.context(SET_ORDER))
        .csrf(csrf)
        .status(status)
}

/// The link from the email: the form, if the link still works.
#[handler]
pub async fn show(
    state: Data<&AppState>,
    meta: RequestMeta,
    Path(token): Path<String>,
    csrf: Csrf,
) -> poem::Result<Page> {
    if !passwords::reset_link_usable(&state, &token, &meta, state.now()).await? {
        return Ok(invalid());
    }
    Ok(set_page(&csrf, &FormErrors::default(), StatusCode::OK))
}

/// Sets the new password.
#[handler]
pub async fn submit(
    state: Data<&AppState>,
    meta: RequestMeta,
    Path(token): Path<String>,
    CsrfForm { form, csrf, .. }: CsrfForm,
) -> poem::Result<Page> {
    let mut errors = FormErrors::default();
    if form.raw("password").is_empty() {
        errors.add("password", "Choose a new password.");
    } else if form.raw("password") != form.raw("password_confirm") {
        errors.add(
            "password_confirm",
            "The passwords do not match. Type the same password in both boxes.",
        );
    }
    if !errors.is_empty() {
        return Ok(set_page(&csrf, &errors, StatusCode::UNPROCESSABLE_ENTITY));
    }
    let specs = [FieldSpec::text(
        "password",
        "new_password",
        "Your new password",
        "Choose a new password.",
    )];
    match passwords::complete_reset(&state, &token, form.raw("password"), &meta, state.now()).await
    {
        // Every session ended with the change; this browser's cookie goes too.
        Ok(()) => {
            Ok(Page::new("reset/done.html", ()).cookie(clear_session_cookie(&state.settings)))
        }
        Err(Error::TokenInvalid) => Ok(invalid()),
        Err(e) => {
            let status = e.status();
            on_form(e, &specs, &form, &mut errors)?;
            Ok(set_page(&csrf, &errors, status))
        }
    }
}
