//! Representatives ageing out (as large portals do for minors): when a patient represented as
//! a minor (relation `parent` or `guardian`) reaches the practice's age of majority, that
//! access ends by itself: status `expired`, stamped and audited; the representative is told;
//! and the patient, when an email or mobile is on file, gets an invitation of their own.
//!
//! Checked for the account at hand at every login and refresh ([`expire_for_account`]), and
//! for everyone by a periodic job ([`run`]). Each access ends with one guarded
//! `UPDATE … WHERE status = 'active'`, and its messages are written in the same transaction,
//! so two instances (or a job and a login) racing on the same access send them once.
//!
//! The same job sends the notices of the limited band (`service::representation::band_notices`), and a
//! practice's guardianship override keeps an access past the age of majority.

use crate::domain::access::{AccessStatus, Relation, ages_out};
use crate::domain::invitation::{Channel, InvitationRequest};
use crate::domain::practice::MIN_AGE_OF_MAJORITY;
use crate::domain::representation::OverrideKind;
use crate::error::Result;
use crate::mail::notices;
use crate::mail::onboarding::Sender;
use crate::service::sessions::ending;
use crate::service::sessions::ending::ended;
use crate::service::{access::invitations, representation::band_notices};
use crate::state::AppState;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{
    access, accounts, outbox, patient, patients, portal_access, practice, practices, representation,
};
use chrono::{DateTime, Months, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::json;
use std::time::Duration;

/// Patients looked up per query by the job.
const BATCH: usize = 500;

/// Ends every minor-representative access whose patient has come of age. Returns how many
/// ended in this call.
pub async fn expire_due(
    conn: &DatabaseConnection,
    issuer: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let rows = access::active_minor_representatives(conn).await?;
    let mut ended = 0;
    for chunk in rows.chunks(BATCH) {
        ended += expire_among(conn, issuer, chunk.to_vec(), now).await?;
    }
    Ok(ended)
}

/// Of these active parent or guardian accesses, ends those whose patient has come of age.
pub(crate) async fn expire_among(
    conn: &DatabaseConnection,
    issuer: &str,
    rows: Vec<portal_access::Model>,
    now: DateTime<Utc>,
) -> Result<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    let today = now.date_naive();
    // No practice's age of majority is below the minimum, so younger patients are skipped
    // in the query.
    let Some(born_by) = today.checked_sub_months(Months::new(12 * MIN_AGE_OF_MAJORITY as u32))
    else {
        return Ok(0);
    };
    let patients =
        patients::find_many_born_by(conn, rows.iter().map(|r| r.patient_id), born_by).await?;
    if patients.is_empty() {
        return Ok(0);
    }
    let practices = practices::find_many(conn, patients.values().map(|p| p.practice_id)).await?;
    // A practice's guardianship override keeps the access past the age of majority.
    let overrides = representation::overrides_of(conn, patients.keys().copied()).await?;
    let mut ended = 0;
    for row in rows {
        let Some(patient) = patients.get(&row.patient_id) else {
            continue;
        };
        if overrides.get(&patient.id) == Some(&OverrideKind::Guardianship) {
            continue;
        }
        let Some(practice) = practices.get(&patient.practice_id) else {
            continue;
        };
        let relation = row.relation;
        if !ages_out(
            relation,
            patient.date_of_birth,
            today,
            practice.age_of_majority,
        ) {
            continue;
        }
        let txn = conn.begin().await?;
        if expire_one(&txn, issuer, &row, patient, practice, now).await? {
            ended += 1;
        }
        txn.commit().await?;
    }
    Ok(ended)
}

/// Ends the representative's sessions (tokens and pages) at the access's practice at once, as
/// a block, a revoke and a consent lapse do: their tokens list the patient who is now of age
/// (or emancipated), and must not outlive the access. Returns how many ended.
pub(crate) async fn end_representative_sessions<C: ConnectionTrait>(
    txn: &C,
    row: &portal_access::Model,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(match row.account_id {
        Some(account_id) => {
            ending::end_all(
                txn,
                account_id,
                Some(row.practice_id),
                ended::ACCESS_EXPIRED,
                now,
            )
            .await?
        }
        None => 0,
    })
}

