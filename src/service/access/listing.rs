//! Reading portal access: who may use a patient's record, and where each link stands.

use crate::domain::role::Permission;
use crate::error::Result;
use crate::service::patients::records;
use crate::service::practice::api_keys::Staff;
use crate::store::{access, accounts, portal_access};
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// A portal access with the username of the account that holds it, if any.
#[derive(Debug, Clone)]
pub struct AccessRecord {
    pub access: portal_access::Model,
    pub username: Option<String>,
}

/// Every portal access to one patient's record at the caller's practice, oldest first.
pub async fn for_patient(
    db: &DatabaseConnection,
    staff: &Staff,
    patient_id: Uuid,
) -> Result<Vec<AccessRecord>> {
    staff.require(Permission::ReadPatients)?;
    records::find_in_practice(db, staff.practice_id, patient_id).await?;
    let rows = access::for_patient(db, staff.practice_id, patient_id).await?;
    let account_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.account_id).collect();
    let usernames: HashMap<Uuid, String> = accounts::find_many(db, account_ids)
        .await?
        .into_iter()
        .map(|a| (a.id, a.username))
        .collect();
    Ok(rows
        .into_iter()
        .map(|access| {
            let username = access.account_id.and_then(|id| usernames.get(&id).cloned());
            AccessRecord { access, username }
        })
        .collect())
}
