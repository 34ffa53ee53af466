//! Portal access rows (one per account, patient and practice): grant, block, revoke, expire, re-link.
//!
//! Every status change (in `transitions`) is one UPDATE guarded on the status the caller expects, returning the
//! row as it now stands (`None` when the row was not in that status: another change won).

mod transitions;

pub use transitions::{
    activate, activate_with_consent, block, expire_if_active, lapse_consent, redeem_invited,
    revoke, unblock,
};

use crate::domain::access::{AccessStatus, Relation};
use crate::store::portal_access;
use crate::store::returning;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};
use uuid::Uuid;

pub(super) fn active() -> sea_orm::Condition {
    sea_orm::Condition::all().add(portal_access::Column::Status.eq(AccessStatus::Active))
}

/// Active accesses of a parent or guardian (the relations the age bands apply to).
fn active_minor_representatives_query() -> sea_orm::Select<portal_access::Entity> {
    portal_access::Entity::find()
        .filter(active())
        .filter(portal_access::Column::Relation.is_in([Relation::Parent, Relation::Guardian]))
}

/// The access with this id, if any (in any practice: callers check the practice).
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    access_id: Uuid,
) -> Result<Option<portal_access::Model>, DbErr> {
    portal_access::Entity::find_by_id(access_id).one(conn).await
}

/// The patients whose records the account holds as the patient themself (active `self`
/// access), at any practice.
pub async fn own_patient_ids<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
) -> Result<Vec<Uuid>, DbErr> {
    portal_access::Entity::find()
        .select_only()
        .column(portal_access::Column::PatientId)
        .filter(portal_access::Column::AccountId.eq(account_id))
        .filter(portal_access::Column::Relation.eq(Relation::Own))
        .filter(active())
        .into_tuple()
        .all(conn)
        .await
}

/// The representatives' accesses (any relation but `self`) to these patients in one of these
/// statuses, oldest first.
pub async fn representatives_of<C: ConnectionTrait>(
    conn: &C,
    patient_ids: impl IntoIterator<Item = Uuid>,
    statuses: &[AccessStatus],
) -> Result<Vec<portal_access::Model>, DbErr> {
    portal_access::Entity::find()
        .filter(portal_access::Column::PatientId.is_in(patient_ids))
        .filter(portal_access::Column::Relation.ne(Relation::Own))
        .filter(portal_access::Column::Status.is_in(statuses.iter().copied()))
        .order_by_asc(portal_access::Column::Id)
        .all(conn)
        .await
}

/// Up to `limit` active adult representatives' accesses whose consent has run out at `now`,
/// in id order.
pub async fn consent_lapse_due<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<portal_access::Model>, DbErr> {
    portal_access::Entity::find()
        .filter(active())
        .filter(portal_access::Column::Relation.is_in(Relation::adult_representatives()))
        .filter(portal_access::Column::ConsentExpiresAt.lte(now))
        .order_by_asc(portal_access::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Every active parent or guardian access, in id order: what the ageing job looks at.
pub async fn active_minor_representatives<C: ConnectionTrait>(
    conn: &C,
) -> Result<Vec<portal_access::Model>, DbErr> {
    active_minor_representatives_query()
        .order_by_asc(portal_access::Column::Id)
        .all(conn)
        .await
}

/// The active parent and guardian accesses to one patient.
pub async fn active_minor_representatives_of<C: ConnectionTrait>(
    conn: &C,
    patient_id: Uuid,
) -> Result<Vec<portal_access::Model>, DbErr> {
    active_minor_representatives_query()
        .filter(portal_access::Column::PatientId.eq(patient_id))
        .all(conn)
        .await
}

/// The account's active parent or guardian access to the patient at the practice, if any.
pub async fn active_minor_representation<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    patient_id: Uuid,
    practice_id: Uuid,
) -> Result<Option<portal_access::Model>, DbErr> {
    active_minor_representatives_query()
        .filter(portal_access::Column::AccountId.eq(account_id))
        .filter(portal_access::Column::PatientId.eq(patient_id))
        .filter(portal_access::Column::PracticeId.eq(practice_id))
        .one(conn)
        .await
}

/// The account's active accesses as someone's representative (any relation but `self`), at
/// any practice: what the time limits may end at login and refresh.
pub async fn active_representations_of_account<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
) -> Result<Vec<portal_access::Model>, DbErr> {
    portal_access::Entity::find()
        .filter(portal_access::Column::AccountId.eq(account_id))
        .filter(active())
        .filter(portal_access::Column::Relation.ne(Relation::Own))
        .all(conn)
        .await
}

