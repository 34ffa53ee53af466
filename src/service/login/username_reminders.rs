//! "Forgot username": every username using an email address, mailed to that address, or
//! every username whose contact is a mobile number, texted to it (issue 22).
//!
//! As with password resets (`service::login::passwords`), the request answers the same at once for a
//! known and an unknown address: it only queues the work (a background task finds the
//! accounts and queues the message), so neither the answer nor its timing depends on whether
//! an account exists. Throttled like resets: at most [`REMINDERS_PER_HOUR`] reminders an hour
//! per account, so the form cannot flood a mailbox.

use crate::crypto::secrets;
use crate::domain::throttle;
use crate::error::Result;
use crate::mail::account_texts;
use crate::mail::username_reminder::{UsernameEntry, username_reminder};
use crate::service::login::contact::{self, Names, Reach};
use crate::state::AppState;
use crate::store::access_rows;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{account, outbox, throttles};
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use serde_json::json;

/// At most this many reminders per account an hour (the password reset limit).
pub const REMINDERS_PER_HOUR: i32 = throttle::LINKS_PER_ACCOUNT.cap;
/// The audit kind of a reminder sent; counted for the throttle.
const SENT: &str = "username_reminder.sent";

/// `POST /api/v1/username-reminders`: queues the work and returns at once, whatever the input.
pub fn request(state: &AppState, email_or_mobile: String, meta: RequestMeta) {
    let now = state.now();
    let work_state = state.clone();
    contact::answer_later(state, "username reminder", async move {
        send_reminder(&work_state, &email_or_mobile, &meta, now).await
    });
}

/// Finds every account using the address (or, by text, the mobile number) and queues one
/// message listing them. Returns whether a message was queued.
async fn send_reminder(
    state: &AppState,
    identifier: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<bool> {
    let (accounts, reach) = contact::find(&state.db, identifier, Names::Contact).await?;
    let Some(reach) = reach else {
        audit::record(
            &state.db,
            meta,
            Event::new("username_reminder.requested", Actor::Anonymous).detail(json!({
                "outcome": "no_account",
                "email_sha256": secrets::hash_token(&identifier.trim().to_lowercase()),
            })),
            now,
        )
        .await?;
        return Ok(false);
    };
    let mut due = Vec::with_capacity(accounts.len());
    for a in accounts {
        // Counted before the message is queued, in one statement: requests sent at once are
        // judged as the same requests one after another.
        let key = format!("username_reminder:{}", a.id);
        match throttles::count_attempt(&state.db, &key, throttle::LINKS_PER_ACCOUNT, now).await? {
            Some(_) => due.push(a),
            None => {
                audit::record(
                    &state.db,
                    meta,
                    Event::new("username_reminder.throttled", Actor::Anonymous)
                        .account(a.id)
                        .detail(json!({"reminders_per_hour": REMINDERS_PER_HOUR})),
                    now,
                )
                .await?;
            }
        }
    }
    let Some(first) = due.first() else {
        return Ok(false);
    };
    let mut entries = Vec::with_capacity(due.len());
    for a in &due {
        entries.push(UsernameEntry {
            username: a.username.clone(),
            first_names: first_names(state, a).await?,
        });
    }
    let login_url = format!("{}/login", state.settings.issuer());
    let msg = match &reach {
        Reach::Email(to) => username_reminder(to, &entries, &login_url),
        Reach::Mobile(to) => {
            let sender = contact::sender_name(&state.db, first).await?;
            account_texts::username_reminder(to, &sender, &entries, &login_url)
        }
    };
    let txn = state.db.begin().await?;
    outbox::enqueue(&txn, None, msg, now).await?;
    for a in &due {
        audit::record(
            &txn,
            meta,
            Event::new(SENT, Actor::Anonymous)
                .account(a.id)
                .detail(json!({"accounts_on_address": due.len()})),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// The first names of the patients an account is for, in the order it was given access; the
/// account holder's own when it has none yet.
async fn first_names(state: &AppState, a: &account::Model) -> Result<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    for row in access_rows::for_account(&state.db, a.id, None).await? {
        if !names.contains(&row.patient_first_name) {
            names.push(row.patient_first_name);
        }
    }
    if names.is_empty() {
        names.extend(a.first_name.clone());
    }
    Ok(names)
}
