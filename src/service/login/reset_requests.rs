//! Asking for a password reset link: by username, by email address (every account using it
//! gets a link) or by mobile number (issue 22: every account whose contact is that number; a
//! patient who registered from a text message has no email). The links go in one message to
//! the address, or in one text to the number; an account found by username gets its link at
//! its email, else by text at its mobile.
//!
//! A request answers the same for a known and an unknown identifier, in the same time: it
//! only queues the work (a background task finds the accounts, issues the links and queues
//! the message), so nothing in the answer or its timing depends on whether an account exists.

use crate::crypto::secrets;
use crate::domain::throttle;
use crate::error::Result;
use crate::mail::account_security::{self, ResetLink};
use crate::mail::account_texts;
use crate::service::login::contact::{self, Names, Reach};
use crate::service::login::passwords::{RESET_PURPOSE, RESET_TTL};
use crate::state::AppState;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{account, account_tokens, outbox, throttles};
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use serde_json::json;

/// `POST /api/v1/password-resets`: queues the work and returns at once, whatever the input.
pub fn request(state: &AppState, identifier: String, meta: RequestMeta) {
    let now = state.now();
    let work_state = state.clone();
    contact::answer_later(state, "password reset request", async move {
        send_reset_links(&work_state, &identifier, &meta, now).await
    });
}

/// Finds the accounts, issues one link each and queues one message to the address or number.
/// Returns whether a message was queued.
async fn send_reset_links(
    state: &AppState,
    identifier: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<bool> {
    let (accounts, reach) = contact::find(&state.db, identifier, Names::ContactOrUsername).await?;
    let Some(reach) = reach else {
        audit::record(
            &state.db,
            meta,
            Event::new("password_reset.requested", Actor::Anonymous).detail(json!({
                "outcome": "no_account",
                "identifier_sha256": secrets::hash_token(&identifier.trim().to_lowercase()),
            })),
            now,
        )
        .await?;
        return Ok(false);
    };
    let accounts = not_throttled(state, accounts, meta, now).await?;
    let Some(first) = accounts.first() else {
        return Ok(false);
    };
    let sender = match &reach {
        Reach::Mobile(_) => Some(contact::sender_name(&state.db, first).await?),
        Reach::Email(_) => None,
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
                .detail(json!({
                    "outcome": "link_sent",
                    "channel": match reach { Reach::Email(_) => "email", Reach::Mobile(_) => "sms" },
                    "accounts_on_address": accounts.len(),
                })),
            now,
        )
        .await?;
    }
    let ttl = RESET_TTL.num_minutes();
    let msg = match (&reach, &sender) {
        (Reach::Mobile(to), Some(sender)) => account_texts::password_reset(to, sender, &links, ttl),
        (Reach::Email(to), _) | (Reach::Mobile(to), None) => {
            account_security::password_reset(to, &links, ttl)
        }
    };
    outbox::enqueue(&txn, None, msg, now).await?;
    txn.commit().await?;
    Ok(true)
}

/// The accounts still allowed a link this hour. Each is counted before its link is issued, in
/// one statement: requests sent at once are judged as the same requests one after another.
async fn not_throttled(
    state: &AppState,
    accounts: Vec<account::Model>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Vec<account::Model>> {
    let mut due = Vec::with_capacity(accounts.len());
    for a in accounts {
        let key = format!("{RESET_PURPOSE}:{}", a.id);
        match throttles::count_attempt(&state.db, &key, throttle::LINKS_PER_ACCOUNT, now).await? {
            Some(_) => due.push(a),
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
    Ok(due)
}
