//! Notices on the birthday from which a parent's or guardian's access is limited (issue 11):
//! the representative is told what they can still see, and the teenager, when an email is on
//! their record or their own account, that their parent's access changed. Run by the ageing
//! job (`service::representation::ageing_out::run`).
//!
//! Each access is told once: the notice's row in `representation_notices` (primary key access
//! and kind) is inserted in the same transaction as the messages, so a second run, or a second
//! instance, inserts nothing and sends nothing. Only accesses that existed before the birthday
//! are told (a parent invited for a 15-year-old knew the rules when they signed up), and not
//! those under a practice's override.

use crate::domain::access::AccessStatus;
use crate::domain::patient::age_on;
use crate::domain::representation::{Band, Situation, band, birthday};
use crate::error::Result;
use crate::mail::age_bands;
use crate::mail::onboarding::Sender;
use crate::service::practice::practices::PracticeSettings;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{
    access, accounts, outbox, patient, patients, portal_access, practice, practices,
    representation, teen_consent_codes,
};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

/// `representation_notices.kind` of the limited-band notice.
pub const LIMITED_ACCESS: &str = "limited_access";
/// Accesses looked at per batch.
const BATCH: usize = 500;

/// Sends the limited-band notices that are due. Returns how many accesses were told.
pub async fn notify_due(conn: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64> {
    let rows = access::active_minor_representatives(conn).await?;
    let mut told = 0;
    for chunk in rows.chunks(BATCH) {
        told += notify_among(conn, chunk, now).await?;
    }
    Ok(told)
}

async fn notify_among(
    conn: &DatabaseConnection,
    rows: &[portal_access::Model],
    now: DateTime<Utc>,
) -> Result<u64> {
    let done =
        representation::notices_sent(conn, rows.iter().map(|r| r.id), LIMITED_ACCESS).await?;
    let rows: Vec<&portal_access::Model> = rows.iter().filter(|r| !done.contains(&r.id)).collect();
    if rows.is_empty() {
        return Ok(0);
    }
    let patients = patients::find_many(conn, rows.iter().map(|r| r.patient_id)).await?;
    let practices = practices::find_many(conn, patients.values().map(|p| p.practice_id)).await?;
    let overrides = representation::overrides_of(conn, patients.keys().copied()).await?;
    let consented = teen_consent_codes::consented_accesses(conn, rows.iter().map(|r| r.id)).await?;
    let today = now.date_naive();
    let mut told = 0;
    for row in rows {
        let Some(patient) = patients.get(&row.patient_id) else {
            continue;
        };
        let relation = row.relation;
        let Some(practice) = practices.get(&patient.practice_id) else {
            continue;
        };
        let settings = PracticeSettings::from(practice);
        let situation = Situation {
            relation,
            date_of_birth: patient.date_of_birth,
            today,
            override_kind: overrides.get(&patient.id).copied(),
            teen_consented: consented.contains(&row.id),
        };
        let areas = match band(&settings.representation(), &situation) {
            Band::Limited { scopes } => scopes,
            Band::NeedsTeenConsent => Vec::new(),
            Band::Full | Band::Ended => continue,
        };
        let Some(limited_from) = birthday(patient.date_of_birth, settings.limited_access_from_age)
        else {
            continue;
        };
        if row.created_at.date_naive() >= limited_from {
            continue;
        }
        let txn = conn.begin().await?;
        if notify_one(&txn, row, patient, practice, &settings, &areas, now).await? {
            told += 1;
        }
        txn.commit().await?;
    }
    Ok(told)
}

/// Records the notice and queues both messages, in `txn`; `false` when another run already did.
async fn notify_one<C: ConnectionTrait>(
    txn: &C,
    row: &portal_access::Model,
    patient: &patient::Model,
    practice: &practice::Model,
    settings: &PracticeSettings,
    areas: &[String],
    now: DateTime<Utc>,
) -> Result<bool> {
    if !representation::record_notice(txn, row.id, LIMITED_ACCESS, now).await? {
        return Ok(false);
    }
    let sender = Sender {
        name: &practice.name,
        phone: &practice.contact_phone,
    };
    let age = age_on(patient.date_of_birth, now.date_naive());
    let consent = settings.teen_consent_required;
    let representative_email = accounts::email_of(txn, row.account_id).await?;
    if let Some(to) = &representative_email {
        let notice = age_bands::representative_access_limited(
            to,
            sender,
            &patient.first_name,
            age,
            areas,
            consent,
        );
        outbox::enqueue(txn, Some(practice.id), notice, now).await?;
    }
    let patient_email = match &patient.email {
        Some(e) => Some(e.clone()),
        None => own_account_email(txn, patient.id).await?,
    };
    if let Some(to) = &patient_email {
        let notice = age_bands::patient_representation_limited(
            to,
            sender,
            &patient.first_name,
            age,
            consent,
        );
        outbox::enqueue(txn, Some(practice.id), notice, now).await?;
    }
    let mut event = Event::new("access.limited", Actor::System)
        .practice(practice.id)
        .patient(patient.id)
        .access(row.id)
        .detail(json!({
            "reason": "limited_access_from_age",
            "age": age,
            "scopes": areas,
            "teen_consent_required": consent,
            "representative_notified": representative_email.is_some(),
            "patient_notified": patient_email.is_some(),
        }));
    if let Some(id) = row.account_id {
        event = event.account(id);
    }
    audit::record(txn, &RequestMeta::none(), event, now).await?;
    Ok(true)
}

/// The email of the patient's own account, when they have one and no email on their record.
async fn own_account_email<C: ConnectionTrait>(
    txn: &C,
    patient_id: Uuid,
) -> Result<Option<String>> {
    let own = access::own_access_in(txn, patient_id, &[AccessStatus::Active]).await?;
    Ok(accounts::email_of(txn, own.and_then(|a| a.account_id)).await?)
}
