//! What consent does to an adult representative's access: when a consent given now runs out
//! (the practice's `adult_representative_consent_months`), activating the access with a fresh
//! period, and ending it at the patient's word. Each change is one update guarded on the
//! status the access was read in.

use crate::error::{Error, Result};
use crate::store::representation::{self as requests};
use crate::store::{access, invitations, portal_access, practice};
use chrono::{DateTime, Months, Utc};
use sea_orm::ConnectionTrait;

/// When consent given now runs out.
pub fn consent_until(practice: &practice::Model, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let months = u32::try_from(practice.adult_representative_consent_months.max(1))
        .map_err(Error::internal)?;
    now.checked_add_months(Months::new(months))
        .ok_or_else(|| Error::internal(anyhow::anyhow!("consent expiry out of range")))
}

fn changed_meanwhile() -> Error {
    Error::Conflict("This access changed meanwhile; please reload and try again.".into())
}

/// Makes a pending or lapsed access active with a fresh consent period, in `txn`; guarded on
/// the status it was read in. Returns the updated access.
pub async fn activate_with_consent<C: ConnectionTrait>(
    txn: &C,
    access: &portal_access::Model,
    practice: &practice::Model,
    now: DateTime<Utc>,
) -> Result<portal_access::Model> {
    let until = consent_until(practice, now)?;
    access::activate_with_consent(txn, access.id, access.status, until, now)
        .await?
        .ok_or_else(changed_meanwhile)
}

/// Ends an access at the patient's word (declined, or ended from their account): `revoked`,
/// stamped with the reason, guarded on the status it was read in. Returns the ended access.
pub async fn end_by_patient<C: ConnectionTrait>(
    txn: &C,
    access: &portal_access::Model,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<portal_access::Model> {
    let from = access.status;
    let ended = access::revoke(txn, access.id, from, Some(reason.to_owned()), now)
        .await?
        .ok_or_else(changed_meanwhile)?;
    // Open requests and invitations for it stop working.
    requests::supersede_open_consents(txn, access.id, now).await?;
    invitations::revoke_open_for_access(txn, access.id, now).await?;
    Ok(ended)
}
