//! Accounts: usernames, password hashes, contact addresses, two-step secrets and their TOTP steps.

use crate::store::account;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

/// The account with this id, if any.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
) -> Result<Option<account::Model>, DbErr> {
    account::Entity::find_by_id(account_id).one(conn).await
}

/// The accounts with these ids that exist, in no particular order.
pub async fn find_many<C: ConnectionTrait>(
    conn: &C,
    ids: Vec<Uuid>,
) -> Result<Vec<account::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    account::Entity::find()
        .filter(account::Column::Id.is_in(ids))
        .all(conn)
        .await
}

/// Marks the account's email verified at `now` (a confirmation link was followed).
pub async fn mark_email_verified<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(account::Column::EmailVerifiedAt, Expr::value(now))
        .col_expr(account::Column::UpdatedAt, Expr::value(now))
        .filter(account::Column::Id.eq(account_id))
        .exec(conn)
        .await?;
    Ok(())
}
