//! The rules that end an access with the passage of time, applied for one account at login
//! and refresh, before either reads the account's access (in their own transactions, so a
//! login or refresh that is then refused keeps them): a parent's or guardian's access ends
//! when the patient comes of age (`ageing_out`), an adult representative's when the
//! patient's consent runs out (`consent_lapse`). The periodic jobs catch everyone else.

use crate::error::Result;
use crate::service::{representation::ageing_out, representation::consent_lapse};
use crate::store::access;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

/// Applies both rules to the account's active representative accesses, read in one query
/// (an account that acts only for itself costs that one query and nothing else).
pub async fn apply_for_account(
    conn: &DatabaseConnection,
    issuer: &str,
    account_id: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    let rows = access::active_representations_of_account(conn, account_id).await?;
    let (minors, others): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|r| r.relation.is_minor_representative());
    let lapsed: Vec<_> = others
        .into_iter()
        .filter(|r| {
            r.relation.is_adult_representative() && r.consent_expires_at.is_some_and(|t| t <= now)
        })
        .collect();
    ageing_out::expire_among(conn, issuer, minors, now).await?;
    if !lapsed.is_empty() {
        consent_lapse::lapse_all(conn, issuer, lapsed, now).await?;
    }
    Ok(())
}
