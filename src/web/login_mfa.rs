//! The two-step steps of a login on the pages: the code (`/login/mfa`) when the account has
//! two-step verification on, and its set-up (`/login/mfa-setup`) when the practice requires it
//! and the account has none yet. Both finish with `service::page_login` (the same services as
//! `POST /api/v1/login/mfa` and `/login/mfa/enrolment`), then `login::next_step`.

use crate::error::Error;
use crate::service::login as login_service;
use crate::service::mfa::Enrolment;
use crate::service::page_login;
use crate::state::AppState;
use crate::store::audit::RequestMeta;
use crate::web::csrf::{self, Csrf};
use crate::web::errors::form_expired;
use crate::web::form::{FormData, FormErrors};
use crate::web::login::{Carry, blocked_page, next_step, start_again, with_practice};
use crate::web::messages::on_form;
use crate::web::page::Page;
use crate::web::session::CurrentSession;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{IntoResponse, Response, handler};

const CODE_ORDER: &[&str] = &["code"];

/// The code form of a login.
pub(super) fn code_page(
    csrf: &Csrf,
    carry: &Carry,
    token: &str,
    errors: &FormErrors,
    status: StatusCode,
) -> Page {
    Page::new(
        "login/mfa.html",
        minijinja::context! {
            mfa_token => token,
            carry => minijinja::value::Serde(carry),
        },
    )
    .with(errors.context(CODE_ORDER))
    .csrf(csrf)
    .status(status)
}

/// The set-up form of a login: the QR code and the key for the app, then its first code.
pub(super) fn setup_page(
    csrf: &Csrf,
    carry: &Carry,
    token: &str,
    enrolment: &Enrolment,
    errors: &FormErrors,
    status: StatusCode,
) -> Page {
    Page::new(
        "login/mfa_setup.html",
        minijinja::context! {
            action => "/login/mfa-setup",
            enrolment_token => token,
            qr_code => &enrolment.qr_code,
            secret => &enrolment.secret,
            practice_requires => true,
            carry => minijinja::value::Serde(carry),
        },
    )
    .with(errors.context(CODE_ORDER))
    .csrf(csrf)
    .status(status)
}

/// The recovery codes, shown once, and where to go on.
pub fn recovery_codes_page(codes: &[String], next: &str) -> Page {
    Page::new(
        "login/recovery_codes.html",
        minijinja::context! { codes => codes.to_vec(), next },
    )
}

/// A wrong or throttled code as a message on the form; anything else is the caller's.
fn code_errors(e: Error, form: &FormData, errors: &mut FormErrors) -> poem::Result<()> {
    match e {
        Error::InvalidMfaCode => {
            errors.add(
                "code",
                "That code is not right. Type the code your app shows now, or one of your \
                 recovery codes.",
            );
            Ok(())
        }
        Error::RateLimited { retry_after_secs } => {
            errors.alert = Some(format!(
                "There have been too many wrong attempts. For your safety, please wait {} and \
                 try again.",
                wait_words(retry_after_secs)
            ));
            Ok(())
        }
        other => Ok(on_form(other, &[], form, errors)?),
    }
}

/// "about 5 minutes", "a minute", in plain words.
fn wait_words(secs: u64) -> String {
    match secs.div_ceil(60) {
        0 | 1 => "a minute".to_owned(),
        m => format!("{m} minutes"),
    }
}

/// The code of a login: from the app, or a recovery code.
#[handler]
pub async fn submit_code(
    state: Data<&AppState>,
    meta: RequestMeta,
    current: CurrentSession,
    csrf: Csrf,
    form: FormData,
) -> poem::Result<Response> {
    let carry = Carry::from_form(&form);
    if !csrf.verify(form.raw(csrf::FIELD)) {
        return Ok(form_expired(&carry.login_url()).into_response());
    }
    let token = form.raw("mfa_token");
    let mut errors = FormErrors::default();
    if form.is_blank("code") {
        errors.add("code", "Enter the code from your app.");
        let page = code_page(
            &csrf,
            &carry,
            token,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
        return Ok(page.into_response());
    }
    let code = form.raw("code").trim();
    match page_login::mfa(&state, token, code, &meta, state.now()).await {
        Ok(outcome) => next_step(&state, &csrf, &carry, &current, outcome).await,
        Err(Error::InvalidGrant | Error::NoAccess) => Ok(start_again(&carry).into_response()),
        Err(e) if e.is_practice_refusal() => Ok(blocked_page(&state, &csrf, &carry, e, None, &[])
            .await?
            .into_response()),
        Err(e) => {
            let status = e.status();
            code_errors(e, &form, &mut errors)?;
            Ok(code_page(&csrf, &carry, token, &errors, status).into_response())
        }
    }
}

/// The first code from the app set up during a login.
#[handler]
pub async fn submit_setup(
    state: Data<&AppState>,
    meta: RequestMeta,
    current: CurrentSession,
    csrf: Csrf,
    form: FormData,
) -> poem::Result<Response> {
    let carry = Carry::from_form(&form);
    if !csrf.verify(form.raw(csrf::FIELD)) {
        return Ok(form_expired(&carry.login_url()).into_response());
    }
    let token = form.raw("enrolment_token");
    let mut errors = FormErrors::default();
    let outcome = if form.is_blank("code") {
        errors.add("code", "Enter the 6-digit code your app shows.");
        Err(None)
    } else {
        let code = form.raw("code").trim();
        page_login::enrol(&state, token, code, &meta, state.now())
            .await
            .map_err(Some)
    };
    let status = match outcome {
        Ok(outcome) => return next_step(&state, &csrf, &carry, &current, outcome).await,
        Err(Some(Error::InvalidGrant | Error::NoAccess)) => {
            return Ok(start_again(&carry).into_response());
        }
        Err(Some(e)) if e.is_practice_refusal() => {
            return Ok(blocked_page(&state, &csrf, &carry, e, None, &[])
                .await?
                .into_response());
        }
        Err(Some(e)) => {
            let status = e.status();
            code_errors(e, &form, &mut errors)?;
            status
        }
        Err(None) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    // The same key again: the person keeps what they scanned.
    let enrolment = match login_service::pending_enrolment(&state, token, state.now()).await {
        Ok(e) => e,
        Err(Error::InvalidGrant | Error::NoAccess) => {
            return Ok(start_again(&carry).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let page = setup_page(&csrf, &carry, token, &enrolment, &errors, status);
    Ok(with_practice(&state, page, &carry.practice)
        .await?
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_is_said_in_minutes() {
        assert_eq!(wait_words(0), "a minute");
        assert_eq!(wait_words(59), "a minute");
        assert_eq!(wait_words(61), "2 minutes");
        assert_eq!(wait_words(900), "15 minutes");
    }
}
