//! Patient records at a practice: create, read, change and search.

use crate::domain::role::Permission;
use crate::error::{Error, Result};
use crate::service::patients::email_change;
use crate::service::practice::api_keys::Staff;
use crate::store::audit::{self, Event, RequestMeta};
use crate::store::pagination::{Page, PageRequest};
use crate::store::patient;
use crate::store::patients as store;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

pub use crate::store::patients::{NewPatient, PatientChange, PatientFilter};

/// A patient's record at a practice.
pub use crate::store::patient::Model as Patient;

fn external_ref_taken(e: &sea_orm::DbErr) -> Option<Error> {
    crate::db::is_unique_violation(e).then(|| {
        Error::Conflict("Another patient at this practice already has that external_ref.".into())
    })
}

/// Inserts a patient record (used by staff, quick add and self sign-up).
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    new: NewPatient,
    self_registered: bool,
    now: DateTime<Utc>,
) -> Result<patient::Model> {
    store::insert(conn, practice_id, new, self_registered, now)
        .await
        .map_err(|e| external_ref_taken(&e).unwrap_or_else(|| e.into()))
}

/// Creates a patient at the caller's practice.
pub async fn create(
    db: &DatabaseConnection,
    staff: &Staff,
    new: NewPatient,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<patient::Model> {
    staff.require(Permission::WritePatients)?;
    let txn = db.begin().await?;
    let created = insert(&txn, staff.practice_id, new, false, now).await?;
    audit::record(
        &txn,
        meta,
        Event::new("patient.created", staff.actor())
            .practice(staff.practice_id)
            .patient(created.id),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// A patient of the given practice. Another practice's patient is "not found", never
/// "forbidden": the answer must not reveal that the id exists elsewhere.
pub async fn find_in_practice<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    id: Uuid,
) -> Result<patient::Model> {
    store::find(conn, id)
        .await?
        .filter(|p| p.practice_id == practice_id)
        .ok_or(Error::NotFound)
}

pub async fn get(db: &DatabaseConnection, staff: &Staff, id: Uuid) -> Result<patient::Model> {
    staff.require(Permission::ReadPatients)?;
    find_in_practice(db, staff.practice_id, id).await
}

/// Applies a change made by staff. A changed email also stops links sent to the old address
/// and tells it when the record has active portal access (`service::patients::email_change`).
pub async fn update(
    db: &DatabaseConnection,
    staff: &Staff,
    id: Uuid,
    change: PatientChange,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<patient::Model> {
    staff.require(Permission::WritePatients)?;
    let txn = db.begin().await?;
    let updated = apply_change(&txn, staff, id, change, meta, now).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Applies a change to a record of the caller's practice inside the caller's transaction,
/// with the email-change safety rules and the `patient.updated` audit event. Also used when
/// staff accept a patient's demographic change request.
pub async fn apply_change<C: ConnectionTrait>(
    txn: &C,
    staff: &Staff,
    id: Uuid,
    change: PatientChange,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<patient::Model> {
    let current = find_in_practice(txn, staff.practice_id, id).await?;
    let fields = change.fields();
    let old_email = current.email.clone();
    let email_touched = change.email.is_some();
    let updated = store::update(txn, current, change, now)
        .await
        .map_err(|e| external_ref_taken(&e).unwrap_or_else(|| e.into()))?;
    if email_touched {
        email_change::on_patient_email_changed(
            txn,
            staff,
            id,
            old_email.as_deref(),
            updated.email.as_deref(),
            meta,
            now,
        )
        .await?;
    }
    audit::record(
        txn,
        meta,
        Event::new("patient.updated", staff.actor())
            .practice(staff.practice_id)
            .patient(id)
            .detail(json!({ "fields": fields })),
        now,
    )
    .await?;
    Ok(updated)
}

/// Searches the caller's practice, a page at a time, in creation order.
pub async fn search(
    db: &DatabaseConnection,
    staff: &Staff,
    filter: PatientFilter,
    page: PageRequest,
) -> Result<Page<patient::Model>> {
    staff.require(Permission::ReadPatients)?;
    let rows = store::search(db, staff.practice_id, &filter, page).await?;
    Ok(Page::from_overfetch(rows, page.limit, |p| p.id))
}
