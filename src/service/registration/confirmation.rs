//! Confirming a sign-up (seed 003): the emailed link that turns the patient's own access on,
//! what the confirmation page shows before the person confirms, and staff turning on an
//! access whose confirmation never came ("you will need to manually enable the patient's
//! Portal account").

use crate::domain::access::{AccessStatus, Relation};
use crate::domain::role::Permission;
use crate::error::{Error, Result};
use crate::mail::onboarding::{self, Sender};
use crate::service::access::listing::AccessRecord;
use crate::service::practice::api_keys::Staff;
use crate::service::practice::practices;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::grant::{self, NewAccess};
use crate::store::{
    access, account_token, account_tokens, accounts as account_store, outbox, portal_access,
    practice,
};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

/// The `account_tokens.purpose` of a sign-up confirmation link.
pub const EMAIL_VERIFICATION: &str = "email_verification";
/// How long a confirmation link works (NIST SP 800-63B caps emailed secrets at 24 h).
pub const EMAIL_VERIFICATION_TTL_HOURS: i64 = 24;

/// The patient's own access for a sign-up's account: waiting for the emailed confirmation
/// (`verify`), or on at once.
pub async fn grant_own<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    patient_id: Uuid,
    account_id: Uuid,
    verify: bool,
    now: DateTime<Utc>,
) -> Result<(portal_access::Model, AccessStatus)> {
    let status = if verify {
        AccessStatus::PendingVerification
    } else {
        AccessStatus::Active
    };
    let access = grant::insert_access(
        conn,
        NewAccess {
            practice_id,
            patient_id,
            account_id: Some(account_id),
            relation: Relation::Own,
            status,
        },
        now,
    )
    .await?;
    Ok((access, status))
}

/// Issues the confirmation link that turns `access_id` on and queues it to `email`.
#[allow(clippy::too_many_arguments)]
pub async fn send_verification<C: ConnectionTrait>(
    conn: &C,
    practice: &practice::Model,
    account_id: Uuid,
    access_id: Uuid,
    first_name: &str,
    email: &str,
    issuer: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let token = account_tokens::issue(
        conn,
        account_id,
        EMAIL_VERIFICATION,
        Some(json!({ "access_id": access_id })),
        TimeDelta::hours(EMAIL_VERIFICATION_TTL_HOURS),
        now,
    )
    .await?;
    let message = onboarding::verify_email(
        email,
        Sender {
            name: &practice.name,
            phone: &practice.contact_phone,
        },
        first_name,
        &format!("{issuer}/verify-email/{token}"),
        EMAIL_VERIFICATION_TTL_HOURS,
    );
    outbox::enqueue(conn, Some(practice.id), message, now).await?;
    Ok(())
}

/// A followed confirmation link: the account's email is verified and the access it was for
/// turns on (unless staff changed it meanwhile, e.g. revoked it).
#[derive(Debug, Clone)]
pub struct Verified {
    pub practice: practice::Model,
    pub access: portal_access::Model,
}

/// Consumes a confirmation link. Unknown, used or expired: 410 `token_invalid`.
pub async fn verify_email(
    db: &DatabaseConnection,
    token: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Verified> {
    let txn = db.begin().await?;
    let row = find_verification(&txn, token).await?;
    if !account_tokens::consume(&txn, row.id, now).await? {
        return Err(Error::TokenInvalid);
    }
    let access_id = access_of(&row)?;
    account_store::mark_email_verified(&txn, row.account_id, now).await?;
    // Turned on only if still waiting for this confirmation (guarded on the status): an access
    // staff changed meanwhile (revoked, say) is left as it is.
    let access =
        match access::activate(&txn, access_id, AccessStatus::PendingVerification, now).await? {
            Some(activated) => activated,
            None => access::find(&txn, access_id)
                .await?
                .ok_or(Error::TokenInvalid)?,
        };
    audit::record(
        &txn,
        meta,
        Event::new("registration.verified", Actor::Account(row.account_id))
            .practice(access.practice_id)
            .patient(access.patient_id)
            .account(row.account_id)
            .access(access.id)
            .detail(json!({ "status": access.status })),
        now,
    )
    .await?;
    let practice = practices::get(&txn, access.practice_id).await?;
    txn.commit().await?;
    Ok(Verified { practice, access })
}

/// The confirmation token behind a link, used or not. Unknown: 410 `token_invalid`.
async fn find_verification<C: ConnectionTrait>(
    conn: &C,
    token: &str,
) -> Result<account_token::Model> {
    account_tokens::find_by_secret(conn, token, EMAIL_VERIFICATION)
        .await?
        .ok_or(Error::TokenInvalid)
}

/// The access a confirmation token turns on.
fn access_of(row: &account_token::Model) -> Result<Uuid> {
    row.payload
        .as_deref()
        .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .and_then(|v| v["access_id"].as_str().and_then(|s| s.parse::<Uuid>().ok()))
        .ok_or_else(|| {
            Error::internal(anyhow::anyhow!(
                "verification token {} lacks its access",
                row.id
            ))
        })
}

/// The practice a confirmation link is for, while the link still works (unused, within 24
/// hours); changes nothing. The confirmation page shows it before the person confirms.
pub async fn preview_verification(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<practice::Model> {
    let row = find_verification(db, token).await?;
    if row.used_at.is_some() || row.expires_at <= now {
        return Err(Error::TokenInvalid);
    }
    let access = access::find(db, access_of(&row)?)
        .await?
        .ok_or(Error::TokenInvalid)?;
    practices::get(db, access.practice_id).await
}

/// Staff turn on an access whose email confirmation never came (seed 003: "you will need to
/// manually enable the patient's Portal account"). The patient then sets a password through
/// password reset. Only `pending_verification` can be activated; `active` is left as it is.
pub async fn activate(
    db: &DatabaseConnection,
    staff: &Staff,
    access_id: Uuid,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<AccessRecord> {
    // Enabling a portal account by hand is the front desk's "create an account manually".
    staff.require(Permission::CreateAccounts)?;
    let txn = db.begin().await?;
    let access = access::find(&txn, access_id)
        .await?
        .filter(|a| a.practice_id == staff.practice_id)
        .ok_or(Error::NotFound)?;
    let access = match access.status {
        AccessStatus::Active => access,
        AccessStatus::PendingVerification => {
            // Guarded on the status read: of two enables at once (or an enable and a revoke),
            // only one changes the access.
            let updated = access::activate(&txn, access_id, AccessStatus::PendingVerification, now)
                .await?
                .ok_or_else(|| {
                    Error::Conflict(
                        "This access changed while you were changing it; reload it and try again."
                            .into(),
                    )
                })?;
            audit::record(
                &txn,
                meta,
                Event::new("access.activated", staff.actor())
                    .practice(staff.practice_id)
                    .patient(updated.patient_id)
                    .access(updated.id)
                    .detail(json!({ "from": AccessStatus::PendingVerification.as_str() })),
                now,
            )
            .await?;
            updated
        }
        _ => {
            return Err(Error::Conflict(
                "Only an access waiting for its email confirmation can be activated here; \
                 send an invitation, or unblock, instead."
                    .into(),
            ));
        }
    };
    let username = username_of(&txn, access.account_id).await?;
    txn.commit().await?;
    Ok(AccessRecord { access, username })
}

async fn username_of<C: ConnectionTrait>(conn: &C, id: Option<Uuid>) -> Result<Option<String>> {
    Ok(match id {
        Some(id) => account_store::find(conn, id).await?.map(|a| a.username),
        None => None,
    })
}
