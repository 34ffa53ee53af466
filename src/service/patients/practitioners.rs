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
use crate::service::patients::records;
use crate::service::practice::api_keys::Staff;
use crate::store::audit::{self, Event, RequestMeta};
use crate::store::practitioners as store;
use crate::store::{patients as patient_store, practitioner};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
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

pub use crate::store::practitioners::PractitionerChange;

/// A practitioner of a practice.
pub use crate::store::practitioner::Model as Practitioner;

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
    let created = store::insert(&txn, staff.practice_id, name, external_ref, now).await?;
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
    Ok(store::for_practice(db, staff.practice_id).await?)
}

async fn find_in_practice<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    id: Uuid,
) -> Result<practitioner::Model> {
    store::find(conn, id)
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
    let checked = PractitionerChange {
        name,
        external_ref,
        active: change.active,
    };
    let updated = store::update(&txn, current, checked).await?;
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
    let unlinked = patient_store::unlink_practitioner(&txn, current.id).await?;
    store::delete(&txn, current.id).await?;
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
    records::find_in_practice(db, staff.practice_id, patient_id).await?;
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
    records::find_in_practice(&txn, staff.practice_id, patient_id).await?;
    let found = if wanted.is_empty() {
        Vec::new()
    } else {
        store::find_many_at(&txn, staff.practice_id, wanted.iter().copied()).await?
    };
    if found.len() != wanted.len() {
        // Another practice's practitioner is as unknown as a made-up id.
        return Err(Error::invalid(
            "practitioner_ids",
            "must all be practitioners of this practice",
        ));
    }
    let ids: Vec<Uuid> = found.iter().map(|p| p.id).collect();
    patient_store::set_practitioners(&txn, patient_id, &ids).await?;
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
    let links = patient_store::practitioner_links(conn, patient_ids).await?;
    if links.is_empty() {
        return Ok(Vec::new());
    }
    let by_id: BTreeMap<Uuid, practitioner::Model> =
        store::find_many(conn, links.iter().map(|l| l.practitioner_id), active_only)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
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
