//! The two-step steps of a login on the pages: the code (`/login/mfa`) when the account has
//! two-step verification on, and its set-up (`/login/mfa-setup`) when the practice requires it
//! and the account has none yet. Both finish with `service::login::page` (the same services as
//! `POST /api/v1/login/mfa` and `/login/mfa/enrolment`), then `login_steps::next_step`.

use crate::api::context::RequestMeta;
use crate::error::Error;
use crate::service::login::continuation;
use crate::service::login::page;
use crate::state::AppState;
use crate::web::form::{FormData, FormErrors};
use crate::web::guards::CsrfForm;
use crate::web::login_carry::Carry;
use crate::web::login_steps::{
    LoginAgain, blocked_page, code_page, next_step, setup_page, start_again, with_practice,
};
use crate::web::messages::on_form;
use crate::web::session::CurrentSession;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{IntoResponse, Response, handler};

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
    CsrfForm { form, csrf, .. }: CsrfForm<LoginAgain>,
) -> poem::Result<Response> {
    let carry = Carry::from_form(&form);
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
    match page::mfa(&state, token, code, &meta, state.now()).await {
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
    CsrfForm { form, csrf, .. }: CsrfForm<LoginAgain>,
) -> poem::Result<Response> {
    let carry = Carry::from_form(&form);
    let token = form.raw("enrolment_token");
    let mut errors = FormErrors::default();
    let outcome = if form.is_blank("code") {
        errors.add("code", "Enter the 6-digit code your app shows.");
        Err(None)
    } else {
        let code = form.raw("code").trim();
        page::enrol(&state, token, code, &meta, state.now())
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
    let enrolment = match continuation::pending_enrolment(&state, token, state.now()).await {
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
