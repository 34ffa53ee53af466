//! Available practitioners (seed 001): the practice keeps a list of its practitioners, and each
//! patient's record names the ones the patient may book with in the portal. "If a
//! practitioners name is not selected, the patient will not be able to book an appointment in
//! the portal with them": none selected means none.
//!
//! The patient's access tokens carry the ids ([`claim`]); `/api/v1/me` and the OIDC userinfo
//! show them with names ([`available_to`]).

use crate::domain::contact::parse_reference;
use crate::domain::role::Permission;
use crate::error::{Error, Result};
use crate::service::api_keys::Staff;
use crate::service::patients;
use crate::store::audit::{self, Event, RequestMeta};
use crate::store::{patient_practitioner, practitioner};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// More practitioners than this on one record is refused (a practice has tens, not hundreds).
pub const MAX_PER_PATIENT: usize = 200;

/// A practitioner's display name: 1 to 100 printable characters.
pub fn check_name(raw: &str) -> Result<String> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > 100 || t.chars().any(char::is_control) {
        return Err(Error::invalid(
            "name",
            "must be between 1 and 100 printable characters",
        ));
    }
    Ok(t.to_owned())
}

/// A change to a practitioner; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct PractitionerChange {
    pub name: Option<String>,
    pub external_ref: Option<Option<String>>,
    /// An inactive practitioner stays on records but is not offered to patients.
    pub active: Option<bool>,
}

