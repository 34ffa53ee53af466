//! Seed 003's privacy note: "Once patient portal access is enabled, be very cautious when
//! changing a patient's email address to make sure that the change request is authorized and
//! not an attempt by a third party to gain unauthorized access."
//!
//! When staff change a patient's email, in the same transaction: invitation links that went to
//! the old address stop working, the old address is told when the record has active portal
//! access (so an unauthorised change does not go unnoticed), and the change is audited with
//! the key that made it.

use crate::domain::access::AccessStatus;
use crate::error::Result;
use crate::mail::onboarding::{self, Sender};
use crate::service::practice::api_keys::Staff;
use crate::service::practice::practices;
use crate::store::audit::{self, Event, RequestMeta};
use crate::store::{access, invitations, outbox};
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde_json::json;
use uuid::Uuid;

/// What happened because of an email change; `notified` means a message was queued.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmailChangeEffects {
    pub invitations_revoked: u64,
    pub notified: bool,
}

/// Applies the consequences of a patient's email going from `old` to `new`. Call with the
/// transaction that changes the record; nothing happens when the address is the same
/// (ignoring letter case).
pub async fn on_patient_email_changed<C: ConnectionTrait>(
    conn: &C,
    staff: &Staff,
    patient_id: Uuid,
    old: Option<&str>,
    new: Option<&str>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<EmailChangeEffects> {
    let fold = |e: Option<&str>| e.map(str::to_lowercase);
    if fold(old) == fold(new) {
        return Ok(EmailChangeEffects::default());
    }
    let mut effects = EmailChangeEffects::default();
    if let Some(old) = old {
        let pending: Vec<Uuid> =
            invitations::pending_for_patient(conn, patient_id, staff.practice_id)
                .await?
                .into_iter()
                .filter(|i| {
                    i.recipient_email
                        .as_deref()
                        .is_some_and(|e| e.to_lowercase() == old.to_lowercase())
                })
                .map(|i| i.id)
                .collect();
        if !pending.is_empty() {
            effects.invitations_revoked = invitations::revoke_pending(conn, pending, now).await?;
        }
        let active = access::count_for_patient_with_status(
            conn,
            patient_id,
            staff.practice_id,
            AccessStatus::Active,
        )
        .await?;
        if active > 0 {
            let practice = practices::get(conn, staff.practice_id).await?;
            let notice = onboarding::email_changed_notice(
                old,
                Sender {
                    name: &practice.name,
                    phone: &practice.contact_phone,
                },
            );
            outbox::enqueue(conn, Some(practice.id), notice, now).await?;
            effects.notified = true;
        }
    }
    audit::record(
        conn,
        meta,
        Event::new("patient.email_changed", staff.actor())
            .practice(staff.practice_id)
            .patient(patient_id)
            .detail(json!({
                "had_email": old.is_some(),
                "has_email": new.is_some(),
                "old_address_notified": effects.notified,
                "invitations_revoked": effects.invitations_revoked,
            })),
        now,
    )
    .await?;
    Ok(effects)
}
