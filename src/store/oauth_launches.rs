//! SMART EHR launch contexts: created by the practice API, spent once by `/oauth2/authorize`.

use crate::store::{oauth_launch, returning};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryTrait,
};
use uuid::Uuid;

/// Inserts a new, unspent launch.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    launch: &oauth_launch::Model,
) -> Result<(), DbErr> {
    oauth_launch::Entity::insert(oauth_launch::ActiveModel::from(launch.clone()).reset_all())
        .exec_without_returning(conn)
        .await
        .map(drop)
}

/// Spends the practice's launch whose value hashes to `launch_hash`, if it is unspent and
/// unexpired, in one guarded `UPDATE ... RETURNING`: of concurrent uses exactly one gets it.
/// `None` for an unknown, expired, used, or another practice's launch (told apart by no one).
pub async fn spend<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    launch_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<oauth_launch::Model>, DbErr> {
    let mut stmt = oauth_launch::Entity::update_many()
        .col_expr(oauth_launch::Column::UsedAt, Expr::value(Some(now)))
        .filter(oauth_launch::Column::LaunchHash.eq(launch_hash))
        .filter(oauth_launch::Column::PracticeId.eq(practice_id))
        .filter(oauth_launch::Column::UsedAt.is_null())
        .filter(oauth_launch::Column::ExpiresAt.gt(now))
        .into_query();
    returning::one(conn, stmt.returning_all()).await
}
