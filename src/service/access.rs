//! Reading portal access: who may use a patient's record, and where each link stands.

use crate::domain::role::Permission;
use crate::error::Result;
use crate::service::api_keys::Staff;
use crate::service::patients;
use crate::store::{account, portal_access};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
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
    patients::find_in_practice(db, staff.practice_id, patient_id).await?;
    let rows = portal_access::Entity::find()
        .filter(portal_access::Column::PatientId.eq(patient_id))
        .filter(portal_access::Column::PracticeId.eq(staff.practice_id))
        .order_by_asc(portal_access::Column::Id)
        .all(db)
        .await?;
    let account_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.account_id).collect();
    let usernames: HashMap<Uuid, String> = if account_ids.is_empty() {
        HashMap::new()
    } else {
        account::Entity::find()
            .filter(account::Column::Id.is_in(account_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|a| (a.id, a.username))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|access| {
            let username = access.account_id.and_then(|id| usernames.get(&id).cloned());
            AccessRecord { access, username }
        })
        .collect())
}
