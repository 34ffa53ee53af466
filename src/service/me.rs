//! The signed-in account's own view: who it is, and where it stands at each practice.

use crate::error::Result;
use crate::service::patient_auth::PatientPrincipal;
use crate::store::access_rows::{self, AtPractice, by_practice};
use sea_orm::DatabaseConnection;

/// Every practice where the account has (or had) portal access, with each patient link.
pub async fn practices(
    db: &DatabaseConnection,
    principal: &PatientPrincipal,
) -> Result<Vec<AtPractice>> {
    Ok(by_practice(
        access_rows::for_account(db, principal.account.id, None).await?,
    ))
}
