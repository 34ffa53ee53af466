//! A practice's override of the age bands for one patient (issue 11): `guardianship` keeps a
//! parent's or guardian's full access past the bands and the age of majority (a
//! court-appointed guardian of a disabled adult); `emancipation` ends it now. Who set it and
//! when are stored with it and written to the audit trail; `domain::representation::band`
//! honours it at every login and refresh, and the ageing job leaves guardianships alone.
//!
//! Emancipation ends the parent and guardian accesses at once (status `expired`, as at the age
//! of majority), with the representatives' sessions at the practice; removing the override later does not bring them back: the practice invites
//! again if it should.

use crate::domain::representation::OverrideKind;
use crate::domain::role::Permission;
use crate::error::{Error, Result};
use crate::service::practice::api_keys::Staff;
use crate::service::{patients::records, representation::ageing_out};
use crate::store::audit::{self, Event, RequestMeta};
use crate::store::{access, representation, representation_override};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

/// Longest note kept with an override.
const MAX_NOTE_CHARS: usize = 500;

fn check_note(note: Option<String>) -> Result<Option<String>> {
    let Some(n) = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if n.chars().count() > MAX_NOTE_CHARS {
        return Err(Error::invalid("note", "must be at most 500 characters"));
    }
    Ok(Some(n))
}

/// Records (or replaces) the override for a patient of the caller's practice.
pub async fn set(
    db: &DatabaseConnection,
    staff: &Staff,
    patient_id: Uuid,
    kind: OverrideKind,
    note: Option<String>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<representation_override::Model> {
    staff.require(Permission::ManageRepresentation)?;
    let note = check_note(note)?;
    let txn = db.begin().await?;
    records::find_in_practice(&txn, staff.practice_id, patient_id).await?;
    let previous = representation::remove_override(&txn, patient_id).await?;
    let saved = representation::insert_override(
        &txn,
        representation_override::Model {
            patient_id,
            practice_id: staff.practice_id,
            kind,
            note,
            set_by: format!("api_key:{}", staff.key_id),
            set_at: now,
        },
    )
    .await?;
    let ended = match kind {
        OverrideKind::Emancipation => {
            end_minor_representation(&txn, staff, patient_id, meta, now).await?
        }
        OverrideKind::Guardianship => 0,
    };
    audit::record(
        &txn,
        meta,
        Event::new("representation.override_set", staff.actor())
            .practice(staff.practice_id)
            .patient(patient_id)
            .detail(json!({
                "kind": kind.as_str(),
                "set_by": saved.set_by,
                "replaced": previous.is_some(),
                "accesses_ended": ended,
            })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Removes the override; 404 when there is none.
pub async fn clear(
    db: &DatabaseConnection,
    staff: &Staff,
    patient_id: Uuid,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    staff.require(Permission::ManageRepresentation)?;
    let txn = db.begin().await?;
    records::find_in_practice(&txn, staff.practice_id, patient_id).await?;
    let existing = representation::remove_override(&txn, patient_id)
        .await?
        .ok_or(Error::NotFound)?;
    audit::record(
        &txn,
        meta,
        Event::new("representation.override_cleared", staff.actor())
            .practice(staff.practice_id)
            .patient(patient_id)
            .detail(json!({"kind": existing.kind, "set_by": existing.set_by})),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Emancipation: every active parent or guardian access to the patient ends now, audited one
/// by one as at the age of majority. Returns how many ended.
async fn end_minor_representation<C: ConnectionTrait>(
    txn: &C,
    staff: &Staff,
    patient_id: Uuid,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<u64> {
    let rows = access::active_minor_representatives_of(txn, patient_id).await?;
    let mut ended = 0;
    for row in rows {
        if !access::expire_if_active(txn, row.id, now).await? {
            continue;
        }
        ended += 1;
        let sessions_ended = ageing_out::end_representative_sessions(txn, &row, now).await?;
        let mut event = Event::new("access.expired", staff.actor())
            .practice(staff.practice_id)
            .patient(patient_id)
            .access(row.id)
            .detail(json!({
                "reason": "emancipation",
                "relation": row.relation,
                "sessions_ended": sessions_ended,
            }));
        if let Some(id) = row.account_id {
            event = event.account(id);
        }
        audit::record(txn, meta, event, now).await?;
    }
    Ok(ended)
}