/// A `self` access to the patient's record in one of these statuses, if any.
pub async fn own_access_in<C: ConnectionTrait>(
    conn: &C,
    patient_id: Uuid,
    statuses: &[AccessStatus],
) -> Result<Option<portal_access::Model>, DbErr> {
    portal_access::Entity::find()
        .filter(portal_access::Column::PatientId.eq(patient_id))
        .filter(portal_access::Column::Relation.eq(Relation::Own))
        .filter(portal_access::Column::Status.is_in(statuses.iter().copied()))
        .one(conn)
        .await
}

/// Every access to one patient's record at a practice, oldest first.
pub async fn for_patient<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    patient_id: Uuid,
) -> Result<Vec<portal_access::Model>, DbErr> {
    portal_access::Entity::find()
        .filter(portal_access::Column::PatientId.eq(patient_id))
        .filter(portal_access::Column::PracticeId.eq(practice_id))
        .order_by_asc(portal_access::Column::Id)
        .all(conn)
        .await
}

/// The accesses to a patient's record at a practice with one relation, newest first.
pub async fn for_patient_relation<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    patient_id: Uuid,
    relation: Relation,
) -> Result<Vec<portal_access::Model>, DbErr> {
    portal_access::Entity::find()
        .filter(portal_access::Column::PatientId.eq(patient_id))
        .filter(portal_access::Column::PracticeId.eq(practice_id))
        .filter(portal_access::Column::Relation.eq(relation))
        .order_by_desc(portal_access::Column::Id)
        .all(conn)
        .await
}

/// The account's active access to a patient's record at a practice, if it has one.
pub async fn find_active<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    practice_id: Uuid,
    patient_id: Uuid,
) -> Result<Option<portal_access::Model>, DbErr> {
    portal_access::Entity::find()
        .filter(portal_access::Column::AccountId.eq(account_id))
        .filter(portal_access::Column::PatientId.eq(patient_id))
        .filter(portal_access::Column::PracticeId.eq(practice_id))
        .filter(portal_access::Column::Status.eq(AccessStatus::Active))
        .one(conn)
        .await
}

/// A patient's own access held by an account other than `account_id` and not revoked, if
/// any (the patient already has an account of their own).
pub async fn own_held_by_another<C: ConnectionTrait>(
    conn: &C,
    patient_id: Uuid,
    account_id: Uuid,
) -> Result<Option<portal_access::Model>, DbErr> {
    portal_access::Entity::find()
        .filter(portal_access::Column::PatientId.eq(patient_id))
        .filter(portal_access::Column::Relation.eq(Relation::Own))
        .filter(portal_access::Column::AccountId.is_not_null())
        .filter(portal_access::Column::AccountId.ne(account_id))
        .filter(portal_access::Column::Status.ne(AccessStatus::Revoked))
        .one(conn)
        .await
}

/// How many of the account's accesses at the practice have `status` and a consent that has
/// not run out at `now`.
pub async fn count_with_current_consent<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    practice_id: Uuid,
    status: AccessStatus,
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
    status: AccessStatus,
) -> Result<u64, DbErr> {
    portal_access::Entity::find()
        .filter(portal_access::Column::PatientId.eq(patient_id))
        .filter(portal_access::Column::PracticeId.eq(practice_id))
        .filter(portal_access::Column::Status.eq(status))
        .count(conn)
        .await
}

/// Gives an access without an account to `account_id` and makes it `active`, in one
/// `UPDATE ... WHERE status = <expected> AND account_id IS NULL RETURNING`: `None` when the row
/// moved on meanwhile.
pub async fn activate_for_account<C: ConnectionTrait>(
    conn: &C,
    access_id: Uuid,
    expected_status: AccessStatus,
    account_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<portal_access::Model>, DbErr> {
    let mut stmt = portal_access::Entity::update_many()
        .col_expr(
            portal_access::Column::AccountId,
            Expr::value(Some(account_id)),
        )
        .col_expr(
            portal_access::Column::Status,
            Expr::value(AccessStatus::Active),
        )
        .col_expr(portal_access::Column::RegisteredAt, Expr::value(Some(now)))
        .col_expr(portal_access::Column::UpdatedAt, Expr::value(now))
        .filter(portal_access::Column::Id.eq(access_id))
        .filter(portal_access::Column::Status.eq(expected_status))
        .filter(portal_access::Column::AccountId.is_null())
        .into_query();
    returning::one(conn, stmt.returning_all()).await
}
