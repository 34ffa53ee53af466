//! Consent runs out (issue 11): an adult representative's access lapses when the patient's
//! consent reaches `consent_expires_at`: status `consent_expired`, stamped and audited; the
//! representative's sessions and refresh tokens at that practice end; both are emailed. Only
//! the patient can renew it (`service::representation::my_representatives`).
//!
//! Like ageing out (`service::representation::ageing_out`), checked for the account at hand at every login
//! and refresh, and for everyone by a periodic job ([`run`]); each access lapses with one
//! guarded `UPDATE … WHERE status = 'active'`, its messages in the same transaction, so a job
//! and a login racing on it send them once.

use crate::error::{Error, Result};
use crate::mail::consent::{self, Who};
use crate::mail::onboarding::Sender;
use crate::service::representation::consent_requests::{account_url, representative_name};
use crate::service::sessions::ending;
use crate::state::AppState;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{access, accounts, outbox, patients, portal_access, practices};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::json;
use std::time::Duration;

/// Why the sessions ended; stored in `sessions.revoked_reason`.
pub const SESSIONS_ENDED: &str = "consent_expired";

/// Accesses lapsed per batch by the job.
const BATCH: u64 = 500;

/// Lapses every access whose consent has run out. Returns how many lapsed in this call.
pub async fn lapse_due(conn: &DatabaseConnection, issuer: &str, now: DateTime<Utc>) -> Result<u64> {
    let mut lapsed = 0;
    loop {
        let rows = access::consent_lapse_due(conn, now, BATCH).await?;
        let n = rows.len() as u64;
        lapsed += lapse_all(conn, issuer, rows, now).await?;
        if n < BATCH {
            return Ok(lapsed);
        }
    }
}

/// Lapses these accesses (active, adult representative, consent run out), each in its own
/// transaction. Returns how many lapsed in this call.
pub(crate) async fn lapse_all(
    conn: &DatabaseConnection,
    issuer: &str,
    rows: Vec<portal_access::Model>,
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut lapsed = 0;
    for row in rows {
        let txn = conn.begin().await?;
        if lapse_one(&txn, issuer, &row, now).await? {
            lapsed += 1;
        }
        txn.commit().await?;
    }
    Ok(lapsed)
}

/// Lapses one access if it is still active, and sends what that causes, all in `txn`.
async fn lapse_one<C: ConnectionTrait>(
    txn: &C,
    issuer: &str,
    row: &portal_access::Model,
    now: DateTime<Utc>,
) -> Result<bool> {
    if !access::lapse_consent(txn, row.id, now).await? {
        return Ok(false);
    }
    let sessions_ended = match row.account_id {
        Some(a) => ending::end_all(txn, a, Some(row.practice_id), SESSIONS_ENDED, now).await?,
        None => 0,
    };
    let patient = patients::find(txn, row.patient_id)
        .await?
        .ok_or(Error::NotFound)?;
    let practice = practices::find(txn, row.practice_id)
        .await?
        .ok_or(Error::NotFound)?;
    let sender = Sender {
        name: &practice.name,
        phone: &practice.contact_phone,
    };
    let rep_email = accounts::email_of(txn, row.account_id).await?;
    if let Some(to) = &rep_email {
        let m = consent::consent_lapsed_representative(to, sender, &patient.first_name);
        outbox::enqueue(txn, Some(practice.id), m, now).await?;
    }
    if let Some(to) = &patient.email {
        let name = representative_name(txn, row).await?;
        let m = consent::consent_lapsed_patient(
            to,
            sender,
            Who {
                representative_name: &name,
                relation: row.relation,
                patient_first_name: &patient.first_name,
            },
            &account_url(issuer),
        );
        outbox::enqueue(txn, Some(practice.id), m, now).await?;
    }
    let mut event = Event::new("access.consent_expired", Actor::System)
        .practice(practice.id)
        .patient(patient.id)
        .access(row.id)
        .detail(json!({
            "relation": row.relation,
            "consent_expires_at": row.consent_expires_at,
            "sessions_ended": sessions_ended,
            "representative_notified": rep_email.is_some(),
            "patient_notified": patient.email.is_some(),
        }));
    if let Some(a) = row.account_id {
        event = event.account(a);
    }
    audit::record(txn, &RequestMeta::none(), event, now).await?;
    Ok(true)
}

/// The periodic job: runs [`lapse_due`] every `ageing_out_interval_ms` (the interval of the
/// representative jobs) until `stop` fires.
pub async fn run(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let every = Duration::from_millis(state.settings.ageing_out_interval_ms.max(10));
    loop {
        match lapse_due(&state.db, state.settings.issuer(), state.now()).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(lapsed = n, "consent lapse: representative accesses paused");
                state.outbox_wakeup.notify_one();
            }
            Err(e) => tracing::warn!(error = %e, "consent lapse: run failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}
