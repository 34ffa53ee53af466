//! Logging in, as a small state machine. Each step either ends the login (an outcome or an
//! error) or hands over to the next:
//!
//! 1. **Password** ([`login`]): argon2id off the runtime; an unknown username is checked
//!    against a dummy hash, so both cost one hash and get the same `invalid_credentials`.
//! 2. **Practice** ([`choose`]): only after a correct password, the account's accesses are read
//!    (one query with their practices and patients) and the practice chosen: the requested
//!    one, or the only active one, or `practice_required`. A blocked or revoked practice is
//!    refused with its name and phone (seeds 000, 001, 004).
//! 3. **What remains** ([`advance`]): a staff-created account must change its password first
//!    (`password_change_required` with a single-use token bound to the account and practice);
//!    then an account with two-step verification on gives a code (`mfa_required` with a
//!    5-minute single-use `mfa_token`, finished by [`complete_mfa`]); and an account without it,
//!    at a practice whose settings require it, enrols first (`mfa_enrolment_required` with a
//!    token that allows only enrolment, finished by [`complete_enrolment`]).
//! 4. **Tokens** (`tokens::start`): session, refresh token, `last_login_at`, audit.
//!
//! A step that needs the person again (password change, later MFA) ends with a token that
//! carries the login to its next step, never with an access token.
//!
//! Steps 1 to 3 end in a [`Step`], shared by the JSON API ([`login`], which hands out tokens)
//! and Portico's own pages (`service::login::page`, which starts a web session instead).

use crate::auth::password::Verification;
use crate::crypto::secrets;
use crate::domain::password_policy;
use crate::domain::username;
use crate::error::{Error, Result};
use crate::service::login::tokens;
use crate::service::{representation::time_limits, sessions::throttle};
use crate::state::AppState;
use crate::store::access_rows::{self, AtPractice, by_practice};
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{account, accounts};
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::service::login::choice::{Chosen, advance, choose};
pub use crate::service::login::steps::*;

