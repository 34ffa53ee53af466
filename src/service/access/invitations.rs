//! Sending invitations and showing staff where each one stands (seeds 001, 003, 004).
//!
//! One pending link per portal access: sending again for the same patient and relation reuses
//! the access that is not active yet (or was revoked or expired), keeps its account and
//! history, and supersedes the earlier link (seed 004: "resend the link"). Re-granting after a
//! revoke therefore re-links the same account ("the same login credentials"); only a role that
//! may revoke may do it. A blocked access is never touched by an invitation (seed 000).

use crate::crypto::secrets;
use crate::domain::access::{AccessStatus, Relation};
use crate::domain::invitation::{
    Channel, Delivery, InvitationRequest, InvitationStatus, Lifecycle, OnFile,
    check_relation_for_age, check_required_fields, destination,
};
use crate::domain::patient::age_on;
use crate::domain::representation::check_self_service_age;
use crate::domain::role::Permission;
use crate::error::{Error, Result};
use crate::mail::onboarding::{self, InvitationText, Sender};
use crate::service::patients::records;
use crate::service::practice::api_keys::Staff;
use crate::service::practice::practices::{self, PracticeSettings};
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::entities::outbox as outbox_row;
use crate::store::grant::{self, NewAccess};
use crate::store::invitations::{self as store, NewInvitation};
use crate::store::{access, invitation, outbox, patient, portal_access, practice};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

/// An invitation as staff see it: never its token.
#[derive(Debug, Clone)]
pub struct InvitationRecord {
    pub invitation: invitation::Model,
    pub status: InvitationStatus,
    /// Where the message carrying the link stands; absent only if its outbox row is gone.
    pub delivery: Option<Delivery>,
    /// The last delivery error, for staff to act on (a mistyped address, say).
    pub delivery_error: Option<String>,
}

pub fn lifecycle(i: &invitation::Model) -> Lifecycle {
    Lifecycle {
        expires_at: i.expires_at,
        used_at: i.used_at,
        superseded_at: i.superseded_at,
        revoked_at: i.revoked_at,
    }
}

