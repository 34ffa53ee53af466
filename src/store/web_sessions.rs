//! Page sessions (the portal's own cookie sessions).

use crate::store::web_session;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

/// Inserts a page session and returns it.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    session: &web_session::Model,
) -> Result<web_session::Model, DbErr> {
    web_session::ActiveModel::from(session.clone())
        .reset_all()
        .insert(conn)
        .await
}

/// The page session whose cookie token hashes to `token_hash`, whatever its state.
pub async fn find_by_token_hash<C: ConnectionTrait>(
    conn: &C,
    token_hash: &str,
) -> Result<Option<web_session::Model>, DbErr> {
    web_session::Entity::find()
        .filter(web_session::Column::TokenHash.eq(token_hash))
        .one(conn)
        .await
}

/// Records activity on a session (`last_seen_at`).
pub async fn touch<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    web_session::Entity::update_many()
        .col_expr(web_session::Column::LastSeenAt, Expr::value(now))
        .filter(web_session::Column::Id.eq(id))
        .exec(conn)
        .await
        .map(drop)
}

/// Binds a live session to the practice the person chose, recording activity.
pub async fn choose_practice<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    practice_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    web_session::Entity::update_many()
        .col_expr(
            web_session::Column::PracticeId,
            Expr::value(Some(practice_id)),
        )
        .col_expr(web_session::Column::LastSeenAt, Expr::value(now))
        .filter(web_session::Column::Id.eq(id))
        .filter(web_session::Column::RevokedAt.is_null())
        .exec(conn)
        .await
        .map(drop)
}

/// Ends the live session whose token hashes to `token_hash`; returns whether one was live.
pub async fn end_by_token_hash<C: ConnectionTrait>(
    conn: &C,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = web_session::Entity::update_many()
        .col_expr(web_session::Column::RevokedAt, Expr::value(Some(now)))
        .filter(web_session::Column::TokenHash.eq(token_hash))
        .filter(web_session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Ends the account's live sessions, at one practice or everywhere; returns how many.
pub async fn end_all<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    practice_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut update = web_session::Entity::update_many()
        .col_expr(web_session::Column::RevokedAt, Expr::value(Some(now)))
        .filter(web_session::Column::AccountId.eq(account_id))
        .filter(web_session::Column::RevokedAt.is_null());
    if let Some(p) = practice_id {
        update = update.filter(web_session::Column::PracticeId.eq(p));
    }
    Ok(update.exec(conn).await?.rows_affected)
}

/// Ends the account's live sessions except `keep`; returns how many.
pub async fn end_all_but<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    keep: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(web_session::Entity::update_many()
        .col_expr(web_session::Column::RevokedAt, Expr::value(Some(now)))
        .filter(web_session::Column::AccountId.eq(account_id))
        .filter(web_session::Column::Id.ne(keep))
        .filter(web_session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected)
}
