//! `/login`: the login page and the steps after it, with `service::login::page` (the same steps
//! as `POST /api/v1/login`): the practice chooser (`/login/practice`), the blocked message,
//! the forced password change (`/login/password`), the two-step steps (`web::login_mfa`),
//! then a web session and a redirect to `continue` (the OpenID Connect authorize request
//! sends people here too). What the steps share is `web::login_steps`.

use crate::api::context::RequestMeta;
use crate::error::Error;
use crate::service::login::flow::Credentials;
use crate::service::login::page;
use crate::service::practice::practices;
use crate::state::AppState;
use crate::web::csrf::Csrf;
use crate::web::form::{FormData, FormErrors};
use crate::web::guards::CsrfForm;
use crate::web::login_carry::{Carry, DEFAULT_CONTINUE, safe_continue};
use crate::web::login_steps::{
    LoginAgain, blocked_page, next_step, password_page, start_again, with_practice,
};
use crate::web::messages::{FieldSpec, on_form};
use crate::web::page::Page;
use crate::web::session::CurrentSession;
use poem::http::StatusCode;
use poem::web::{Data, Query};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

const ORDER: &[&str] = &["username", "password"];

/// `?continue=…&practice=…` on the login page.
#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    #[serde(rename = "continue")]
    next: Option<String>,
    practice: Option<String>,
}

async fn form_page(
    state: &AppState,
    csrf: &Csrf,
    carry: &Carry,
    form: &FormData,
    errors: &FormErrors,
    status: StatusCode,
) -> poem::Result<Page> {
    let page = Page::new(
        "login/form.html",
        minijinja::context! {
            carry => minijinja::value::Serde(carry),
            values => minijinja::value::Serde(form.echo()),
        },
    )
    .with(errors.context(ORDER))
    .csrf(csrf)
    .status(status);
    with_practice(state, page, &carry.practice).await
}

/// The login form.
#[handler]
pub async fn show(
    state: Data<&AppState>,
    Query(q): Query<LoginQuery>,
    csrf: Csrf,
) -> poem::Result<Page> {
    let mut carry = Carry::new(q.next.as_deref(), q.practice.as_deref());
    if !carry.practice.is_empty()
        && practices::find_by_slug(&state.db, &carry.practice)
            .await?
            .is_none()
    {
        // An unknown practice in a link: log in without it (the chooser follows if needed).
        carry.practice.clear();
    }
    form_page(
        &state,
        &csrf,
        &carry,
        &FormData::default(),
        &FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// The continue page: a login is done and its next stop (`continue`, a path of ours) is not a
/// page; it goes on by a plain navigation (a refresh, and a link for anyone whose browser
/// does not follow it).
#[handler]
pub async fn continue_page(Query(q): Query<LoginQuery>) -> Page {
    let next = safe_continue(q.next.as_deref()).unwrap_or(DEFAULT_CONTINUE);
    Page::new("login/continue.html", minijinja::context! { next })
}

/// Username and password.
#[handler]
pub async fn submit(
    state: Data<&AppState>,
    meta: RequestMeta,
    current: CurrentSession,
    CsrfForm { form, csrf, .. }: CsrfForm<LoginAgain>,
) -> poem::Result<Response> {
    let carry = Carry::from_form(&form);
    let mut errors = FormErrors::default();
    if form.is_blank("username") {
        errors.add("username", "Enter your username.");
    }
    if form.raw("password").is_empty() {
        errors.add("password", "Enter your password.");
    }
    if !errors.is_empty() {
        let page = form_page(
            &state,
            &csrf,
            &carry,
            &form,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        return Ok(page.await?.into_response());
    }
    let creds = Credentials {
        username: form.raw("username").trim().to_owned(),
        password: form.raw("password").to_owned(),
        practice: Some(carry.practice.clone()).filter(|p| !p.is_empty()),
    };
    match page::login(&state, creds, &meta, state.now()).await {
        Ok(outcome) => next_step(&state, &csrf, &carry, &current, outcome).await,
        Err(e) => {
            let status = e.status();
            match e {
                Error::InvalidCredentials => {
                    errors.alert = Some(
                        "The username or password is not right. Please check them and try again."
                            .into(),
                    );
                }
                Error::NoAccess => {
                    errors.alert = Some(no_access_message(&state, &carry).await?);
                }
                other => on_form(other, &[], &form, &mut errors)?,
            }
            let page = form_page(&state, &csrf, &carry, &form, &errors, status);
            Ok(page.await?.into_response())
        }
    }
}

async fn no_access_message(state: &AppState, carry: &Carry) -> poem::Result<String> {
    let practice = match carry.practice.as_str() {
        "" => None,
        slug => practices::find_by_slug(&state.db, slug).await?,
    };
    Ok(match practice {
        Some(p) => format!(
            "This account has no portal access at {}. If you think it should, please contact \
             the practice on {}.",
            p.name, p.contact_phone
        ),
        None => "This account has no portal access at the moment. If you think it should, \
                 please contact your practice."
            .to_owned(),
    })
}

/// A practice picked on the chooser or the blocked page.
#[handler]
pub async fn choose(
    state: Data<&AppState>,
    meta: RequestMeta,
    current: CurrentSession,
    CsrfForm { form, csrf, .. }: CsrfForm<LoginAgain>,
) -> poem::Result<Response> {
    let carry = Carry::from_form(&form);
    let practice = form.raw("practice").trim();
    let outcome = page::choose(
        &state,
        form.raw("choice_token"),
        practice,
        &meta,
        state.now(),
    )
    .await;
    match outcome {
        Ok(outcome) => next_step(&state, &csrf, &carry, &current, outcome).await,
        Err(Error::InvalidGrant | Error::NoAccess) => Ok(start_again(&carry).into_response()),
        Err(e) => Err(e.into()),
    }
}

/// The new password of a staff-created account, then the rest of the login.
#[handler]
pub async fn change_password(
    state: Data<&AppState>,
    meta: RequestMeta,
    current: CurrentSession,
    CsrfForm { form, csrf, .. }: CsrfForm<LoginAgain>,
) -> poem::Result<Response> {
    let carry = Carry::from_form(&form);
    let token = form.raw("password_token");
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
        let page = password_page(
            &csrf,
            &carry,
            token,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        return Ok(with_practice(&state, page, &carry.practice)
            .await?
            .into_response());
    }
    let specs = [FieldSpec::text(
        "password",
        "new_password",
        "Your new password",
        "Choose a new password.",
    )];
    let outcome =
        page::change_password(&state, token, form.raw("password"), &meta, state.now()).await;
    match outcome {
        Ok(outcome) => next_step(&state, &csrf, &carry, &current, outcome).await,
        Err(Error::InvalidGrant) => Ok(start_again(&carry).into_response()),
        Err(e) if e.is_practice_refusal() => Ok(blocked_page(&state, &csrf, &carry, e, None, &[])
            .await?
            .into_response()),
        Err(e) => {
            let status = e.status();
            on_form(e, &specs, &form, &mut errors)?;
            let page = password_page(&csrf, &carry, token, &errors, status);
            Ok(with_practice(&state, page, &carry.practice)
                .await?
                .into_response())
        }
    }
}
