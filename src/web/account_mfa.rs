//! `/account/two-step`: turning two-step verification on from the account page (the same
//! services as `POST /api/v1/me/mfa/totp` and its confirmation): the QR code and the key,
//! a first code from the app, then the recovery codes, once.

use crate::error::Error;
use crate::service::mfa;
use crate::state::AppState;
use crate::store::account;
use crate::store::audit::RequestMeta;
use crate::web::csrf::{self, Csrf};
use crate::web::errors::form_expired;
use crate::web::form::{FormData, FormErrors};
use crate::web::login::{DEFAULT_CONTINUE, login_url};
use crate::web::login_mfa::recovery_codes_page;
use crate::web::messages::on_form;
use crate::web::page::{Page, redirect};
use crate::web::session::CurrentSession;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{IntoResponse, Response, handler};
use sea_orm::EntityTrait;

/// Where the set-up lives.
pub const URL: &str = "/account/two-step";

/// The logged-in account, or where to go instead (the login page, then back here).
async fn account_of(
    state: &AppState,
    session: CurrentSession,
) -> poem::Result<Result<account::Model, Response>> {
    let Some(live) = session.0 else {
        return Ok(Err(redirect(&login_url(URL, None), vec![])));
    };
    let account = account::Entity::find_by_id(live.session.account_id)
        .one(&state.db)
        .await
        .map_err(Error::from)?
        .ok_or(Error::Unauthorized)?;
    Ok(Ok(account))
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

/// The set-up: the enrolment already pending (so reloading keeps what was scanned), or a new
/// one. Already on: back to the account page.
#[handler]
pub async fn show(
    state: Data<&AppState>,
    meta: RequestMeta,
    session: CurrentSession,
    csrf: Csrf,
) -> poem::Result<Response> {
    let account = match account_of(&state, session).await? {
        Ok(a) => a,
        Err(r) => return Ok(r),
    };
    if account.totp_enabled_at.is_some() {
        return Ok(redirect(DEFAULT_CONTINUE, vec![]));
    }
    let enrolment = match mfa::pending_enrolment(&state, &account)? {
        Some(e) => e,
        None => mfa::start_enrolment(&state, &account, &meta, state.now()).await?,
    };
    Ok(setup_page(&csrf, &enrolment, &FormErrors::default(), StatusCode::OK).into_response())
}

/// The first code from the app: on, and the recovery codes.
#[handler]
pub async fn submit(
    state: Data<&AppState>,
    meta: RequestMeta,
    session: CurrentSession,
    csrf: Csrf,
    form: FormData,
) -> poem::Result<Response> {
    if !csrf.verify(form.raw(csrf::FIELD)) {
        return Ok(form_expired(URL).into_response());
    }
    let account = match account_of(&state, session).await? {
        Ok(a) => a,
        Err(r) => return Ok(r),
    };
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
