//! Accounts the front desk creates for a patient (seed 001, "Create an Account Manually"):
//! for patients who ask for it, for intake on a tablet at the clinic, and for test profiles.
//!
//! Portico chooses the temporary password (20 characters without look-alikes, about 115
//! bits), returns it once to the caller and keeps only its argon2id hash. It is never emailed
//! (SECURITY D1). The account must change it at first login ("When they log in they are able
//! to change their own password").

use crate::auth::password::Hasher;
use crate::crypto::secrets;
use crate::domain::access::{AccessStatus, Relation};
use crate::domain::contact::EmailAddress;
use crate::domain::invitation::{OnFile, check_required_fields};
use crate::domain::role::Permission;
use crate::domain::username::Username;
use crate::error::{Error, Result};
use crate::service::access::invitations::supersede_pending;
use crate::service::accounts::logins::{self, NewAccount};
use crate::service::patients::records;
use crate::service::practice::api_keys::Staff;
use crate::service::practice::practices::{self, PracticeSettings};
use crate::store::audit::{self, Event, RequestMeta};
use crate::store::grant::{self, NewAccess};
use crate::store::{access as access_rows, account, portal_access};
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

/// Length of a temporary password; above the policy's minimum.
pub const TEMPORARY_PASSWORD_LENGTH: usize = 20;

/// A staff-created account, with the temporary password shown this once.
#[derive(Debug, Clone)]
pub struct StaffCreated {
    pub account: account::Model,
    pub access: portal_access::Model,
    pub temporary_password: String,
}

/// Creates an account for the patient themself, with active access to their record at once.
/// A pending invitation for the patient is superseded: the account now holds the access.
pub async fn create(
    db: &DatabaseConnection,
    hasher: &Arc<Hasher>,
    staff: &Staff,
    patient_id: Uuid,
    username: Username,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<StaffCreated> {
    staff.require(Permission::CreateAccounts)?;
    let patient = records::find_in_practice(db, staff.practice_id, patient_id).await?;
    let practice = practices::get(db, staff.practice_id).await?;
    check_required_fields(
        &PracticeSettings::from(&practice).required_fields,
        &OnFile {
            email: patient.email.as_deref(),
            mobile: patient.mobile.as_deref(),
            postal_code: patient.postal_code.as_deref(),
        },
    )?;
    if logins::find_by_username(db, username.as_str())
        .await?
        .is_some()
    {
        return Err(Error::UsernameTaken);
    }
    let temporary_password = secrets::human_code(TEMPORARY_PASSWORD_LENGTH);
    let password_hash = hasher.hash(&temporary_password).await?;

    let txn = db.begin().await?;
    let own = access_rows::for_patient_relation(&txn, staff.practice_id, patient.id, Relation::Own)
        .await?;
    if own.iter().any(|a| a.status == AccessStatus::Active) {
        return Err(Error::Conflict(
            "This patient already has active portal access.".into(),
        ));
    }
    if own.iter().any(|a| a.account_id.is_some()) {
        return Err(Error::Conflict(
            "This patient already has a portal account: send an invitation to grant access \
             again with the same username and password, or activate it if it waits for email \
             confirmation."
                .into(),
        ));
    }
    let email = patient
        .email
        .as_deref()
        .map(|e| EmailAddress::parse("email", e))
        .transpose()?;
    let account = logins::insert(
        &txn,
        NewAccount {
            username,
            email,
            email_verified: false,
            mobile: None,
            password_hash,
            must_change_password: true,
            first_name: Some(patient.first_name.clone()),
            last_name: Some(patient.last_name.clone()),
            date_of_birth: Some(patient.date_of_birth),
        },
        now,
    )
    .await?;
    let access = match own.into_iter().next() {
        Some(pending) => {
            supersede_pending(&txn, pending.id, now).await?;
            // Guarded on the status read above: a change that landed meanwhile wins.
            access_rows::activate_for_account(&txn, pending.id, pending.status, account.id, now)
                .await?
                .ok_or_else(|| {
                    Error::Conflict(
                        "This patient's portal access changed meanwhile; try again.".into(),
                    )
                })?
        }
        None => {
            grant::insert_access(
                &txn,
                NewAccess {
                    practice_id: staff.practice_id,
                    patient_id: patient.id,
                    account_id: Some(account.id),
                    relation: Relation::Own,
                    status: AccessStatus::Active,
                },
                now,
            )
            .await?
        }
    };
    audit::record(
        &txn,
        meta,
        Event::new("account.created_by_staff", staff.actor())
            .practice(staff.practice_id)
            .patient(patient.id)
            .account(account.id)
            .access(access.id)
            .detail(json!({ "username": account.username, "must_change_password": true })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(StaffCreated {
        account,
        access,
        temporary_password,
    })
}
