//! SMART EHR launch: the practice's EHR creates a launch context for a patient (and an
//! encounter), hands the opaque `launch` value to the app it opens, and the app's authorization
//! request spends it to put that patient in context.

use crate::crypto::secrets;
use crate::domain::role::Permission;
use crate::error::{Error, Result};
use crate::service::practice::api_keys::Staff;
use crate::store::audit::{self, Event, RequestMeta};
use crate::store::{oauth_launch, oauth_launches, patients};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

/// How long a launch waits for the app's authorization request.
pub const LAUNCH_TTL_SECS: i64 = 300;

/// A new launch; `launch` is shown once.
#[derive(Debug)]
pub struct Created {
    pub launch: String,
    pub expires_at: DateTime<Utc>,
}

/// A FHIR resource id (FHIR R4 `id`: 1–64 of `A-Z a-z 0-9 - .`).
fn check_encounter(raw: &str) -> Result<String> {
    let ok = (1..=64).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'));
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(Error::invalid(
            "encounter",
            "must be a FHIR Encounter id: 1 to 64 letters, digits, '-' or '.'",
        ))
    }
}

/// Creates a launch for one of the practice's patients. Any key that may read the patient may
/// open an app on the patient's record: the app still needs a login by someone who acts for
/// the patient.
pub async fn create(
    db: &DatabaseConnection,
    staff: &Staff,
    patient_id: Uuid,
    encounter: Option<&str>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Created> {
    staff.require(Permission::ReadPatients)?;
    let encounter = encounter.map(check_encounter).transpose()?;
    patients::find(db, patient_id)
        .await?
        .filter(|p| p.practice_id == staff.practice_id)
        .ok_or(Error::NotFound)?;
    let launch = secrets::new_token();
    let expires_at = now + TimeDelta::seconds(LAUNCH_TTL_SECS);
    let txn = db.begin().await?;
    let id = Uuid::now_v7();
    oauth_launches::insert(
        &txn,
        &oauth_launch::Model {
            id,
            launch_hash: secrets::hash_token(&launch),
            practice_id: staff.practice_id,
            patient_id,
            encounter: encounter.clone(),
            created_at: now,
            expires_at,
            used_at: None,
        },
    )
    .await?;
    audit::record(
        &txn,
        meta,
        Event::new("oauth.launch_created", staff.actor())
            .practice(staff.practice_id)
            .detail(json!({"launch_id": id, "patient_id": patient_id, "encounter": encounter})),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Created { launch, expires_at })
}

/// Spends the practice's launch `raw`: `None` when it is unknown, expired, already used or
/// another practice's.
pub async fn spend<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    raw: &str,
    now: DateTime<Utc>,
) -> Result<Option<oauth_launch::Model>> {
    if !secrets::looks_like_token(raw) {
        return Ok(None);
    }
    Ok(oauth_launches::spend(conn, practice_id, &secrets::hash_token(raw), now).await?)
}
