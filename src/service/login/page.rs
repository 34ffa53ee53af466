//! Logging in on Portico's own pages (`/login`): the same steps as the JSON API
//! (`service::login::flow`: password, practice, what remains), ending in a web session bound to the
//! chosen practice instead of tokens.
//!
//! Where the API asks the client to send the password again with a practice, the pages carry
//! the login to the practice chooser with a short-lived, single-use token (like the forced
//! password change's), so the person picks a practice without typing the password twice,
//! and no session exists before every step is done (ASVS 7.2.4).
//!
//! A step between the password and the session (the two-step code, its enrolment) is a
//! [`Step`] variant carrying a single-use token, like `PasswordChange`: it becomes a
//! [`PageLogin`] variant here, a page whose form carries the token and where the login goes
//! next (`web::login`'s `Carry`), and a handler that finishes the step with the service and
//! hands its `Step` back to [`finish`]. `Step::Ready` carries the authentication methods
//! (`amr`), which the web session records.

use crate::error::{Error, Result};
use crate::service::login::continuation;
use crate::service::login::flow::{self, Credentials, PracticeOption, Step};
use crate::service::login::mfa::Enrolment;
use crate::service::sessions::browser::{self, Started};
use crate::state::AppState;
use crate::store::audit::RequestMeta;
use crate::store::{account, account_tokens};
use chrono::{DateTime, TimeDelta, Utc};

/// `account_tokens.purpose` of the token that carries a login to the practice chooser.
pub const PRACTICE_CHOICE_PURPOSE: &str = "login_practice_choice";
/// How long the chooser works before the person must log in again.
pub const PRACTICE_CHOICE_TTL: TimeDelta = TimeDelta::minutes(10);

/// How a login on the pages ended.
#[derive(Debug)]
pub enum PageLogin {
    /// Logged in: a web session at this practice.
    LoggedIn(Started),
    /// Several practices: choose one with this token.
    Choose {
        token: String,
        options: Vec<PracticeOption>,
    },
    /// The practice refuses (`AccessBlocked` or `AccessRevoked`); `token` (when some other
    /// practice is active) lets the person choose one of `others` instead.
    Refused {
        refusal: Error,
        token: Option<String>,
        others: Vec<PracticeOption>,
    },
    /// A staff-created account: choose a password with this token first, at `practice` (a
    /// slug).
    PasswordChange { token: String, practice: String },
    /// Two-step verification is on: the code with this token.
    Mfa { token: String },
    /// The practice requires two-step verification: set it up with this token (the enrolment
    /// is started: its key and QR code are for the page).
    MfaEnrolment { token: String, enrolment: Enrolment },
    /// Set up during the login and logged in: the recovery codes, to show once.
    Enrolled {
        started: Started,
        codes: Vec<String>,
    },
}

/// Username and password (and perhaps a practice) typed on the login page.
pub async fn login(
    state: &AppState,
    creds: Credentials,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<PageLogin> {
    let step = flow::authenticate(state, creds, meta, now).await?;
    finish(state, step, None, meta, now).await
}

/// The practice picked on the chooser (or on the blocked page, among the others).
pub async fn choose(
    state: &AppState,
    raw_token: &str,
    practice: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<PageLogin> {
    let token = account_tokens::find_usable(&state.db, raw_token, PRACTICE_CHOICE_PURPOSE, now)
        .await?
        .ok_or(Error::InvalidGrant)?;
    let account = crate::store::accounts::find(&state.db, token.account_id)
        .await?
        .ok_or(Error::InvalidGrant)?;
    let step = flow::at_practice(state, account, Some(practice), meta, now).await?;
    if matches!(step, Step::Refused { .. }) {
        // Another practice may still work: the same token stays usable.
        return finish(state, step, Some(raw_token), meta, now).await;
    }
    if !account_tokens::consume(&state.db, token.id, now).await? {
        return Err(Error::InvalidGrant);
    }
    finish(state, step, None, meta, now).await
}

/// The forced password change, then the rest of the login.
pub async fn change_password(
    state: &AppState,
    raw_token: &str,
    new_password: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<PageLogin> {
    let step = continuation::change_password(state, raw_token, new_password, meta, now).await?;
    finish(state, step, None, meta, now).await
}

/// The two-step code (from the app, or a recovery code), then the session.
pub async fn mfa(
    state: &AppState,
    raw_token: &str,
    code: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<PageLogin> {
    let step = continuation::mfa_step(state, raw_token, code, meta, now).await?;
    finish(state, step, None, meta, now).await
}

/// The first code from the app set up during the login, then the session.
pub async fn enrol(
    state: &AppState,
    raw_token: &str,
    code: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<PageLogin> {
    let (codes, step) = continuation::enrolment_step(state, raw_token, code, meta, now).await?;
    Ok(match finish(state, step, None, meta, now).await? {
        PageLogin::LoggedIn(started) => PageLogin::Enrolled { started, codes },
        other => other,
    })
}

/// A [`Step`] as the pages need it. `choice` is a chooser token still usable.
async fn finish(
    state: &AppState,
    step: Step,
    choice: Option<&str>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<PageLogin> {
    Ok(match step {
        Step::Ready { account, at, amr } => PageLogin::LoggedIn(
            browser::log_in(
                &state.db,
                account.id,
                &at,
                amr,
                browser::Limits::of(&state.settings),
                meta,
                now,
            )
            .await?,
        ),
        Step::Choose { account, options } => PageLogin::Choose {
            token: choice_token(state, &account, choice, now).await?,
            options,
        },
        Step::Refused {
            account,
            refusal,
            others,
        } => {
            let any_active = others
                .iter()
                .any(|o| o.standing == crate::domain::login::PracticeStanding::Active);
            let token = match any_active {
                true => Some(choice_token(state, &account, choice, now).await?),
                false => None,
            };
            PageLogin::Refused {
                refusal,
                token,
                others,
            }
        }
        Step::PasswordChange {
            token, practice, ..
        } => PageLogin::PasswordChange { token, practice },
        Step::Mfa { token, .. } => PageLogin::Mfa { token },
        Step::MfaEnrolment { token, .. } => {
            let enrolment = continuation::start_enrolment(state, &token, meta, now).await?;
            PageLogin::MfaEnrolment { token, enrolment }
        }
    })
}

async fn choice_token(
    state: &AppState,
    account: &account::Model,
    existing: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String> {
    if let Some(t) = existing {
        return Ok(t.to_owned());
    }
    Ok(account_tokens::issue(
        &state.db,
        account.id,
        PRACTICE_CHOICE_PURPOSE,
        None,
        PRACTICE_CHOICE_TTL,
        now,
    )
    .await?)
}
