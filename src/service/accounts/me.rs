//! The signed-in account's own view: who it is, and where it stands at each practice.

use crate::error::Result;
use crate::service::sessions::patient_auth::PatientPrincipal;
use crate::store::access_rows::{self, by_practice};
use sea_orm::DatabaseConnection;

/// One of the caller's accesses at a practice, with the practice.
pub use crate::store::access_rows::AtPractice;

/// Every practice where the account has (or had) portal access, with each patient link.
pub async fn practices(
    db: &DatabaseConnection,
    principal: &PatientPrincipal,
) -> Result<Vec<AtPractice>> {
    Ok(by_practice(
        access_rows::for_account(db, principal.account.id, None).await?,
    ))
}

/// The account of a page session and its practices (the account page), or `None` when the
/// account is gone.
pub async fn account_overview(
    db: &DatabaseConnection,
    account_id: uuid::Uuid,
) -> Result<Option<(crate::store::account::Model, Vec<AtPractice>)>> {
    let Some(account) = crate::store::accounts::find(db, account_id).await? else {
        return Ok(None);
    };
    let practices = by_practice(access_rows::for_account(db, account_id, None).await?);
    Ok(Some((account, practices)))
}