pub async fn create(
    db: &DatabaseConnection,
    staff: &Staff,
    name: &str,
    external_ref: Option<&str>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<practitioner::Model> {
    staff.require(Permission::ManagePractitioners)?;
    let name = check_name(name)?;
    let external_ref = external_ref
        .map(|r| parse_reference("external_ref", r))
        .transpose()?;
    let txn = db.begin().await?;
    let created = practitioner::ActiveModel {
        id: Set(Uuid::now_v7()),
        practice_id: Set(staff.practice_id),
        name: Set(name),
        external_ref: Set(external_ref),
        active: Set(true),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        meta,
        Event::new("practitioner.created", staff.actor())
            .practice(staff.practice_id)
            .detail(json!({"practitioner_id": created.id})),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// The practice's practitioners, in the order they were added.
pub async fn list(db: &DatabaseConnection, staff: &Staff) -> Result<Vec<practitioner::Model>> {
    staff.require(Permission::ReadPatients)?;
    Ok(practitioner::Entity::find()
        .filter(practitioner::Column::PracticeId.eq(staff.practice_id))
        .order_by_asc(practitioner::Column::Id)
        .all(db)
        .await?)
}

async fn find_in_practice<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    id: Uuid,
) -> Result<practitioner::Model> {
    practitioner::Entity::find_by_id(id)
        .one(conn)
        .await?
        .filter(|p| p.practice_id == practice_id)
        .ok_or(Error::NotFound)
}

pub async fn get(db: &DatabaseConnection, staff: &Staff, id: Uuid) -> Result<practitioner::Model> {
    staff.require(Permission::ReadPatients)?;
    find_in_practice(db, staff.practice_id, id).await
}

pub async fn update(
    db: &DatabaseConnection,
    staff: &Staff,
    id: Uuid,
    change: PractitionerChange,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<practitioner::Model> {
    staff.require(Permission::ManagePractitioners)?;
    let name = change.name.as_deref().map(check_name).transpose()?;
    let external_ref = change
        .external_ref
        .map(|r| r.map(|r| parse_reference("external_ref", &r)).transpose())
        .transpose()?;
    let txn = db.begin().await?;
    let current = find_in_practice(&txn, staff.practice_id, id).await?;
    let mut am: practitioner::ActiveModel = current.into();
    if let Some(n) = name {
        am.name = Set(n);
    }
    if let Some(r) = external_ref {
        am.external_ref = Set(r);
    }
    if let Some(a) = change.active {
        am.active = Set(a);
    }
    let updated = am.update(&txn).await?;
    audit::record(
        &txn,
        meta,
        Event::new("practitioner.updated", staff.actor())
            .practice(staff.practice_id)
            .detail(json!({"practitioner_id": id, "active": updated.active})),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Removes a practitioner and takes them off every record.
pub async fn delete(
    db: &DatabaseConnection,
    staff: &Staff,
    id: Uuid,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    staff.require(Permission::ManagePractitioners)?;
    let txn = db.begin().await?;
    let current = find_in_practice(&txn, staff.practice_id, id).await?;
    let unlinked = patient_practitioner::Entity::delete_many()
        .filter(patient_practitioner::Column::PractitionerId.eq(current.id))
        .exec(&txn)
        .await?
        .rows_affected;
    practitioner::Entity::delete_by_id(current.id)
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        meta,
        Event::new("practitioner.deleted", staff.actor())
            .practice(staff.practice_id)
            .detail(json!({"practitioner_id": id, "records_unlinked": unlinked})),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The practitioners named on a patient's record (active or not), for staff.
pub async fn for_patient(
    db: &DatabaseConnection,
    staff: &Staff,
    patient_id: Uuid,
) -> Result<Vec<practitioner::Model>> {
    staff.require(Permission::ReadPatients)?;
    patients::find_in_practice(db, staff.practice_id, patient_id).await?;
    linked(db, &[patient_id], false)
        .await
        .map(|v| v.into_iter().map(|(_, p)| p).collect())
}

/// Replaces the practitioners a patient may book with. Every id must be a practitioner of the
/// same practice; an empty list means none.
pub async fn set_for_patient(
    db: &DatabaseConnection,
    staff: &Staff,
    patient_id: Uuid,
    ids: Vec<Uuid>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Vec<practitioner::Model>> {
    staff.require(Permission::WritePatients)?;
    let wanted: BTreeSet<Uuid> = ids.into_iter().collect();
    if wanted.len() > MAX_PER_PATIENT {
        return Err(Error::invalid(
            "practitioner_ids",
            format!("must list at most {MAX_PER_PATIENT} practitioners"),
        ));
    }
    let txn = db.begin().await?;
    patients::find_in_practice(&txn, staff.practice_id, patient_id).await?;
    let found = if wanted.is_empty() {
        Vec::new()
    } else {
        practitioner::Entity::find()
            .filter(practitioner::Column::PracticeId.eq(staff.practice_id))
            .filter(practitioner::Column::Id.is_in(wanted.iter().copied()))
            .order_by_asc(practitioner::Column::Id)
            .all(&txn)
            .await?
    };
    if found.len() != wanted.len() {
        // Another practice's practitioner is as unknown as a made-up id.
        return Err(Error::invalid(
            "practitioner_ids",
            "must all be practitioners of this practice",
        ));
    }
    patient_practitioner::Entity::delete_many()
        .filter(patient_practitioner::Column::PatientId.eq(patient_id))
        .exec(&txn)
        .await?;
    if !found.is_empty() {
        patient_practitioner::Entity::insert_many(found.iter().map(|p| {
            patient_practitioner::ActiveModel {
                patient_id: Set(patient_id),
                practitioner_id: Set(p.id),
            }
        }))
        .exec(&txn)
        .await?;
    }
    audit::record(
        &txn,
        meta,
        Event::new("patient.practitioners_set", staff.actor())
            .practice(staff.practice_id)
            .patient(patient_id)
            .detail(json!({"practitioner_ids": wanted})),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(found)
}

/// (patient id, practitioner) pairs for these patients, optionally only active practitioners.
async fn linked<C: ConnectionTrait>(
    conn: &C,
    patient_ids: &[Uuid],
    active_only: bool,
) -> Result<Vec<(Uuid, practitioner::Model)>> {
    if patient_ids.is_empty() {
        return Ok(Vec::new());
    }
    let links = patient_practitioner::Entity::find()
        .filter(patient_practitioner::Column::PatientId.is_in(patient_ids.iter().copied()))
        .all(conn)
        .await?;
    if links.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = practitioner::Entity::find()
        .filter(practitioner::Column::Id.is_in(links.iter().map(|l| l.practitioner_id)));
    if active_only {
        q = q.filter(practitioner::Column::Active.eq(true));
    }
    let by_id: BTreeMap<Uuid, practitioner::Model> =
        q.all(conn).await?.into_iter().map(|p| (p.id, p)).collect();
    let mut out: Vec<(Uuid, practitioner::Model)> = links
        .into_iter()
        .filter_map(|l| {
            by_id
                .get(&l.practitioner_id)
                .map(|p| (l.patient_id, p.clone()))
        })
        .collect();
    out.sort_by_key(|(patient, p)| (*patient, p.id));
    Ok(out)
}

/// The practitioners each patient may book with (active ones only), with their names: what
/// `/api/v1/me` and the OIDC userinfo show. Patients with none are absent from the map.
pub async fn available_to<C: ConnectionTrait>(
    conn: &C,
    patient_ids: &[Uuid],
) -> Result<BTreeMap<Uuid, Vec<practitioner::Model>>> {
    let mut out: BTreeMap<Uuid, Vec<practitioner::Model>> = BTreeMap::new();
    for (patient, p) in linked(conn, patient_ids, true).await? {
        out.entry(patient).or_default().push(p);
    }
    Ok(out)
}

/// The `practitioners` claim of an access token: for each patient the token lists, the ids
/// of the practitioners they may book with (an empty list when none are selected).
pub async fn claim<C: ConnectionTrait>(
    conn: &C,
    patient_ids: &[Uuid],
) -> Result<BTreeMap<Uuid, Vec<Uuid>>> {
    let mut out: BTreeMap<Uuid, Vec<Uuid>> =
        patient_ids.iter().map(|id| (*id, Vec::new())).collect();
    for (patient, p) in linked(conn, patient_ids, true).await? {
        out.entry(patient).or_default().push(p.id);
    }
    Ok(out)
}
