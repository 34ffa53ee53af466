//! The steps that come back to a login after the password: the forced password change of a
//! staff-created account, the two-step code and the two-step enrolment a practice requires.
//! Each spends the single-use token its step was given and ends ready for a session.

use crate::domain::login::PracticeStanding;
use crate::domain::password_policy::{self, PasswordContext};
use crate::error::{Error, Result};
use crate::service::login::mfa::{self, CodeKind, Enrolment};
use crate::service::login::tokens::IssuedTokens;
use crate::service::sessions::ending;
use crate::service::sessions::ending::ended;
use crate::service::sessions::standing::refusal;
use crate::service::sessions::throttle;
use crate::state::AppState;
use crate::store::access_rows::{self, AtPractice};
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{account, account_tokens, accounts};
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use serde_json::json;
use uuid::Uuid;

use crate::service::login::choice::advance;
use crate::service::login::flow::outcome;
use crate::service::login::steps::*;

/// The forced password change through the API, then tokens.
pub async fn change_password_and_continue(
    state: &AppState,
    raw_token: &str,
    new_password: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<LoginOutcome> {
    let step = change_password(state, raw_token, new_password, meta, now).await?;
    outcome(state, step, meta, now).await
}

/// The forced password change of a staff-created account, then the rest of the login: the
/// new password must pass the policy (a weak one does not spend the token); the change ends
/// every other session of the account.
pub async fn change_password(
    state: &AppState,
    raw_token: &str,
    new_password: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Step> {
    let token = account_tokens::find_usable(&state.db, raw_token, PASSWORD_CHANGE_PURPOSE, now)
        .await?
        .ok_or(Error::InvalidGrant)?;
    let practice_id = practice_of(&token)?;
    let account = accounts::find(&state.db, token.account_id)
        .await?
        .ok_or(Error::InvalidGrant)?;
    let at = access_rows::at_practice(&state.db, account.id, practice_id)
        .await?
        .ok_or(Error::NoAccess)?;
    password_policy::check(
        new_password,
        &PasswordContext {
            username: Some(&account.username),
            email: account.email.as_deref(),
            practice_name: Some(&at.name),
            mfa: account.totp_enabled_at.is_some(),
        },
    )?;
    let hash = state.hasher.hash(new_password).await?;

    let txn = state.db.begin().await?;
    if !account_tokens::consume(&txn, token.id, now).await? {
        return Err(Error::InvalidGrant);
    }
    accounts::reset_password(&txn, account.id, &hash, false, now).await?;
    let ended = ending::end_all(&txn, account.id, None, ended::PASSWORD_CHANGED, now).await?;
    audit::record(
        &txn,
        meta,
        Event::new("password.changed", Actor::Account(account.id))
            .practice(practice_id)
            .account(account.id)
            .detail(json!({"reason": "required_at_login", "sessions_ended": ended})),
        now,
    )
    .await?;
    txn.commit().await?;

    let account = account::Model {
        must_change_password: false,
        ..account
    };
    if at.standing() != Some(PracticeStanding::Active) {
        return Err(refusal(&at, at.standing()));
    }
    let username = account.username.clone();
    let step = advance(state, account, at, meta, now).await?;
    // A login this change completes clears the account's failures, as a right password does.
    if matches!(step, Step::Ready { .. }) {
        throttle::forget_account(&state.db, &username).await?;
    }
    Ok(step)
}

/// The practice a login-step token was issued for.
pub(super) fn practice_of(token: &crate::store::account_token::Model) -> Result<Uuid> {
    token
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .and_then(|v| v["practice_id"].as_str().and_then(|s| s.parse().ok()))
        .ok_or(Error::InvalidGrant)
}

/// A usable login-step token, its account and the practice it is for.
pub(super) async fn step_token(
    state: &AppState,
    raw: &str,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<(
    crate::store::account_token::Model,
    account::Model,
    AtPractice,
)> {
    let token = account_tokens::find_usable(&state.db, raw, purpose, now)
        .await?
        .ok_or(Error::InvalidGrant)?;
    let practice_id = practice_of(&token)?;
    let account = accounts::find(&state.db, token.account_id)
        .await?
        .ok_or(Error::InvalidGrant)?;
    let at = access_rows::at_practice(&state.db, account.id, practice_id)
        .await?
        .ok_or(Error::NoAccess)?;
    Ok((token, account, at))
}

/// Spends a login-step token: the login is ready if the practice still lets the account in
/// (the throttle forgets the account's failures, as after a right password).
pub(super) async fn ready(
    state: &AppState,
    token_id: Uuid,
    account: account::Model,
    at: AtPractice,
    amr: &'static [&'static str],
    now: DateTime<Utc>,
) -> Result<Step> {
    if !account_tokens::consume(&state.db, token_id, now).await? {
        return Err(Error::InvalidGrant);
    }
    match at.standing() {
        Some(PracticeStanding::Active) => {
            throttle::forget_account(&state.db, &account.username).await?;
            Ok(Step::Ready { account, at, amr })
        }
        other => Err(refusal(&at, other)),
    }
}

/// Tokens for a login step that ended ready (the API's end of [`mfa_step`] and
/// [`enrolment_step`]).
pub(super) async fn tokens(
    state: &AppState,
    step: Step,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<IssuedTokens> {
    match outcome(state, step, meta, now).await? {
        LoginOutcome::Tokens(tokens) => Ok(tokens),
        _ => Err(Error::internal(anyhow::anyhow!(
            "a finished login step did not end ready"
        ))),
    }
}

/// The two-step code of a login: a TOTP or recovery code with the `mfa_token`. A wrong code
/// leaves the token usable until it expires (throttled like passwords); a right one spends
/// the token and the code.
pub async fn complete_mfa(
    state: &AppState,
    raw_token: &str,
    code: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<IssuedTokens> {
    let step = mfa_step(state, raw_token, code, meta, now).await?;
    tokens(state, step, meta, now).await
}

/// The two-step code checked and its token spent: `Step::Ready` with the methods used (the
/// pages start a web session with it, the API tokens).
pub async fn mfa_step(
    state: &AppState,
    raw_token: &str,
    code: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Step> {
    let (token, account, at) = step_token(state, raw_token, MFA_PURPOSE, now).await?;
    // Wrong codes count against the account like wrong passwords (one counter, both factors).
    let attempt = throttle::attempt(state, &account.username, meta, now).await?;
    let kind = match mfa::verify(state, &account, code, meta, now).await {
        Err(Error::InvalidMfaCode) => {
            attempt.failed(state, meta, now).await?;
            return Err(Error::InvalidMfaCode);
        }
        other => other?,
    };
    attempt.succeeded(state, now).await?;
    ready(state, token.id, account, at, kind.amr(), now).await
}

/// The enrolment a practice requires, during login: the secret and QR code for the app.
pub async fn start_enrolment(
    state: &AppState,
    raw_token: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Enrolment> {
    let (_, account, _) = step_token(state, raw_token, MFA_ENROLMENT_PURPOSE, now).await?;
    mfa::start_enrolment(state, &account, meta, now).await
}

/// The enrolment started with [`start_enrolment`], shown again after a wrong code.
pub async fn pending_enrolment(
    state: &AppState,
    raw_token: &str,
    now: DateTime<Utc>,
) -> Result<Enrolment> {
    let (_, account, _) = step_token(state, raw_token, MFA_ENROLMENT_PURPOSE, now).await?;
    mfa::pending_enrolment(state, &account)?.ok_or(Error::InvalidGrant)
}

/// Confirms the enrolment with a code and finishes the login: tokens and the recovery codes.
pub async fn complete_enrolment(
    state: &AppState,
    raw_token: &str,
    code: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<(Vec<String>, IssuedTokens)> {
    let (codes, step) = enrolment_step(state, raw_token, code, meta, now).await?;
    Ok((codes, tokens(state, step, meta, now).await?))
}

/// The enrolment confirmed with a code and its token spent: the recovery codes (shown once)
/// and `Step::Ready`.
pub async fn enrolment_step(
    state: &AppState,
    raw_token: &str,
    code: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<(Vec<String>, Step)> {
    let (token, account, at) = step_token(state, raw_token, MFA_ENROLMENT_PURPOSE, now).await?;
    let codes = mfa::confirm_enrolment(state, &account, code, meta, now).await?;
    let step = ready(state, token.id, account, at, CodeKind::Totp.amr(), now).await?;
    Ok((codes, step))
}