/// Ends one access, if it is still active, and sends what that causes, all in `txn`.
async fn expire_one<C: ConnectionTrait>(
    txn: &C,
    issuer: &str,
    row: &portal_access::Model,
    patient: &patient::Model,
    practice: &practice::Model,
    now: DateTime<Utc>,
) -> Result<bool> {
    if !access::expire_if_active(txn, row.id, now).await? {
        // Someone else (another instance, a concurrent login) ended it and sent the messages.
        return Ok(false);
    }
    let sessions_ended = end_representative_sessions(txn, row, now).await?;
    let meta = RequestMeta::none();
    let sender = Sender {
        name: &practice.name,
        phone: &practice.contact_phone,
    };
    let representative_email = accounts::email_of(txn, row.account_id).await?;
    if let Some(to) = &representative_email {
        let notice = notices::representative_access_ended(
            to,
            sender,
            &patient.first_name,
            practice.age_of_majority,
        );
        outbox::enqueue(txn, Some(practice.id), notice, now).await?;
    }
    let invited = invite_patient(txn, issuer, patient, practice, now).await?;
    let mut event = Event::new("access.expired", Actor::System)
        .practice(practice.id)
        .patient(patient.id)
        .access(row.id)
        .detail(json!({
            "reason": "age_of_majority",
            "relation": row.relation,
            "age_of_majority": practice.age_of_majority,
            "representative_notified": representative_email.is_some(),
            "patient_invited": invited,
            "sessions_ended": sessions_ended,
        }));
    if let Some(id) = row.account_id {
        event = event.account(id);
    }
    audit::record(txn, &meta, event, now).await?;
    Ok(true)
}

/// Invites the patient themself, by email if on file, else by text message; not when they
/// already have access of their own, or the practice blocked or revoked it (re-granting that
/// is the practice's decision).
async fn invite_patient<C: ConnectionTrait>(
    txn: &C,
    issuer: &str,
    patient: &patient::Model,
    practice: &practice::Model,
    now: DateTime<Utc>,
) -> Result<bool> {
    let channel = match (&patient.email, &patient.mobile) {
        (Some(_), _) => Channel::Email,
        (None, Some(_)) => Channel::Sms,
        (None, None) => return Ok(false),
    };
    let own = access::own_access_in(
        txn,
        patient.id,
        &[
            AccessStatus::Active,
            AccessStatus::Blocked,
            AccessStatus::Revoked,
        ],
    )
    .await?;
    if own.is_some() {
        return Ok(false);
    }
    let to = match channel {
        Channel::Email => patient.email.clone(),
        Channel::Sms => patient.mobile.clone(),
    }
    .unwrap_or_default();
    let request = InvitationRequest::new(channel, Relation::Own, None)?;
    invitations::issue(
        txn,
        practice,
        patient,
        &request,
        to,
        &Actor::System,
        false,
        issuer,
        &RequestMeta::none(),
        now,
    )
    .await?;
    Ok(true)
}

/// The periodic job: runs [`expire_due`] every `ageing_out_interval_ms` until `stop` fires.
pub async fn run(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let every = Duration::from_millis(state.settings.ageing_out_interval_ms.max(10));
    loop {
        match expire_due(&state.db, state.settings.issuer(), state.now()).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(ended = n, "ageing out: representative accesses expired");
                state.outbox_wakeup.notify_one();
            }
            Err(e) => tracing::warn!(error = %e, "ageing out: run failed"),
        }
        match band_notices::notify_due(&state.db, state.now()).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(notified = n, "age bands: limited-access notices queued");
                state.outbox_wakeup.notify_one();
            }
            Err(e) => tracing::warn!(error = %e, "age bands: notices failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}
