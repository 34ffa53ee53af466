//! Accounts: usernames, password hashes, contact addresses, two-step secrets and their TOTP steps.

use crate::store::account;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

/// The account with this id.
pub async fn by_id<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<account::Model>, DbErr> {
    account::Entity::find_by_id(id).one(conn).await
}

/// Stores `fresh` in place of the hash `verified`, only if that is still the account's hash
/// (a password changed meanwhile is not overwritten). Returns whether it was replaced.
pub async fn replace_password_hash<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    verified: &str,
    fresh: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = account::Entity::update_many()
        .col_expr(account::Column::PasswordHash, Expr::value(fresh))
        .col_expr(account::Column::UpdatedAt, Expr::value(now))
        .filter(account::Column::Id.eq(id))
        .filter(account::Column::PasswordHash.eq(verified))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Asks the account to choose a new password at its next login, unless it has two-step
/// verification turned on (checked in the same statement).
pub async fn require_password_change_unless_mfa<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = account::Entity::update_many()
        .col_expr(account::Column::MustChangePassword, Expr::value(true))
        .col_expr(account::Column::UpdatedAt, Expr::value(now))
        .filter(account::Column::Id.eq(id))
        .filter(account::Column::TotpEnabledAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Sets a newly chosen password: the change is dated, no further change is required, and
/// every session started before now ends (`sessions_valid_after`).
pub async fn set_chosen_password<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(account::Column::PasswordHash, Expr::value(hash))
        .col_expr(account::Column::PasswordChangedAt, Expr::value(now))
        .col_expr(account::Column::MustChangePassword, Expr::value(false))
        .col_expr(account::Column::SessionsValidAfter, Expr::value(now))
        .col_expr(account::Column::UpdatedAt, Expr::value(now))
        .filter(account::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}
