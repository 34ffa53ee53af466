//! Choosing a new password outside a login: the reset link (asked for in
//! `login::reset_requests`), and the signed-in account's own change. Both go through `password_policy::check` (the one rule), end the
//! account's other sessions and email a notice. Neither touches two-step verification: after a
//! reset the next login still asks for the code (SECURITY C5).

use crate::crypto::secrets;
use crate::domain::password_policy::{self, PasswordContext};
use crate::domain::throttle;
use crate::error::{Error, Result};
use crate::mail::{account_security, account_texts};
use crate::service::login::contact::{self, Reach};
use crate::service::sessions::ending;
/// Which session a password change keeps (sessions end in `sessions::ending`).
pub use crate::service::sessions::ending::Keep;
use crate::service::sessions::ending::ended;
use crate::service::sessions::patient_auth::PatientPrincipal;
use crate::service::sessions::throttle::{Key, Kinds, attempt_guess};
use crate::state::AppState;
use crate::store::access_rows::{self, by_practice};
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::outbox::OutgoingMessage;
use crate::store::{account, account_tokens, accounts, outbox};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

/// `account_tokens.purpose` of a password reset link.
pub const RESET_PURPOSE: &str = "password_reset";
/// How long a reset link works.
pub const RESET_TTL: TimeDelta = TimeDelta::minutes(30);
/// At most this many reset links per account an hour, so the form cannot flood a mailbox.
pub const RESETS_PER_HOUR: i32 = throttle::LINKS_PER_ACCOUNT.cap;

/// Checks a new password for this account: against its username, email, two-step setting
/// and the name of every practice where it has access.
pub async fn check_for_account<C: ConnectionTrait>(
    conn: &C,
    account: &account::Model,
    password: &str,
) -> Result<()> {
    let practices = by_practice(access_rows::for_account(conn, account.id, None).await?);
    let names: Vec<Option<&str>> = if practices.is_empty() {
        vec![None]
    } else {
        practices.iter().map(|p| Some(p.name.as_str())).collect()
    };
    for practice_name in names {
        password_policy::check(
            password,
            &PasswordContext {
                username: Some(&account.username),
                email: account.email.as_deref(),
                practice_name,
                mfa: account.totp_enabled_at.is_some(),
            },
        )?;
    }
    Ok(())
}

/// Counts a look at a reset link on the client's address before the link is looked up (one
/// statement returning the count, so guesses sent at once are judged as the same guesses in a
/// row): `rate_limited` while the address must wait. A link that exists (even spent) is no
/// guess and is taken back; an unknown one stays counted.
async fn guess_at_link<T>(
    state: &AppState,
    raw_token: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
    then: impl AsyncFnOnce() -> Result<T>,
) -> Result<T> {
    let keys = Key::client(RESET_PURPOSE, meta, throttle::LINK_GUESSES)
        .into_iter()
        .collect();
    let attempt = attempt_guess(state, keys, LINK_GUESS_KINDS, meta, now).await?;
    let known = secrets::looks_like_token(raw_token)
        && account_tokens::exists(&state.db, raw_token, RESET_PURPOSE).await?;
    if known {
        attempt.succeeded(state, now).await?;
    } else {
        attempt.failed(state, meta, now).await?;
    }
    then().await
}

/// The audit kinds of guesses at reset links.
const LINK_GUESS_KINDS: Kinds = Kinds {
    refused: "password_reset.link_throttled",
    imposed: "password_reset.link_throttle_imposed",
};

