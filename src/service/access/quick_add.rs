//! Quick add (seed 004): "Quick Add is the fastest way to send the patient portal
//! registration" — a new patient record and the invitation to the patient, in one call and one
//! transaction. Either both exist afterwards or neither does, and every refusal is the one the
//! two separate calls (`POST /patients`, `POST /patients/{id}/invitations`) would give.

use crate::domain::access::Relation;
use crate::domain::invitation::{Channel, InvitationRequest};
use crate::domain::role::Permission;
use crate::error::Result;
use crate::service::access::invitations::{self, InvitationRecord};
use crate::service::patients::records::{self, NewPatient};
use crate::service::practice::api_keys::Staff;
use crate::service::practice::practices::{self, PracticeSettings};
use crate::store::audit::{self, Event, RequestMeta};
use crate::store::patient;
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::json;

/// What a quick add made.
#[derive(Debug, Clone)]
pub struct QuickAdded {
    pub patient: patient::Model,
    pub invitation: InvitationRecord,
}

/// Creates the patient and queues the invitation to them (`relation: self`) by `channel`.
/// Needs both permissions the separate calls need.
pub async fn quick_add(
    db: &DatabaseConnection,
    staff: &Staff,
    issuer: &str,
    new: NewPatient,
    channel: Channel,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<QuickAdded> {
    staff.require(Permission::WritePatients)?;
    staff.require(Permission::Invite)?;
    let request = InvitationRequest::new(channel, Relation::Own, None)?;
    let txn = db.begin().await?;
    let practice = practices::get(&txn, staff.practice_id).await?;
    let settings = PracticeSettings::from(&practice);
    let patient = records::insert(&txn, staff.practice_id, new, false, now).await?;
    // Dropping the transaction on any refusal below rolls the new record back.
    let to = invitations::checked_destination(&settings, &patient, &request, now)?;
    audit::record(
        &txn,
        meta,
        Event::new("patient.created", staff.actor())
            .practice(staff.practice_id)
            .patient(patient.id)
            .detail(json!({ "via": "quick_add" })),
        now,
    )
    .await?;
    let created = invitations::issue(
        &txn,
        &practice,
        &patient,
        &request,
        to,
        &staff.actor(),
        staff.role.allows(Permission::Revoke),
        issuer,
        meta,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(QuickAdded {
        patient,
        invitation: invitations::queued(created, now),
    })
}