/// A login through the JSON API: steps 1 to 3, then tokens.
pub async fn login(
    state: &AppState,
    creds: Credentials,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<LoginOutcome> {
    let step = authenticate(state, creds, meta, now).await?;
    outcome(state, step, meta, now).await
}

/// A [`Step`] as the API answers it: tokens when ready.
pub(super) async fn outcome(
    state: &AppState,
    step: Step,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<LoginOutcome> {
    match step {
        Step::Ready { account, at, amr } => {
            let keyset = state.keys.current(now).await;
            let tokens = tokens::start(state, &keyset, account.id, &at, amr, meta, now).await?;
            Ok(LoginOutcome::Tokens(tokens))
        }
        Step::Mfa { token, expires_in } => Ok(LoginOutcome::MfaRequired { token, expires_in }),
        Step::MfaEnrolment { token, expires_in } => {
            Ok(LoginOutcome::MfaEnrolmentRequired { token, expires_in })
        }
        Step::Choose { options, .. } => Ok(LoginOutcome::PracticeRequired(options)),
        Step::Refused { refusal, .. } => Err(refusal),
        Step::PasswordChange {
            token, expires_in, ..
        } => Ok(LoginOutcome::PasswordChangeRequired { token, expires_in }),
    }
}

/// Step 1, the password, then the practice and what remains.
pub async fn authenticate(
    state: &AppState,
    creds: Credentials,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Step> {
    // Before any hash: the attempt is counted, and a throttled account or client waits
    // (429), known or not.
    let attempt = throttle::attempt(state, &creds.username, meta, now).await?;
    let found = access_rows::for_login(&state.db, &username::fold(&creds.username)).await?;
    let verdict = state
        .hasher
        .verify(
            &creds.password,
            found.as_ref().map(|f| f.account.password_hash.as_str()),
        )
        .await?;
    let (read, needs_rehash) = match (found, verdict) {
        (Some(f), Verification::Valid { needs_rehash }) => (f, needs_rehash),
        (found, _) => {
            let account = found.map(|f| f.account);
            record_failure(state, account.as_ref(), &creds.username, meta, now).await?;
            attempt.failed(state, meta, now).await?;
            return Err(Error::InvalidCredentials);
        }
    };
    if needs_rehash {
        rehash(state, &read.account, &creds.password, now).await?;
    }
    let practices = read.practices();
    let account = require_longer_password(state, read.account, &creds.password, now).await;
    let step = match account {
        Ok(account) => {
            at_practices(
                state,
                account,
                practices,
                creds.practice.as_deref(),
                meta,
                now,
            )
            .await
        }
        Err(e) => Err(e),
    };
    // The right password is not a failure: a login that is now complete clears the account's
    // failures, one that still needs a step (or was refused) only takes its count back.
    match &step {
        Ok(Step::Ready { .. }) => attempt.completed_login(state, &creds.username, now).await?,
        _ => attempt.succeeded(state, now).await?,
    }
    step
}

/// Steps 2 and 3 for an account that has proved who it is: read its practices, choose one
/// (`requested`, or the only active one), and see what remains. The pages' practice chooser
/// comes back here with the practice the person picked.
pub async fn at_practice(
    state: &AppState,
    account: account::Model,
    requested: Option<&str>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Step> {
    let practices = by_practice(access_rows::for_account(&state.db, account.id, None).await?);
    at_practices(state, account, practices, requested, meta, now).await
}

/// [`at_practice`] with the account's accesses read already (a password login reads them
/// with the account).
pub(super) async fn at_practices(
    state: &AppState,
    account: account::Model,
    mut practices: Vec<AtPractice>,
    requested: Option<&str>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Step> {
    // Accesses that time has ended are ended before the login reads them (only when one may
    // have: most logins skip this).
    if practices.iter().any(|at| at.time_limits_may_apply(now)) {
        time_limits::apply_for_account(&state.db, state.settings.issuer(), account.id, now).await?;
        practices = by_practice(access_rows::for_account(&state.db, account.id, None).await?);
    }
    match choose(state, &account, practices, requested, meta, now).await? {
        Chosen::One(at) => advance(state, account, at, meta, now).await,
        Chosen::Several(options) => Ok(Step::Choose { account, options }),
        Chosen::Refused(refusal, others) => Ok(Step::Refused {
            account,
            refusal,
            others,
        }),
    }
}

/// A failed password: recorded without the password. Unknown usernames are recorded by the
/// SHA-256 of their folded form, so the trail can show an attack on one name without the
/// practice API revealing whether it exists; neither kind is tied to a practice (the attempt
/// proved nothing about one).
pub(super) async fn record_failure(
    state: &AppState,
    account: Option<&account::Model>,
    username: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    let event = match account {
        Some(a) => Event::new("login.failed", Actor::Anonymous)
            .account(a.id)
            .detail(json!({"reason": "wrong_password"})),
        None => Event::new("login.failed", Actor::Anonymous).detail(json!({
            "reason": "unknown_username",
            "username_sha256": secrets::hash_token(&crate::domain::username::fold(username)),
        })),
    };
    audit::record(&state.db, meta, event, now).await?;
    Ok(())
}

/// A password shorter than the password-only minimum is allowed only while every login also
/// needs a code (`password_policy`); an account that has turned two-step verification off
/// since must choose a longer one at this login (the same step as a staff-created account's
/// first login, kept until it is done).
pub(super) async fn require_longer_password(
    state: &AppState,
    account: account::Model,
    password: &str,
    now: DateTime<Utc>,
) -> Result<account::Model> {
    if account.totp_enabled_at.is_some()
        || account.must_change_password
        || password.chars().count() >= password_policy::MIN_LENGTH
    {
        return Ok(account);
    }
    accounts::require_password_change_unless_mfa(&state.db, account.id, now).await?;
    Ok(account::Model {
        must_change_password: true,
        ..account
    })
}

/// Stored with older argon2 parameters: store it again with the configured ones (ASVS 5.0
/// 11.4.2). Only replaces the hash that was verified.
pub(super) async fn rehash(
    state: &AppState,
    account: &account::Model,
    password: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let fresh = state.hasher.hash(password).await?;
    accounts::replace_password_hash(&state.db, account.id, &account.password_hash, &fresh, now)
        .await?;
    Ok(())
}
