//! Sending a sign-up's confirmation link again (issue 22, item 5): a person whose login
//! answered `email_unconfirmed` lost or never got the email. The request names a username or
//! an email address and answers the same `202` whatever it names, at once (the work is queued
//! after the answer, as for password resets); each account waiting for a confirmation gets a
//! fresh link for every access that waits, and its older links stop working. At most 3 an
//! hour per account, counted before the link is issued.

use crate::crypto::secrets;
use crate::domain::access::AccessStatus;
use crate::domain::throttle;
use crate::error::Result;
use crate::service::login::contact::{self, Names};
use crate::service::practice::practices;
use crate::service::registration::confirmation::{EMAIL_VERIFICATION, send_verification};
use crate::state::AppState;
use crate::store::access_rows;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{account_tokens, throttles};
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use serde_json::json;

/// `POST /api/v1/email-verifications/resend`: queues the work and returns at once.
pub fn request(state: &AppState, identifier: String, meta: RequestMeta) {
    let state = state.clone();
    tokio::spawn(async move {
        let now = state.now();
        match resend(&state, &identifier, &meta, now).await {
            Ok(true) => state.outbox_wakeup.notify_one(),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "confirmation resend failed"),
        }
    });
}

/// Issues new links to the accounts named that wait for a confirmation. Returns whether a
/// message was queued.
async fn resend(
    state: &AppState,
    identifier: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<bool> {
    let (accounts, _) = contact::find(&state.db, identifier, Names::ContactOrUsername).await?;
    let mut queued = false;
    for a in accounts {
        let Some(email) = a.email.clone() else {
            continue;
        };
        let waiting: Vec<_> = access_rows::for_account(&state.db, a.id, None)
            .await?
            .into_iter()
            .filter(|r| r.status == AccessStatus::PendingVerification)
            .collect();
        if waiting.is_empty() {
            continue;
        }
        let key = format!("{EMAIL_VERIFICATION}:{}", a.id);
        if throttles::count_attempt(&state.db, &key, throttle::LINKS_PER_ACCOUNT, now)
            .await?
            .is_none()
        {
            audit::record(
                &state.db,
                meta,
                Event::new("email_verification.throttled", Actor::Anonymous)
                    .account(a.id)
                    .detail(json!({"links_per_hour": throttle::LINKS_PER_ACCOUNT.cap})),
                now,
            )
            .await?;
            continue;
        }
        let txn = state.db.begin().await?;
        // The newest link is the only one that works.
        account_tokens::retire_all(&txn, a.id, EMAIL_VERIFICATION, now).await?;
        for row in &waiting {
            let practice = practices::get(&txn, row.practice_id).await?;
            let first_name = a.first_name.as_deref().unwrap_or(&row.patient_first_name);
            send_verification(
                &txn,
                &practice,
                a.id,
                row.access_id,
                first_name,
                &email,
                state.settings.issuer(),
                now,
            )
            .await?;
            audit::record(
                &txn,
                meta,
                Event::new("email_verification.resent", Actor::Anonymous)
                    .practice(row.practice_id)
                    .patient(row.patient_id)
                    .account(a.id)
                    .access(row.access_id),
                now,
            )
            .await?;
        }
        txn.commit().await?;
        queued = true;
    }
    if !queued {
        audit::record(
            &state.db,
            meta,
            Event::new("email_verification.resend_requested", Actor::Anonymous).detail(json!({
                "outcome": "nothing_sent",
                "identifier_sha256": secrets::hash_token(&identifier.trim().to_lowercase()),
            })),
            now,
        )
        .await?;
    }
    Ok(queued)
}
