//! Choosing a new password outside a login: the emailed reset link, and the signed-in
//! account's own change. Both go through `password_policy::check` (the one rule), end the
//! account's other sessions and email a notice. Neither touches two-step verification: after a
//! reset the next login still asks for the code (SECURITY C5).
//!
//! A reset request answers the same for a known and an unknown username or address, in the
//! same time: the request only queues the work (a background task finds the accounts, issues
//! the links and queues the message), so nothing in the answer or its timing depends on
//! whether an account exists.

use crate::crypto::secrets;
use crate::domain::password_policy::{self, PasswordContext};
use crate::domain::throttle;
use crate::error::{Error, Result};
use crate::mail::account_security::{self, ResetLink};
use crate::service::sessions::ending;
/// Which session a password change keeps (sessions end in `sessions::ending`).
pub use crate::service::sessions::ending::Keep;
use crate::service::sessions::ending::ended;
use crate::service::sessions::patient_auth::PatientPrincipal;
use crate::service::sessions::throttle::{Key, Kinds, attempt_guess};
use crate::state::AppState;
use crate::store::access_rows::{self, by_practice};
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{account, account_tokens, accounts, outbox, throttles};
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

/// `POST /api/v1/password-resets`: queues the work and returns at once, whatever the input.
pub fn request_reset(state: &AppState, identifier: String, meta: RequestMeta) {
    let state = state.clone();
    tokio::spawn(async move {
        let now = state.now();
        match send_reset_links(&state, &identifier, &meta, now).await {
            Ok(true) => state.outbox_wakeup.notify_one(),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "password reset request failed"),
        }
    });
}

/// Finds the accounts (by username, or every account using an email address), issues one
/// link each and queues one message per address. Returns whether a message was queued.
async fn send_reset_links(
    state: &AppState,
    identifier: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<bool> {
    let folded = identifier.trim().to_lowercase();
    let found: Vec<account::Model> = if folded.contains('@') {
        accounts::with_email_folded(&state.db, &folded).await?
    } else {
        accounts::find_by_username_folded(&state.db, &folded)
            .await?
            .into_iter()
            .collect()
    };
    let accounts: Vec<account::Model> = found.into_iter().filter(|a| a.email.is_some()).collect();
    let matched = !accounts.is_empty();
    let mut accounts_due = Vec::with_capacity(accounts.len());
    for a in accounts {
        // Counted before the link is issued, in one statement: requests sent at once are
        // judged as the same requests one after another.
        let key = format!("{RESET_PURPOSE}:{}", a.id);
        match throttles::count_attempt(&state.db, &key, throttle::LINKS_PER_ACCOUNT, now).await? {
            Some(_) => accounts_due.push(a),
            None => {
                audit::record(
                    &state.db,
                    meta,
                    Event::new("password_reset.throttled", Actor::Anonymous)
                        .account(a.id)
                        .detail(json!({"links_per_hour": throttle::LINKS_PER_ACCOUNT.cap})),
                    now,
                )
                .await?;
            }
        }
    }
    let accounts = accounts_due;
    let Some(to) = accounts.first().and_then(|a| a.email.clone()) else {
        if matched {
            return Ok(false);
        }
        audit::record(
            &state.db,
            meta,
            Event::new("password_reset.requested", Actor::Anonymous).detail(json!({
                "outcome": "no_account",
                "identifier_sha256": secrets::hash_token(&folded),
            })),
            now,
        )
        .await?;
        return Ok(false);
    };
    let issuer = state.settings.issuer();
    let txn = state.db.begin().await?;
    let mut links = Vec::with_capacity(accounts.len());
    for a in &accounts {
        // The newest link is the only one that works.
        account_tokens::retire_all(&txn, a.id, RESET_PURPOSE, now).await?;
        let token = account_tokens::issue(&txn, a.id, RESET_PURPOSE, None, RESET_TTL, now).await?;
        links.push(ResetLink {
            username: a.username.clone(),
            link: format!("{issuer}/reset-password/{token}"),
        });
        audit::record(
            &txn,
            meta,
            Event::new("password_reset.requested", Actor::Anonymous)
                .account(a.id)
                .detail(json!({"outcome": "link_sent", "accounts_on_address": accounts.len()})),
            now,
        )
        .await?;
    }
    let msg = account_security::password_reset(&to, &links, RESET_TTL.num_minutes());
    outbox::enqueue(&txn, None, msg, now).await?;
    txn.commit().await?;
    Ok(true)
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
    if let Some(to) = &account.email {
        let msg = account_security::password_changed(to, &account.username, true);
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
    if let Some(to) = &account.email {
        let msg = account_security::password_changed(to, &account.username, false);
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
