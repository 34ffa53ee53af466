//! Held sign-ups (issue 11, item 6): a self sign-up that probably is a patient the practice
//! already has (`domain::patient_match`) creates no second record. Its account is made (so the
//! username is the person's), without access, and the sign-up waits for the practice: link it
//! to the existing patient (access granted, then the confirmation link or the "access is on"
//! message, as an ordinary sign-up would get) or reject it with a reason (the person is
//! emailed). Each step is audited.

use crate::domain::access::AccessStatus;
use crate::domain::patient_match::{Identity, is_probable_match};
use crate::domain::practice::SelfRegistration;
use crate::domain::registration::Registration;
use crate::domain::role::Permission;
use crate::error::{Error, Result};
use crate::mail::held_registrations as mail;
use crate::mail::onboarding::Sender;
use crate::service::accounts::logins::{self, NewAccount};
use crate::service::practice::api_keys::Staff;
use crate::service::practice::practices::{self, PracticeSettings};
use crate::service::registration::confirmation::{grant_own, send_verification};
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::entities::held_registration;
use crate::store::held_registrations::{self as store, NewHeld};
use crate::store::{
    access, account, accounts as account_store, outbox, patient, patients, practice,
};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

/// How a held sign-up reads to the person: like any sign-up waiting for its next step.
pub const HELD_STATUS: AccessStatus = AccessStatus::PendingVerification;

pub use crate::store::held_registrations::status;

/// The practice's oldest patient the sign-up probably is, if any.
pub async fn probable_match<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    signup: &Identity<'_>,
) -> Result<Option<patient::Model>> {
    // Birth date narrows it to a handful of rows; the name rule (accents, spacing) is applied
    // here rather than in SQL so that it is the one in `domain::patient_match`.
    let candidates = patients::born_on(conn, practice_id, signup.date_of_birth).await?;
    Ok(candidates.into_iter().find(|p| {
        is_probable_match(
            signup,
            &Identity {
                first_name: &p.first_name,
                last_name: &p.last_name,
                date_of_birth: p.date_of_birth,
            },
        )
    }))
}

/// Holds a sign-up inside the caller's transaction: the account (no access), the held row,
/// a neutral "the practice will contact you" message and the audit event.
pub async fn hold<C: ConnectionTrait>(
    conn: &C,
    practice: &practice::Model,
    existing: &patient::Model,
    new: NewAccount,
    reg: &Registration,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<account::Model> {
    let account = logins::insert(conn, new, now).await?;
    let held = store::insert(
        conn,
        NewHeld {
            practice_id: practice.id,
            patient_id: existing.id,
            account_id: account.id,
            first_name: reg.first_name.as_str().to_owned(),
            last_name: reg.last_name.as_str().to_owned(),
            date_of_birth: reg.date_of_birth,
            email: reg.email.as_ref().map(|e| e.as_str().to_owned()),
            mobile: reg.mobile.as_ref().map(|m| m.as_str().to_owned()),
            postal_code: reg.postal_code.as_ref().map(|p| p.as_str().to_owned()),
        },
        now,
    )
    .await?;
    if let Some(email) = &reg.email {
        let msg = mail::received(email.as_str(), sender(practice), reg.first_name.as_str());
        outbox::enqueue(conn, Some(practice.id), msg, now).await?;
    }
    audit::record(
        conn,
        meta,
        Event::new("registration.held", Actor::Account(account.id))
            .practice(practice.id)
            .patient(existing.id)
            .account(account.id)
            .detail(json!({ "held_registration_id": held.id })),
        now,
    )
    .await?;
    Ok(account)
}

fn sender(p: &practice::Model) -> Sender<'_> {
    Sender {
        name: &p.name,
        phone: &p.contact_phone,
    }
}

/// A held sign-up with its account's username.
#[derive(Debug, Clone)]
pub struct HeldRecord {
    pub held: held_registration::Model,
    pub username: String,
}

async fn record<C: ConnectionTrait>(
    conn: &C,
    held: held_registration::Model,
) -> Result<HeldRecord> {
    let username = account_store::find(conn, held.account_id)
        .await?
        .map(|a| a.username)
        .unwrap_or_default();
    Ok(HeldRecord { held, username })
}

/// The practice's sign-ups in one state (default `held`), oldest first.
pub async fn list(
    db: &DatabaseConnection,
    staff: &Staff,
    state: Option<&str>,
) -> Result<Vec<HeldRecord>> {
    staff.require(Permission::ReadPatients)?;
    let rows = store::list(db, staff.practice_id, state.unwrap_or(status::HELD)).await?;
    let mut out = Vec::with_capacity(rows.len());
    for held in rows {
        out.push(record(db, held).await?);
    }
    Ok(out)
}

