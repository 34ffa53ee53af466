//! Practice API keys (stored as hashes) and their roles.

use crate::domain::role::Role;
use crate::store::{api_key, returning};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait,
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

/// Revokes key `id` of the practice in one guarded `UPDATE ... RETURNING`, unless it was
/// revoked already (or is gone) or it is the practice's last active admin key: `None` then.
/// The count of admin keys is part of the guard, so two revocations of the last two admin
/// keys cannot both pass it.
pub async fn revoke_unless_last_admin<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<api_key::Model>, DbErr> {
    let active_admins = || {
        api_key::Entity::find()
            .filter(api_key::Column::PracticeId.eq(practice_id))
            .filter(api_key::Column::Role.eq(Role::Admin))
            .filter(api_key::Column::RevokedAt.is_null())
    };
    if conn.get_database_backend() == DbBackend::Postgres {
        // Under READ COMMITTED the count in the guard sees only what had committed when the
        // statement began, so two revocations at once would each count two admins. Locking
        // the practice's active admin rows first makes the second wait for the first to
        // commit; its UPDATE then starts from a snapshot that sees the first revocation.
        // (SQLite runs one write transaction at a time, so the guard alone is enough there.)
        active_admins()
            .select_only()
            .column(api_key::Column::Id)
            .lock_exclusive()
            .into_tuple::<Uuid>()
            .all(conn)
            .await?;
    }
    let admin_count = active_admins()
        .select_only()
        .expr(Expr::col(api_key::Column::Id).count())
        .into_query();
    let mut stmt = api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(Some(now)))
        .filter(api_key::Column::Id.eq(id))
        .filter(api_key::Column::PracticeId.eq(practice_id))
        .filter(api_key::Column::RevokedAt.is_null())
        .filter(
            Condition::any()
                .add(api_key::Column::Role.ne(Role::Admin))
                .add(Expr::from(admin_count).gt(1)),
        )
        .into_query();
    returning::one(conn, stmt.returning_all()).await
}
