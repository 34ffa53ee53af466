//! Practice API keys (stored as hashes) and their roles.

use crate::store::{api_key, returning};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QueryTrait,
};
use uuid::Uuid;

/// Inserts a key row and returns it.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    key: &api_key::Model,
) -> Result<api_key::Model, DbErr> {
    api_key::ActiveModel::from(key.clone())
        .reset_all()
        .insert(conn)
        .await
}

/// The key whose secret hashes to `key_hash`, whatever its state.
pub async fn find_by_hash<C: ConnectionTrait>(
    conn: &C,
    key_hash: &str,
) -> Result<Option<api_key::Model>, DbErr> {
    api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(key_hash))
        .one(conn)
        .await
}

/// The key with this id, whatever its practice and state.
pub async fn find<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Option<api_key::Model>, DbErr> {
    api_key::Entity::find_by_id(id).one(conn).await
}

/// Records that the key was used at `now`.
pub async fn record_use<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    api_key::Entity::update_many()
        .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
        .filter(api_key::Column::Id.eq(id))
        .exec(conn)
        .await
        .map(drop)
}

/// Every key of the practice, newest first.
pub async fn for_practice<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
) -> Result<Vec<api_key::Model>, DbErr> {
    api_key::Entity::find()
        .filter(api_key::Column::PracticeId.eq(practice_id))
        .order_by_desc(api_key::Column::Id)
        .all(conn)
        .await
}

/// How many unrevoked keys of the practice have `role`.
pub async fn count_active_with_role<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    role: &str,
) -> Result<u64, DbErr> {
    api_key::Entity::find()
        .filter(api_key::Column::PracticeId.eq(practice_id))
        .filter(api_key::Column::Role.eq(role))
        .filter(api_key::Column::RevokedAt.is_null())
        .count(conn)
        .await
}

/// Revokes key `id` in one guarded `UPDATE ... WHERE revoked_at IS NULL RETURNING`; `None`
/// when it was revoked already (or is gone).
pub async fn revoke<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<api_key::Model>, DbErr> {
    let mut stmt = api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(Some(now)))
        .filter(api_key::Column::Id.eq(id))
        .filter(api_key::Column::RevokedAt.is_null())
        .into_query();
    returning::one(conn, stmt.returning_all()).await
}
