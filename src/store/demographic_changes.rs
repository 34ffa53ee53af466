//! Demographic changes a patient asks for and the practice decides.

use crate::domain::demographics::ChangeStatus;
use crate::store::demographic_change;
use crate::store::pagination::PageRequest;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

/// Inserts a request in `status` (pending) with its changes as JSON.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    patient_id: Uuid,
    account_id: Uuid,
    changes: String,
    status: ChangeStatus,
    now: DateTime<Utc>,
) -> Result<demographic_change::Model, DbErr> {
    demographic_change::ActiveModel {
        id: Set(Uuid::now_v7()),
        practice_id: Set(practice_id),
        patient_id: Set(patient_id),
        account_id: Set(account_id),
        changes: Set(changes),
        status: Set(status),
        reason: Set(None),
        decided_by: Set(None),
        created_at: Set(now),
        decided_at: Set(None),
    }
    .insert(conn)
    .await
}

/// How many of one account's requests for a patient are in `status`.
pub async fn count_for_requester<C: ConnectionTrait>(
    conn: &C,
    patient_id: Uuid,
    account_id: Uuid,
    status: ChangeStatus,
) -> Result<u64, DbErr> {
    demographic_change::Entity::find()
        .filter(demographic_change::Column::PatientId.eq(patient_id))
        .filter(demographic_change::Column::AccountId.eq(account_id))
        .filter(demographic_change::Column::Status.eq(status))
        .count(conn)
        .await
}

/// One page of the practice's requests (of one status when given), oldest first, with one
/// row more than the page when there is a next page (for `Page::from_overfetch`).
pub async fn for_practice<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    status: Option<ChangeStatus>,
    page: PageRequest,
) -> Result<Vec<demographic_change::Model>, DbErr> {
    let mut q = demographic_change::Entity::find()
        .filter(demographic_change::Column::PracticeId.eq(practice_id));
    if let Some(s) = status {
        q = q.filter(demographic_change::Column::Status.eq(s));
    }
    if let Some(after) = page.after {
        q = q.filter(demographic_change::Column::Id.gt(after));
    }
    q.order_by_asc(demographic_change::Column::Id)
        .limit(page.limit + 1)
        .all(conn)
        .await
}

/// A request by id, at any practice (the caller checks the practice).
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<demographic_change::Model>, DbErr> {
    demographic_change::Entity::find_by_id(id).one(conn).await
}

/// Decides the request `id` in one UPDATE guarded on its status being `from` (pending):
/// status `to`, the reason, who and when. False when it was no longer `from`.
pub async fn decide<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    from: ChangeStatus,
    to: ChangeStatus,
    reason: Option<String>,
    decided_by: String,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(demographic_change::Entity::update_many()
        .col_expr(demographic_change::Column::Status, Expr::value(to))
        .col_expr(demographic_change::Column::Reason, Expr::value(reason))
        .col_expr(
            demographic_change::Column::DecidedBy,
            Expr::value(decided_by),
        )
        .col_expr(demographic_change::Column::DecidedAt, Expr::value(now))
        .filter(demographic_change::Column::Id.eq(id))
        .filter(demographic_change::Column::Status.eq(from))
        .exec(conn)
        .await?
        .rows_affected
        == 1)
}
