//! Block, unblock and revoke a portal access (seeds 000, 001, 003, 004).
//!
//! - **Block**: the link stays; the account's sessions at this practice end at once, and login
//!   and refresh there answer `access_blocked` with the practice's name and phone. Other
//!   practices are untouched.
//! - **Unblock**: login works again.
//! - **Revoke**: the link is deactivated, its pending invitations stop working, the account's
//!   sessions at this practice end, and the patient is told by email (or SMS when there is no
//!   email) that the practice deactivated their portal access, with its phone number.
//!
//! Each change is stamped on the access, audited with the acting key and, for revoke, queued
//! for delivery, all in one transaction. Repeating a change that is already in effect changes
//! nothing and records nothing.

use crate::domain::access::{AccessAction, transition};
use crate::domain::role::Permission;
use crate::error::{Error, Result};
use crate::mail::compose::{Email, sms};
use crate::service::access::listing::AccessRecord;
use crate::service::practice::api_keys::Staff;
use crate::service::practice::practices;
use crate::service::sessions::ending;
use crate::service::sessions::ending::ended;
use crate::state::AppState;
use crate::store::audit::{self, Event, RequestMeta};
use crate::store::{access, account, accounts, invitations, outbox, patients, portal_access};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

/// A staff note on why; kept on the access and in the audit trail.
pub fn check_reason(raw: Option<&str>) -> Result<Option<String>> {
    let Some(t) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if t.chars().count() > 500 || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::invalid(
            "reason",
            "must be at most 500 characters, without control characters",
        ));
    }
    Ok(Some(t.to_owned()))
}

fn permission(action: AccessAction) -> Permission {
    match action {
        AccessAction::Block | AccessAction::Unblock => Permission::BlockAndUnblock,
        AccessAction::Revoke => Permission::Revoke,
    }
}

fn event_kind(action: AccessAction) -> &'static str {
    match action {
        AccessAction::Block => "access.blocked",
        AccessAction::Unblock => "access.unblocked",
        AccessAction::Revoke => "access.revoked",
    }
}

/// Applies `action` to an access of the caller's practice and returns it as it now stands.
/// Another practice's access is `not_found`.
pub async fn apply(
    state: &AppState,
    staff: &Staff,
    access_id: Uuid,
    action: AccessAction,
    reason: Option<String>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<AccessRecord> {
    staff.require(permission(action))?;
    let txn = state.db.begin().await?;
    let current = access::find(&txn, access_id)
        .await?
        .filter(|a| a.practice_id == staff.practice_id)
        .ok_or(Error::NotFound)?;
    let account = match current.account_id {
        Some(id) => accounts::find(&txn, id).await?,
        None => None,
    };
    let from = current.status;
    let to = transition(from, action)?;
    if to == from {
        return Ok(AccessRecord {
            access: current,
            username: account.map(|a| a.username),
        });
    }

    // One UPDATE guarded on the status read: of two staff members acting at once, the second
    // sees the first's change, not a blend.
    let changed = match action {
        AccessAction::Block => access::block(&txn, access_id, from, reason.clone(), now).await?,
        AccessAction::Unblock => access::unblock(&txn, access_id, now).await?,
        AccessAction::Revoke => access::revoke(&txn, access_id, from, reason.clone(), now).await?,
    };
    let Some(updated) = changed else {
        return Err(Error::Conflict(
            "This access changed while you were changing it; reload it and try again.".into(),
        ));
    };

    let sessions_ended = match (action, current.account_id) {
        (AccessAction::Block, Some(a)) => {
            ending::end_all(&txn, a, Some(staff.practice_id), ended::ACCESS_BLOCKED, now).await?
        }
        (AccessAction::Revoke, Some(a)) => {
            ending::end_all(&txn, a, Some(staff.practice_id), ended::ACCESS_REVOKED, now).await?
        }
        _ => 0,
    };
    let mut detail = json!({
        "reason": reason,
        "from": from.as_str(),
        "to": to.as_str(),
        "sessions_ended": sessions_ended,
    });
    let mut notified = false;
    if action == AccessAction::Revoke {
        // Seed 004: "any emailed links inactive".
        detail["invitations_revoked"] =
            json!(invitations::revoke_open_for_access(&txn, access_id, now).await?);
        let channel = notify_revoked(&txn, &current, account.as_ref(), now).await?;
        notified = channel.is_some();
        detail["notified_by"] = json!(channel);
    }
    let mut event = Event::new(event_kind(action), staff.actor())
        .practice(staff.practice_id)
        .patient(current.patient_id)
        .access(access_id)
        .detail(detail);
    if let Some(a) = current.account_id {
        event = event.account(a);
    }
    audit::record(&txn, meta, event, now).await?;
    txn.commit().await?;
    if notified {
        state.outbox_wakeup.notify_one();
    }
    Ok(AccessRecord {
        access: updated,
        username: account.map(|a| a.username),
    })
}

/// Seed 004: "The patient will receive an email indicating their portal was deactivated by
/// their healthcare provider and to contact them with any questions." To the account's email,
/// else the patient's; by SMS when there is only a mobile. Names and the phone, nothing
/// clinical. Returns the channel used.
async fn notify_revoked<C: ConnectionTrait>(
    conn: &C,
    access: &portal_access::Model,
    account: Option<&account::Model>,
    now: DateTime<Utc>,
) -> Result<Option<&'static str>> {
    let patient = patients::find(conn, access.patient_id)
        .await?
        .ok_or(Error::NotFound)?;
    let practice = practices::get(conn, access.practice_id).await?;
    let relation = access.relation;
    let whose = if relation.is_representative() {
        format!("your access to {}'s records in", patient.first_name)
    } else {
        "your access to".to_owned()
    };
    let email = account
        .and_then(|a| a.email.clone())
        .or_else(|| patient.email.clone());
    let message = if let Some(to) = email {
        let greeting = account
            .and_then(|a| a.first_name.clone())
            .or_else(|| (!relation.is_representative()).then(|| patient.first_name.clone()))
            .map_or_else(|| "Hello,".to_owned(), |n| format!("Hello {n},"));
        Email::new(format!(
            "{} has deactivated your patient portal access",
            practice.name
        ))
        .para(greeting)
        .para(format!(
            "{} has deactivated {whose} its patient portal. Links in earlier messages from {} no longer work.",
            practice.name, practice.name
        ))
        .para(format!(
            "If you have any questions, please contact {} on {}.",
            practice.name, practice.contact_phone
        ))
        .render("access_revoked", &to, Some(&practice.name))
    } else if let Some(mobile) = &patient.mobile {
        sms(
            "access_revoked",
            mobile,
            &practice.name,
            &format!(
                "your patient portal access has been deactivated. Questions? Call {}.",
                practice.contact_phone
            ),
        )
    } else {
        return Ok(None);
    };
    let channel = message.channel.as_str();
    outbox::enqueue(conn, Some(practice.id), message, now).await?;
    Ok(Some(channel))
}