/// Decides a held sign-up of the caller's practice with one UPDATE guarded on `held`, so two
/// staff deciding at once cannot both win. Another practice's is 404; a decided one 409.
async fn decide<C: ConnectionTrait>(
    conn: &C,
    staff: &Staff,
    id: Uuid,
    to: &str,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<held_registration::Model> {
    let by = format!("api_key:{}", staff.key_id);
    if let Some(held) = store::decide(conn, staff.practice_id, id, to, by, reason, now).await? {
        return Ok(held);
    }
    let held = store::find(conn, id)
        .await?
        .filter(|h| h.practice_id == staff.practice_id)
        .ok_or(Error::NotFound)?;
    Err(Error::Conflict(format!(
        "This sign-up has already been {}.",
        held.status
    )))
}

/// Links a held sign-up to the existing patient: the account gets access (`self`), then the
/// confirmation link (a `verify_email` practice, when the sign-up gave an email) or access at
/// once with an "access is on" message. 409 if the patient's own access is already taken by
/// another account (the person probably has an account: reject and point them to "forgot
/// username").
pub async fn link(
    db: &DatabaseConnection,
    staff: &Staff,
    issuer: &str,
    id: Uuid,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<HeldRecord> {
    staff.require(Permission::CreateAccounts)?;
    let txn = db.begin().await?;
    let held = decide(&txn, staff, id, status::LINKED, None, now).await?;
    let own = access::own_held_by_another(&txn, held.patient_id, held.account_id).await?;
    if own.is_some() {
        return Err(Error::Conflict(
            "This patient already has a portal account of their own. Reject this sign-up and \
             ask the person to use \"Forgotten your username?\" on the log-in page."
                .into(),
        ));
    }
    let practice = practices::get(&txn, staff.practice_id).await?;
    let settings = PracticeSettings::from(&practice);
    let verify =
        settings.self_registration != SelfRegistration::AutoActivate && held.email.is_some();
    let (access, access_status) = grant_own(
        &txn,
        practice.id,
        held.patient_id,
        held.account_id,
        verify,
        now,
    )
    .await?;
    match (&held.email, verify) {
        (Some(email), true) => {
            send_verification(
                &txn,
                &practice,
                held.account_id,
                access.id,
                &held.first_name,
                email,
                issuer,
                now,
            )
            .await?;
        }
        (Some(email), false) => {
            let msg = mail::access_on(
                email,
                sender(&practice),
                &held.first_name,
                &format!("{issuer}/login?practice={}", practice.slug),
            );
            outbox::enqueue(&txn, Some(practice.id), msg, now).await?;
        }
        (None, _) => {}
    }
    audit::record(
        &txn,
        meta,
        Event::new("registration.linked", staff.actor())
            .practice(practice.id)
            .patient(held.patient_id)
            .account(held.account_id)
            .access(access.id)
            .detail(json!({ "held_registration_id": held.id, "status": access_status.as_str() })),
        now,
    )
    .await?;
    let held = store::set_access(&txn, held.id, access.id)
        .await?
        .ok_or(Error::NotFound)?;
    let out = record(&txn, held).await?;
    txn.commit().await?;
    Ok(out)
}

/// Rejects a held sign-up with a reason, which is emailed to the person. The account stays,
/// without access: the practice may still invite it later.
pub async fn reject(
    db: &DatabaseConnection,
    staff: &Staff,
    id: Uuid,
    reason: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<HeldRecord> {
    staff.require(Permission::CreateAccounts)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Error::invalid(
            "reason",
            "must be between 1 and 500 characters",
        ));
    }
    let txn = db.begin().await?;
    let held = decide(
        &txn,
        staff,
        id,
        status::REJECTED,
        Some(reason.to_owned()),
        now,
    )
    .await?;
    let practice = practices::get(&txn, staff.practice_id).await?;
    if let Some(email) = &held.email {
        let msg = mail::rejected(email, sender(&practice), &held.first_name, reason);
        outbox::enqueue(&txn, Some(practice.id), msg, now).await?;
    }
    audit::record(
        &txn,
        meta,
        Event::new("registration.rejected", staff.actor())
            .practice(practice.id)
            .patient(held.patient_id)
            .account(held.account_id)
            .detail(json!({ "held_registration_id": held.id })),
        now,
    )
    .await?;
    let out = record(&txn, held).await?;
    txn.commit().await?;
    Ok(out)
}
