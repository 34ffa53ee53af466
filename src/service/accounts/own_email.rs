//! The patient's own email change (`PATCH /api/v1/me`): needs the current password; the new
//! address takes effect only when the link sent to it is followed, and the old address is told
//! at once (seed 003's caution about email changes being a way into an account).

use crate::domain::contact::EmailAddress;
use crate::error::{Error, Result};
use crate::mail::account_security;
use crate::service::login::passwords::{self, Acting};
use crate::service::sessions::patient_auth::PatientPrincipal;
use crate::state::AppState;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{account_tokens, accounts, outbox};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::TransactionTrait;
use serde_json::json;

/// `account_tokens.purpose` of the link that confirms a new address.
pub const PURPOSE: &str = "email_change";
/// How long the confirmation link works.
pub const TTL: TimeDelta = TimeDelta::hours(24);

/// Asks to change the account's email: checks the password, sends the confirmation link to
/// the new address and a notice to the old one. Returns the address waiting for confirmation.
pub async fn request(
    state: &AppState,
    principal: &PatientPrincipal,
    new_email: &str,
    current_password: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<String> {
    request_as(
        state,
        &principal.into(),
        new_email,
        current_password,
        meta,
        now,
    )
    .await
}

/// [`request`] for any session (the account page too).
pub async fn request_as(
    state: &AppState,
    who: &Acting<'_>,
    new_email: &str,
    current_password: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<String> {
    let email = EmailAddress::parse("email", new_email)?;
    let account = who.account;
    passwords::verify_current_as(state, who, current_password, meta, now).await?;
    if account.email_folded.as_deref() == Some(email.folded().as_str()) {
        return Err(Error::invalid("email", "is already this account's address"));
    }
    let txn = state.db.begin().await?;
    // Only the latest request counts.
    account_tokens::retire_all(&txn, account.id, PURPOSE, now).await?;
    let token = account_tokens::issue(
        &txn,
        account.id,
        PURPOSE,
        Some(json!({"email": email.as_str()})),
        TTL,
        now,
    )
    .await?;
    let link = format!("{}/confirm-email/{token}", state.settings.issuer());
    outbox::enqueue(
        &txn,
        None,
        account_security::confirm_new_email(
            email.as_str(),
            &account.username,
            &link,
            TTL.num_hours(),
        ),
        now,
    )
    .await?;
    if let Some(old) = &account.email {
        outbox::enqueue(
            &txn,
            None,
            account_security::email_change_requested(old, &account.username),
            now,
        )
        .await?;
    }
    let mut event = Event::new("account.email_change_requested", Actor::Account(account.id))
        .account(account.id)
        .detail(json!({"old_address_notified": account.email.is_some()}));
    if let Some(p) = who.practice_id {
        event = event.practice(p);
    }
    audit::record(&txn, meta, event, now).await?;
    txn.commit().await?;
    state.outbox_wakeup.notify_one();
    Ok(email.as_str().to_owned())
}

/// Follows the confirmation link: the new address replaces the old one, verified.
pub async fn confirm(
    state: &AppState,
    raw_token: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    let token = account_tokens::find_usable(&state.db, raw_token, PURPOSE, now)
        .await?
        .ok_or(Error::TokenInvalid)?;
    let raw_email = token
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .and_then(|v| v["email"].as_str().map(str::to_owned))
        .ok_or(Error::TokenInvalid)?;
    let email = EmailAddress::parse("email", &raw_email)?;
    let txn = state.db.begin().await?;
    if !account_tokens::consume(&txn, token.id, now).await? {
        return Err(Error::TokenInvalid);
    }
    accounts::set_verified_email(&txn, token.account_id, email.as_str(), &email.folded(), now)
        .await?;
    audit::record(
        &txn,
        meta,
        Event::new("account.email_changed", Actor::Account(token.account_id))
            .account(token.account_id),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