/// Whether a reset link still works (the page shows its form, or says to ask again). Looks
/// are throttled per address like guesses.
pub async fn reset_link_usable(
    state: &AppState,
    raw_token: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<bool> {
    guess_at_link(state, raw_token, meta, now, async || {
        Ok(
            account_tokens::find_usable(&state.db, raw_token, RESET_PURPOSE, now)
                .await?
                .is_some(),
        )
    })
    .await
}

/// `POST /api/v1/password-resets/{token}`: sets the password (policy first: a weak one does
/// not spend the link), spends this and every other reset link of the account, ends every
/// session, marks the email verified (the link proved it; seed 003's practice-enabled
/// account completes its set-up this way) and emails a notice.
pub async fn complete_reset(
    state: &AppState,
    raw_token: &str,
    new_password: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    let token = guess_at_link(state, raw_token, meta, now, async || {
        Ok(account_tokens::find_usable(&state.db, raw_token, RESET_PURPOSE, now).await?)
    })
    .await?
    .ok_or(Error::TokenInvalid)?;
    let account = accounts::find(&state.db, token.account_id)
        .await?
        .ok_or(Error::TokenInvalid)?;
    check_for_account(&state.db, &account, new_password).await?;
    let hash = state.hasher.hash(new_password).await?;

    let txn = state.db.begin().await?;
    if !account_tokens::consume(&txn, token.id, now).await? {
        return Err(Error::TokenInvalid);
    }
    account_tokens::retire_all(&txn, account.id, RESET_PURPOSE, now).await?;
    let verify_email = account.email_verified_at.is_none();
    accounts::reset_password(&txn, account.id, &hash, verify_email, now).await?;
    let ended = ending::end_all(&txn, account.id, None, ended::PASSWORD_CHANGED, now).await?;
    // A reset is the way out of a throttled account.
    crate::service::sessions::throttle::forget_account(&txn, &account.username).await?;
    if let Some(msg) = changed_notice(&txn, &account, true).await? {
        outbox::enqueue(&txn, None, msg, now).await?;
    }
    audit::record(
        &txn,
        meta,
        Event::new("password.changed", Actor::Account(account.id))
            .account(account.id)
            .detail(json!({"reason": "reset", "sessions_ended": ended})),
        now,
    )
    .await?;
    txn.commit().await?;
    state.outbox_wakeup.notify_one();
    Ok(())
}

/// The notice that the password changed: to the account's email, else by text to its mobile
/// number (issue 22), else none.
async fn changed_notice<C: ConnectionTrait>(
    conn: &C,
    account: &account::Model,
    by_reset: bool,
) -> Result<Option<OutgoingMessage>> {
    Ok(match contact::reach_of(account) {
        Some(Reach::Email(to)) => Some(account_security::password_changed(
            &to,
            &account.username,
            by_reset,
        )),
        Some(Reach::Mobile(to)) => {
            let sender = contact::sender_name(conn, account).await?;
            Some(account_texts::password_changed(
                &to,
                &sender,
                &account.username,
            ))
        }
        None => None,
    })
}

/// Who acts on their own account: the account, the practice of the session, and the session
/// that stays when the others end (the API's token session, or the page's web session).
pub struct Acting<'a> {
    pub account: &'a account::Model,
    pub practice_id: Option<Uuid>,
    pub keep: Keep,
}

impl<'a> From<&'a PatientPrincipal> for Acting<'a> {
    fn from(p: &'a PatientPrincipal) -> Self {
        Acting {
            account: &p.account,
            practice_id: Some(p.practice_id),
            keep: Keep::Tokens(p.session_id),
        }
    }
}

fn event(kind: &'static str, who: &Acting<'_>) -> Event {
    let e = Event::new(kind, Actor::Account(who.account.id)).account(who.account.id);
    match who.practice_id {
        Some(p) => e.practice(p),
        None => e,
    }
}

/// `POST /api/v1/me/password`: the current password first (a wrong one is
/// `invalid_credentials`, audited), then the policy; ends every other session of the account
/// (the one making the change stays) and emails a notice.
pub async fn change_own(
    state: &AppState,
    principal: &PatientPrincipal,
    current: &str,
    new_password: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    change_as(state, &principal.into(), current, new_password, meta, now).await
}

/// [`change_own`] for any session (the account page too).
pub async fn change_as(
    state: &AppState,
    who: &Acting<'_>,
    current: &str,
    new_password: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    let account = who.account;
    verify_current_as(state, who, current, meta, now).await?;
    check_for_account(&state.db, account, new_password).await?;
    let hash = state.hasher.hash(new_password).await?;

    let txn = state.db.begin().await?;
    accounts::set_password(&txn, account.id, &hash, now).await?;
    let ended = ending::end_others(&txn, account.id, who.keep, now).await?;
    if let Some(msg) = changed_notice(&txn, account, false).await? {
        outbox::enqueue(&txn, None, msg, now).await?;
    }
    audit::record(
        &txn,
        meta,
        event("password.changed", who)
            .detail(json!({"reason": "changed_by_account", "sessions_ended": ended})),
        now,
    )
    .await?;
    txn.commit().await?;
    state.outbox_wakeup.notify_one();
    Ok(())
}

/// The signed-in account proves it knows its password again (password change, email change,
/// turning two-step verification off). A wrong one is audited and `invalid_credentials`.
pub async fn verify_current(
    state: &AppState,
    principal: &PatientPrincipal,
    password: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    verify_current_as(state, &principal.into(), password, meta, now).await
}

/// [`verify_current`] for any session.
pub async fn verify_current_as(
    state: &AppState,
    who: &Acting<'_>,
    password: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    let account = who.account;
    let attempt =
        crate::service::sessions::throttle::attempt(state, &account.username, meta, now).await?;
    let verdict = state
        .hasher
        .verify(password, Some(account.password_hash.as_str()))
        .await?;
    if !matches!(verdict, crate::auth::password::Verification::Valid { .. }) {
        audit::record(
            &state.db,
            meta,
            event("password.reauthentication_failed", who),
            now,
        )
        .await?;
        attempt.failed(state, meta, now).await?;
        return Err(Error::InvalidCredentials);
    }
    attempt.succeeded(state, now).await?;
    Ok(())
}