/// Sends an invitation for a patient's record by email or SMS, to the patient or to a
/// representative. Returns it with its delivery state (`pending` until the worker sends it).
pub async fn send(
    db: &DatabaseConnection,
    staff: &Staff,
    issuer: &str,
    patient_id: Uuid,
    request: InvitationRequest,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<InvitationRecord> {
    staff.require(Permission::Invite)?;
    let txn = db.begin().await?;
    let practice = practices::get(&txn, staff.practice_id).await?;
    let settings = PracticeSettings::from(&practice);
    let patient = records::find_in_practice(&txn, staff.practice_id, patient_id).await?;
    let to = checked_destination(&settings, &patient, &request, now)?;

    let created = issue(
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
    Ok(queued(created, now))
}

/// A just-issued invitation as staff see it: its message is queued (`pending`).
pub fn queued(created: invitation::Model, now: DateTime<Utc>) -> InvitationRecord {
    InvitationRecord {
        status: lifecycle(&created).status(now),
        invitation: created,
        delivery: Some(Delivery::Pending),
        delivery_error: None,
    }
}

/// What the practice requires on file, where the link goes, and whether the relation fits the
/// patient's age: the checks before any invitation is issued (a staff send, a quick add).
pub fn checked_destination(
    settings: &PracticeSettings,
    patient: &patient::Model,
    request: &InvitationRequest,
    now: DateTime<Utc>,
) -> Result<String> {
    let on_file = OnFile {
        email: patient.email.as_deref(),
        mobile: patient.mobile.as_deref(),
        postal_code: patient.postal_code.as_deref(),
    };
    check_required_fields(&settings.required_fields, &on_file)?;
    let to = destination(request, &on_file)?;
    check_relation_for_age(
        request.relation,
        age_on(patient.date_of_birth, now.date_naive()),
        settings.age_of_majority,
    )?;
    if request.relation == Relation::Own {
        check_self_service_age(
            patient.date_of_birth,
            now.date_naive(),
            settings.min_self_service_age,
        )?;
    }
    Ok(to)
}

/// Who an invitation's `created_by` names.
fn created_by(by: &Actor) -> String {
    match by {
        Actor::ApiKey(id) => format!("api_key:{id}"),
        Actor::System => "system".to_owned(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// Issues an invitation inside the caller's transaction, once the caller has checked what may
/// be sent and where (`to`): picks or creates the access, supersedes earlier links, queues the
/// message and audits it. Used by staff ([`send`]) and when a minor comes of age
/// (`service::representation::ageing_out`). `may_regrant_revoked`: whether `by` may undo a revoke (a role that
/// may revoke).
#[allow(clippy::too_many_arguments)]
pub async fn issue<C: ConnectionTrait>(
    conn: &C,
    practice: &practice::Model,
    patient: &patient::Model,
    request: &InvitationRequest,
    to: String,
    by: &Actor,
    may_regrant_revoked: bool,
    issuer: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<invitation::Model> {
    let access =
        access_to_invite(conn, patient, request.relation, may_regrant_revoked, now).await?;
    let superseded = supersede_pending(conn, access.id, now).await?;

    let token = secrets::new_token();
    let link = format!("{issuer}/invite/{token}");
    let expires_at = now + TimeDelta::hours(i64::from(practice.invitation_ttl_hours));
    let greet = request
        .recipient
        .as_ref()
        .map_or(patient.first_name.as_str(), |r| r.first_name.as_str());
    let text = InvitationText {
        greet,
        relation: request.relation,
        patient_first_name: &patient.first_name,
        link: &link,
        ttl_hours: practice.invitation_ttl_hours,
        expires_at,
    };
    let sender = Sender {
        name: &practice.name,
        phone: &practice.contact_phone,
    };
    let message = match request.channel {
        Channel::Email => onboarding::invitation_email(&to, sender, text),
        Channel::Sms => onboarding::invitation_sms(&to, sender, text),
    };
    let outbox_id = outbox::enqueue(conn, Some(practice.id), message, now).await?;

    // Where the link went is kept, so that changing the patient's email can stop links sent
    // to the old address (seed 003's privacy note).
    let (recipient_email, recipient_mobile) = match (&request.recipient, request.channel) {
        (Some(r), _) => (
            r.email.as_ref().map(|e| e.as_str().to_owned()),
            r.mobile.as_ref().map(|m| m.as_str().to_owned()),
        ),
        (None, Channel::Email) => (Some(to.clone()), None),
        (None, Channel::Sms) => (None, Some(to.clone())),
    };
    let created = store::insert(
        conn,
        NewInvitation {
            practice_id: practice.id,
            patient_id: patient.id,
            access_id: access.id,
            channel: request.channel,
            relation: request.relation,
            recipient_first_name: request
                .recipient
                .as_ref()
                .map(|r| r.first_name.as_str().to_owned()),
            recipient_last_name: request
                .recipient
                .as_ref()
                .map(|r| r.last_name.as_str().to_owned()),
            recipient_email,
            recipient_mobile,
            token_hash: secrets::hash_token(&token),
            expires_at,
            created_by: created_by(by),
            outbox_id,
        },
        now,
    )
    .await?;
    let id = created.id;
    audit::record(
        conn,
        meta,
        Event::new("invitation.sent", by.clone())
            .practice(practice.id)
            .patient(patient.id)
            .access(access.id)
            .detail(json!({
                "invitation_id": id,
                "channel": request.channel.as_str(),
                "relation": request.relation.as_str(),
                "expires_at": expires_at,
                "superseded": superseded,
            })),
        now,
    )
    .await?;
    Ok(created)
}

/// The access an invitation is for. A row for this patient and relation that is not active
/// is reused and goes back to `invited`, keeping its account and its history, with two
/// exceptions that only the front desk's own actions may change:
///
/// - a `blocked` access is never reopened, whoever asks (seed 000: a block holds until the
///   practice lifts it; unblocking is its own action): `409 access_blocked`;
/// - a `revoked` access is reopened only when the caller may revoke (seed 004: "You cannot
///   revoke patient portal access from the Scheduling application", so it cannot undo one
///   either): `409 access_revoked` for a scheduling key.
///
/// If the only rows are active: a representative gets a new row (a second parent); the
/// patient themself already has access, which is a conflict. Reopening is one guarded
/// UPDATE on the status that was read, so a block or revoke landing in between is never
/// overwritten.
async fn access_to_invite<C: ConnectionTrait>(
    conn: &C,
    patient: &patient::Model,
    relation: Relation,
    may_regrant_revoked: bool,
    now: DateTime<Utc>,
) -> Result<portal_access::Model> {
    // A second try covers a row whose state changed between the read and the guarded update.
    for _ in 0..3 {
        let rows =
            access::for_patient_relation(conn, patient.practice_id, patient.id, relation).await?;
        // Any blocked access of this relation stops the invitation: its link could be redeemed
        // by the very person the practice blocked.
        if let Some(blocked) = rows.iter().find(|r| r.status == AccessStatus::Blocked) {
            return Err(Error::AccessNotInvitable {
                access_id: blocked.id,
                status: AccessStatus::Blocked,
            });
        }
        let Some(row) = rows.iter().find(|r| r.status != AccessStatus::Active) else {
            if !rows.is_empty() && !relation.is_representative() {
                return Err(Error::Conflict(
                    "This patient already has active portal access; no invitation is needed."
                        .into(),
                ));
            }
            return Ok(grant::insert_access(
                conn,
                NewAccess {
                    practice_id: patient.practice_id,
                    patient_id: patient.id,
                    account_id: None,
                    relation,
                    status: AccessStatus::Invited,
                },
                now,
            )
            .await?);
        };
        let status = row.status;
        if status == AccessStatus::Revoked && !may_regrant_revoked {
            return Err(Error::AccessNotInvitable {
                access_id: row.id,
                status,
            });
        }
        if let Some(reopened) = grant::reopen_for_invitation(conn, row.id, status, now).await? {
            return Ok(reopened);
        }
    }
    Err(Error::Conflict(
        "This patient's portal access changed while the invitation was being sent; please try again."
            .into(),
    ))
}

/// Marks every unused link of an access as superseded; returns how many there were.
pub async fn supersede_pending<C: ConnectionTrait>(
    conn: &C,
    access_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(store::supersede_pending(conn, access_id, now).await?)
}

/// Every invitation sent for a patient at the caller's practice, newest first, with where
/// its link and its message stand.
pub async fn for_patient(
    db: &DatabaseConnection,
    staff: &Staff,
    patient_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<InvitationRecord>> {
    staff.require(Permission::ReadPatients)?;
    records::find_in_practice(db, staff.practice_id, patient_id).await?;
    let rows = store::for_patient(db, staff.practice_id, patient_id).await?;
    let outbox_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.outbox_id).collect();
    let messages: HashMap<Uuid, outbox_row::Model> = outbox::find_many(db, outbox_ids)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    Ok(rows
        .into_iter()
        .map(|invitation| {
            let message = invitation.outbox_id.and_then(|id| messages.get(&id));
            InvitationRecord {
                status: lifecycle(&invitation).status(now),
                delivery: message.and_then(|m| Delivery::from_db(&m.status)),
                delivery_error: message.and_then(|m| m.last_error.clone()),
                invitation,
            }
        })
        .collect())
}
