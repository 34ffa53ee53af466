//! `/account/email`: the logged-in account asks to change its email address (with its
//! password), and `/confirm-email/{token}`, the link sent to the new address, with
//! `service::accounts::own_email` like `PATCH /api/v1/me`. The old address is told at once.

use crate::api::context::RequestMeta;
use crate::error::Error;
use crate::service::accounts::logins::Account;
use crate::service::accounts::own_email;
use crate::service::login::passwords::{Acting, Keep};
use crate::state::AppState;
use crate::web::csrf::Csrf;
use crate::web::form::{FormData, FormErrors};
use crate::web::guards::{CsrfForm, LoggedIn};
use crate::web::messages::{FieldSpec, on_form};
use crate::web::page::Page;
use crate::web::session::LiveSession;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};

/// Where the form lives.
pub const URL: &str = "/account/email";
const ORDER: &[&str] = &["email", "current_password"];

fn form_page(
    csrf: &Csrf,
    current: Option<&str>,
    form: &FormData,
    errors: &FormErrors,
    status: StatusCode,
) -> Page {
    Page::new(
        "account/email.html",
        minijinja::context! {
            email => current,
            values => minijinja::value::Serde(form.echo()),
        },
    )
    .with(errors.context(ORDER))
    .csrf(csrf)
    .status(status)
}

/// The account the page session is for.
async fn account_of(state: &AppState, live: &LiveSession) -> poem::Result<Account> {
    Ok(
        crate::service::accounts::logins::of_page_session(&state.db, live.session.account_id)
            .await?,
    )
}

/// The form; without a live session, the login page first.
#[handler]
pub async fn show(
    state: Data<&AppState>,
    LoggedIn { live, .. }: LoggedIn,
    csrf: Csrf,
) -> poem::Result<Response> {
    let account = account_of(&state, &live).await?;
    Ok(form_page(
        &csrf,
        account.email.as_deref(),
        &FormData::default(),
        &FormErrors::default(),
        StatusCode::OK,
    )
    .into_response())
}

/// Sends the confirmation link to the new address.
#[handler]
pub async fn submit(
    state: Data<&AppState>,
    meta: RequestMeta,
    CsrfForm { form, csrf, .. }: CsrfForm,
    LoggedIn { live, .. }: LoggedIn,
) -> poem::Result<Response> {
    let account = account_of(&state, &live).await?;
    let live = &live.session;
    let mut errors = FormErrors::default();
    if form.is_blank("email") {
        errors.add("email", "Enter your new email address.");
    }
    if form.raw("current_password").is_empty() {
        errors.add("current_password", "Enter your password.");
    }
    let current = account.email.as_deref();
    if !errors.is_empty() {
        let page = form_page(
            &csrf,
            current,
            &form,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        return Ok(page.into_response());
    }
    let who = Acting {
        account: &account,
        practice_id: live.practice_id,
        keep: Keep::Page(live.id),
    };
    let outcome = own_email::request_as(
        &state,
        &who,
        form.raw("email").trim(),
        form.raw("current_password"),
        &meta,
        state.now(),
    )
    .await;
    match outcome {
        Ok(email) => Ok(Page::new(
            "account/email_sent.html",
            minijinja::context! { email, hours => own_email::TTL.num_hours() },
        )
        .into_response()),
        Err(Error::InvalidCredentials) => {
            errors.add(
                "current_password",
                "Your password is not right. Please check it and try again.",
            );
            let page = form_page(&csrf, current, &form, &errors, StatusCode::UNAUTHORIZED);
            Ok(page.into_response())
        }
        Err(e) => {
            let status = e.status();
            let specs = [FieldSpec::text(
                "email",
                "email",
                "Your new email address",
                "Enter your new email address.",
            )];
            on_form(e, &specs, &form, &mut errors)?;
            Ok(form_page(&csrf, current, &form, &errors, status).into_response())
        }
    }
}

/// A confirmation link that no longer works.
fn invalid() -> Page {
    Page::new(
        "error.html",
        minijinja::context! {
            heading => "This link does not work any more",
            paragraphs => vec![
                "A link to confirm a new email address works for 24 hours, and only once. \
                 Asking to change the address again also stops older links.",
                "Log in and ask again from your account page.",
            ],
            action => minijinja::context! { href => URL, label => "Change your email address" },
        },
    )
    .status(StatusCode::GONE)
}

/// The link sent to the new address: a button to confirm.
#[handler]
pub async fn confirm_show(csrf: Csrf) -> Page {
    Page::new("confirm_email/confirm.html", ()).csrf(&csrf)
}

/// Confirms the new address.
#[handler]
pub async fn confirm_submit(
    state: Data<&AppState>,
    meta: RequestMeta,
    Path(token): Path<String>,
    _form: CsrfForm,
) -> poem::Result<Page> {
    match own_email::confirm(&state, &token, &meta, state.now()).await {
        Ok(()) => Ok(Page::new("confirm_email/done.html", ())),
        Err(Error::TokenInvalid | Error::Validation { .. }) => Ok(invalid()),
        Err(e) => Err(e.into()),
    }
}
