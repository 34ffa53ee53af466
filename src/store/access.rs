//! Portal access rows (one per account, patient and practice): grant, block, revoke, expire, re-link.

use crate::store::portal_access;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

/// How many of the account's accesses at the practice have `status` and a consent that has
/// not run out at `now`.
pub async fn count_with_current_consent<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    practice_id: Uuid,
    status: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    portal_access::Entity::find()
        .filter(portal_access::Column::AccountId.eq(account_id))
        .filter(portal_access::Column::PracticeId.eq(practice_id))
        .filter(portal_access::Column::Status.eq(status))
        .filter(portal_access::consent_current(now))
        .count(conn)
        .await
}

/// How many accesses to the patient's record at the practice have `status`.
pub async fn count_for_patient_with_status<C: ConnectionTrait>(
    conn: &C,
    patient_id: Uuid,
    practice_id: Uuid,
    status: &str,
) -> Result<u64, DbErr> {
    portal_access::Entity::find()
        .filter(portal_access::Column::PatientId.eq(patient_id))
        .filter(portal_access::Column::PracticeId.eq(practice_id))
        .filter(portal_access::Column::Status.eq(status))
        .count(conn)
        .await
}

/// The accesses to the patient's record at the practice with `relation`, newest first.
pub async fn for_patient_with_relation<C: ConnectionTrait>(
    conn: &C,
    patient_id: Uuid,
    practice_id: Uuid,
    relation: &str,
) -> Result<Vec<portal_access::Model>, DbErr> {
    portal_access::Entity::find()
        .filter(portal_access::Column::PatientId.eq(patient_id))
        .filter(portal_access::Column::PracticeId.eq(practice_id))
        .filter(portal_access::Column::Relation.eq(relation))
        .order_by_desc(portal_access::Column::Id)
        .all(conn)
        .await
}

/// Gives an access without an account to `account_id` and makes it `active`, in one
/// `UPDATE ... WHERE status = <expected> AND account_id IS NULL RETURNING`: `None` when the row
/// moved on meanwhile.
pub async fn activate_for_account<C: ConnectionTrait>(
    conn: &C,
    access_id: Uuid,
    expected_status: &str,
    active_status: &str,
    account_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<portal_access::Model>, DbErr> {
    Ok(portal_access::Entity::update_many()
        .col_expr(
            portal_access::Column::AccountId,
            Expr::value(Some(account_id)),
        )
        .col_expr(portal_access::Column::Status, Expr::value(active_status))
        .col_expr(portal_access::Column::RegisteredAt, Expr::value(Some(now)))
        .col_expr(portal_access::Column::UpdatedAt, Expr::value(now))
        .filter(portal_access::Column::Id.eq(access_id))
        .filter(portal_access::Column::Status.eq(expected_status))
        .filter(portal_access::Column::AccountId.is_null())
        .exec_with_returning(conn)
        .await?
        .into_iter()
        .next())
}
