//! The patient's side of their representatives (issue 11): who can see their record, and the
//! patient's own say over it. A patient (an account holding active `self` access to a record)
//! may end any representative's access at any time, and is the only one who may renew an
//! adult representative's consent. Used by `GET/DELETE /api/v1/me/representatives` and the
//! account page.

use crate::domain::access::{AccessStatus, ConsentDecision, Relation, consent_transition};
use crate::error::{Error, Result};
use crate::mail::consent;
use crate::mail::onboarding::Sender;
use crate::service::representation::consent_periods::{activate_with_consent, end_by_patient};
use crate::service::representation::consent_requests::{notify_access_gained, representative_name};
use crate::service::sessions::ending;
use crate::state::AppState;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{
    access, accounts, outbox, patient, patients, portal_access, practice, practices, representation,
};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

/// A portal access: one account's link to one patient record.
pub use crate::store::portal_access::Model as PortalAccess;

/// Why the representative's sessions ended; stored in `sessions.revoked_reason`.
pub const SESSIONS_ENDED: &str = "access_ended_by_patient";

/// Statuses of a representative's access that the patient is shown and can end.
const LISTED: [AccessStatus; 5] = [
    AccessStatus::Invited,
    AccessStatus::PendingConsent,
    AccessStatus::Active,
    AccessStatus::Blocked,
    AccessStatus::ConsentExpired,
];

/// One representative of one of the patient's records.
#[derive(Debug, Clone)]
pub struct MyRepresentative {
    pub access: portal_access::Model,
    pub representative_name: String,
    pub relation: Relation,
    pub status: AccessStatus,
    pub patient_first_name: String,
    pub practice: practice::Model,
}

/// Everyone who has, or is waiting for, access to the account holder's own records.
pub async fn list(db: &DatabaseConnection, account_id: Uuid) -> Result<Vec<MyRepresentative>> {
    let own = access::own_patient_ids(db, account_id).await?;
    if own.is_empty() {
        return Ok(Vec::new());
    }
    let rows = access::representatives_of(db, own.iter().copied(), &LISTED).await?;
    let patient_rows = patients::find_many(db, own).await?;
    let practices = practices::find_many(db, rows.iter().map(|r| r.practice_id)).await?;
    let mut out = Vec::with_capacity(rows.len());
    for access in rows {
        let (Some(p), Some(practice)) = (
            patient_rows.get(&access.patient_id),
            practices.get(&access.practice_id),
        ) else {
            continue;
        };
        out.push(MyRepresentative {
            representative_name: representative_name(db, &access).await?,
            relation: access.relation,
            status: access.status,
            patient_first_name: p.first_name.clone(),
            practice: practice.clone(),
            access,
        });
    }
    Ok(out)
}

/// A representative's access to one of the account holder's own records; anyone else's is
/// `not_found`, so the answer reveals nothing.
async fn owned<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    access_id: Uuid,
) -> Result<(portal_access::Model, patient::Model, practice::Model)> {
    let access = access::find(conn, access_id)
        .await?
        .filter(|a| a.relation != Relation::Own)
        .ok_or(Error::NotFound)?;
    if !access::own_patient_ids(conn, account_id)
        .await?
        .contains(&access.patient_id)
    {
        return Err(Error::NotFound);
    }
    let patient = patients::find(conn, access.patient_id)
        .await?
        .ok_or(Error::NotFound)?;
    let practice = practices::find(conn, access.practice_id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((access, patient, practice))
}

fn sender(p: &practice::Model) -> Sender<'_> {
    Sender {
        name: &p.name,
        phone: &p.contact_phone,
    }
}

/// The patient ends a representative's access now: `revoked`, the representative's sessions
/// and refresh tokens at that practice end at once, and the representative is emailed.
pub async fn end(
    state: &AppState,
    account_id: Uuid,
    access_id: Uuid,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<portal_access::Model> {
    let txn = state.db.begin().await?;
    let (access, patient, practice) = owned(&txn, account_id, access_id).await?;
    let from = access.status;
    consent_transition(from, ConsentDecision::End)?;
    let updated = end_by_patient(&txn, &access, "Ended by the patient", now).await?;
    let sessions_ended = match access.account_id {
        Some(a) => ending::end_all(&txn, a, Some(practice.id), SESSIONS_ENDED, now).await?,
        None => 0,
    };
    let rep_email = accounts::email_of(&txn, access.account_id).await?;
    if let Some(to) = &rep_email {
        let m = consent::access_ended_by_patient(to, sender(&practice), &patient.first_name);
        outbox::enqueue(&txn, Some(practice.id), m, now).await?;
    }
    let mut event = Event::new("access.ended_by_patient", Actor::Account(account_id))
        .practice(practice.id)
        .patient(patient.id)
        .access(access.id)
        .detail(json!({
            "from": from.as_str(),
            "relation": access.relation,
            "representative_account_id": access.account_id,
            "sessions_ended": sessions_ended,
            "representative_notified": rep_email.is_some(),
        }));
    event = event.account(account_id);
    audit::record(&txn, meta, event, now).await?;
    txn.commit().await?;
    state.outbox_wakeup.notify_one();
    Ok(updated)
}

/// The patient renews their consent to an adult representative for another period (also
/// approves one still pending). Only for spouses, caregivers and others.
pub async fn renew(
    state: &AppState,
    account_id: Uuid,
    access_id: Uuid,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<portal_access::Model> {
    let txn = state.db.begin().await?;
    let (access, patient, practice) = owned(&txn, account_id, access_id).await?;
    let relation = access.relation;
    if !relation.is_adult_representative() {
        return Err(Error::Conflict(
            "Only a spouse's, caregiver's or other adult representative's access needs your consent.".into(),
        ));
    }
    let from = access.status;
    consent_transition(from, ConsentDecision::Renew)?;
    let updated = activate_with_consent(&txn, &access, &practice, now).await?;
    // A pending request is answered by this.
    representation::supersede_open_consents(&txn, access.id, now).await?;
    if from != AccessStatus::Active {
        // The representative gains access again: both are told, as at approval.
        notify_access_gained(
            &txn,
            state.settings.issuer(),
            &updated,
            &patient,
            &practice,
            updated.consent_expires_at,
            now,
        )
        .await?;
        if let Some(to) = accounts::email_of(&txn, access.account_id).await? {
            let m = consent::consent_given(&to, sender(&practice), &patient.first_name);
            outbox::enqueue(&txn, Some(practice.id), m, now).await?;
        }
    }
    let event = Event::new("access.consent_renewed", Actor::Account(account_id))
        .practice(practice.id)
        .patient(patient.id)
        .access(access.id)
        .account(account_id)
        .detail(json!({
            "from": from.as_str(),
            "relation": access.relation,
            "representative_account_id": access.account_id,
            "consent_expires_at": updated.consent_expires_at,
        }));
    audit::record(&txn, meta, event, now).await?;
    txn.commit().await?;
    state.outbox_wakeup.notify_one();
    Ok(updated)
}
