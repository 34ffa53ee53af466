//! Access reports: the practice's accesses matching a filter, a page at a time or all of them
//! for an export, and the patients matching a patient search (with its access criteria) for
//! an export.

use crate::domain::role::Permission;
use crate::error::Result;
use crate::service::access::listing::AccessRecord;
use crate::service::practice::api_keys::Staff;
use crate::store::access_reports;
use crate::store::pagination::{MAX_LIMIT, Page, PageRequest};
use crate::store::patients::{self, PatientFilter};
use crate::store::{accounts, patient, portal_access};
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// The report's filters.
pub use crate::store::access_reports::{AccessFilter, Window};

/// One page of the practice's accesses matching `filter`, oldest first.
pub async fn list_access(
    db: &DatabaseConnection,
    staff: &Staff,
    filter: &AccessFilter,
    page: PageRequest,
) -> Result<Page<AccessRecord>> {
    staff.require(Permission::ReadPatients)?;
    let rows = access_reports::list(db, staff.practice_id, filter, page).await?;
    let page = Page::from_overfetch(rows, page.limit, |a| a.id);
    let records = with_usernames(db, page.items).await?;
    Ok(Page {
        items: records,
        next_cursor: page.next_cursor,
    })
}

/// Every access matching `filter`, read a page at a time.
pub async fn export_access(
    db: &DatabaseConnection,
    staff: &Staff,
    filter: &AccessFilter,
) -> Result<Vec<AccessRecord>> {
    staff.require(Permission::ReadPatients)?;
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = PageRequest {
            after,
            limit: MAX_LIMIT,
        };
        let mut rows = access_reports::list(db, staff.practice_id, filter, page).await?;
        let more = rows.len() as u64 > MAX_LIMIT;
        rows.truncate(MAX_LIMIT as usize);
        after = rows.last().map(|r| r.id);
        all.extend(with_usernames(db, rows).await?);
        if !more {
            return Ok(all);
        }
    }
}

/// Every patient matching `filter` (the patient search's criteria), read a page at a time.
pub async fn export_patients(
    db: &DatabaseConnection,
    staff: &Staff,
    filter: PatientFilter,
) -> Result<Vec<patient::Model>> {
    staff.require(Permission::ReadPatients)?;
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = PageRequest {
            after,
            limit: MAX_LIMIT,
        };
        let mut rows = patients::search(db, staff.practice_id, &filter, page).await?;
        let more = rows.len() as u64 > MAX_LIMIT;
        rows.truncate(MAX_LIMIT as usize);
        after = rows.last().map(|r| r.id);
        all.extend(rows);
        if !more {
            return Ok(all);
        }
    }
}

async fn with_usernames(
    db: &DatabaseConnection,
    rows: Vec<portal_access::Model>,
) -> Result<Vec<AccessRecord>> {
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
