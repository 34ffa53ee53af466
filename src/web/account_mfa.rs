//! `/account/two-step`: turning two-step verification on from the account page (the same
//! services as `POST /api/v1/me/mfa/totp` and its confirmation): the current password, then
//! the QR code and the key, a first code from the app, then the recovery codes, once.

use crate::api::context::RequestMeta;
use crate::error::Error;
use crate::service::accounts::logins::Account;
use crate::service::login::mfa;
use crate::service::login::passwords::{Acting, Keep};
use crate::state::AppState;
use crate::web::csrf::Csrf;
use crate::web::form::{FormData, FormErrors};
use crate::web::guards::{CsrfForm, LoggedIn};
use crate::web::login_carry::DEFAULT_CONTINUE;
use crate::web::login_steps::recovery_codes_page;
use crate::web::messages::on_form;
use crate::web::page::{Page, redirect};
use crate::web::session::LiveSession;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{IntoResponse, Response, handler};
use uuid::Uuid;

/// Where the set-up lives.
pub const URL: &str = "/account/two-step";

/// The account the page session is for.
async fn account_of(state: &AppState, live: &LiveSession) -> poem::Result<Account> {
    Ok(
        crate::service::accounts::logins::of_page_session(&state.db, live.session.account_id)
            .await?,
    )
}

fn password_page(csrf: &Csrf, errors: &FormErrors, status: StatusCode) -> Page {
    Page::new("account/two_step_password.html", ())
        .with(errors.context(&["current_password"]))
        .csrf(csrf)
        .status(status)
}

fn setup_page(
    csrf: &Csrf,
    enrolment: &mfa::Enrolment,
    errors: &FormErrors,
    status: StatusCode,
) -> Page {
    Page::new(
        "login/mfa_setup.html",
        minijinja::context! {
            action => URL,
            qr_code => &enrolment.qr_code,
            secret => &enrolment.secret,
            practice_requires => false,
        },
    )
    .with(errors.context(&["code"]))
    .csrf(csrf)
    .status(status)
}

/// The set-up starts with the current password (no key is shown before it). Already on: back
/// to the account page.
#[handler]
pub async fn show(
    state: Data<&AppState>,
    LoggedIn { live, .. }: LoggedIn,
    csrf: Csrf,
) -> poem::Result<Response> {
    let account = account_of(&state, &live).await?;
    if account.totp_enabled_at.is_some() {
        return Ok(redirect(DEFAULT_CONTINUE, vec![]));
    }
    Ok(password_page(&csrf, &FormErrors::default(), StatusCode::OK).into_response())
}

/// The current password (then a new key), or the first code from the app (then on, and the
/// recovery codes).
#[handler]
pub async fn submit(
    state: Data<&AppState>,
    meta: RequestMeta,
    CsrfForm { form, csrf, .. }: CsrfForm,
    LoggedIn { live, .. }: LoggedIn,
) -> poem::Result<Response> {
    let account = account_of(&state, &live).await?;
    let (practice_id, session_id) = (live.session.practice_id, live.session.id);
    if form.contains("current_password") {
        return start(
            &state,
            &meta,
            &csrf,
            &form,
            &account,
            practice_id,
            session_id,
        )
        .await;
    }
    let mut errors = FormErrors::default();
    let status = if form.is_blank("code") {
        errors.add("code", "Enter the 6-digit code your app shows.");
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        let code = form.raw("code").trim();
        match mfa::confirm_enrolment(&state, &account, code, &meta, state.now()).await {
            Ok(codes) => return Ok(recovery_codes_page(&codes, DEFAULT_CONTINUE).into_response()),
            Err(Error::InvalidMfaCode) => {
                errors.add(
                    "code",
                    "That code is not right. Type the 6-digit code your app shows now.",
                );
                StatusCode::UNAUTHORIZED
            }
            Err(e) => {
                let status = e.status();
                on_form(e, &[], &form, &mut errors)?;
                status
            }
        }
    };
    // The same key again, so the person keeps what they scanned.
    let Some(enrolment) = mfa::pending_enrolment(&state, &account)? else {
        return Ok(redirect(URL, vec![]));
    };
    Ok(setup_page(&csrf, &enrolment, &errors, status).into_response())
}

/// The password step: right, a new key to scan; wrong, the message on the field.
async fn start(
    state: &AppState,
    meta: &RequestMeta,
    csrf: &Csrf,
    form: &FormData,
    account: &Account,
    practice_id: Option<Uuid>,
    session_id: Uuid,
) -> poem::Result<Response> {
    let mut errors = FormErrors::default();
    if form.raw("current_password").is_empty() {
        errors.add("current_password", "Enter your current password.");
        return Ok(password_page(csrf, &errors, StatusCode::UNPROCESSABLE_ENTITY).into_response());
    }
    let who = Acting {
        account,
        practice_id,
        keep: Keep::Page(session_id),
    };
    match mfa::start_own_enrolment(state, &who, form.raw("current_password"), meta, state.now())
        .await
    {
        Ok(enrolment) => Ok(setup_page(csrf, &enrolment, &errors, StatusCode::OK).into_response()),
        Err(Error::InvalidCredentials) => {
            errors.add(
                "current_password",
                "Your current password is not right. Please check it and try again.",
            );
            Ok(password_page(csrf, &errors, StatusCode::UNAUTHORIZED).into_response())
        }
        Err(e) if e.code() == "conflict" => Ok(redirect(DEFAULT_CONTINUE, vec![])),
        Err(e) => {
            let status = e.status();
            on_form(e, &[], form, &mut errors)?;
            Ok(password_page(csrf, &errors, status).into_response())
        }
    }
}
