//! Accounts: usernames, password hashes, contact addresses, two-step secrets and their TOTP steps.

use crate::store::account;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

/// Inserts an account row and returns it (a taken username is a unique violation).
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    new: &account::Model,
) -> Result<account::Model, DbErr> {
    account::Entity::insert(account::ActiveModel::from(new.clone()).reset_all())
        .exec_with_returning(conn)
        .await
}

/// The account with this id, if any.
pub async fn find<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<Option<account::Model>, DbErr> {
    account::Entity::find_by_id(id).one(conn).await
}

/// The account whose folded username is `folded`, if any.
pub async fn find_by_username_folded<C: ConnectionTrait>(
    conn: &C,
    folded: &str,
) -> Result<Option<account::Model>, DbErr> {
    account::Entity::find()
        .filter(account::Column::UsernameFolded.eq(folded))
        .one(conn)
        .await
}

/// Every account using the folded address `folded`, oldest first.
pub async fn with_email_folded<C: ConnectionTrait>(
    conn: &C,
    folded: &str,
) -> Result<Vec<account::Model>, DbErr> {
    account::Entity::find()
        .filter(account::Column::EmailFolded.eq(folded))
        .order_by_asc(account::Column::Id)
        .all(conn)
        .await
}

/// Every account whose contact is this E.164 mobile number, oldest first.
pub async fn with_mobile<C: ConnectionTrait>(
    conn: &C,
    mobile: &str,
) -> Result<Vec<account::Model>, DbErr> {
    account::Entity::find()
        .filter(account::Column::Mobile.eq(mobile))
        .order_by_asc(account::Column::Id)
        .all(conn)
        .await
}

/// Gives an account without a mobile number this one (a texted link it followed proved it).
pub async fn set_mobile_if_none<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    mobile: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(account::Column::Mobile, Expr::value(mobile))
        .col_expr(account::Column::UpdatedAt, Expr::value(now))
        .filter(account::Column::Id.eq(id))
        .filter(account::Column::Mobile.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Stores a new, not yet confirmed TOTP seed (its last step cleared), only while two-step
/// verification is off.
pub async fn start_totp<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    sealed_secret: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(account::Column::TotpSecret, Expr::value(sealed_secret))
        .col_expr(
            account::Column::TotpLastStep,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(account::Column::UpdatedAt, Expr::value(now))
        .filter(account::Column::Id.eq(id))
        .filter(account::Column::TotpEnabledAt.is_null())
        .exec(conn)
        .await
        .map(drop)
}

/// Turns two-step verification on with `step` spent, only while it is off and the pending
/// seed is still `sealed_secret`. Returns whether it turned on now.
pub async fn enable_totp<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    sealed_secret: Option<&str>,
    step: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = account::Entity::update_many()
        .col_expr(account::Column::TotpEnabledAt, Expr::value(now))
        .col_expr(account::Column::TotpLastStep, Expr::value(step))
        .col_expr(account::Column::UpdatedAt, Expr::value(now))
        .filter(account::Column::Id.eq(id))
        .filter(account::Column::TotpEnabledAt.is_null())
        .filter(account::Column::TotpSecret.eq(sealed_secret))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Turns two-step verification off: seed, enabling time and last step cleared.
pub async fn clear_totp<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(
            account::Column::TotpSecret,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            account::Column::TotpEnabledAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            account::Column::TotpLastStep,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(account::Column::UpdatedAt, Expr::value(now))
        .filter(account::Column::Id.eq(id))
        .exec(conn)
        .await
        .map(drop)
}

/// Spends TOTP step `step` in one guarded `UPDATE ... WHERE totp_last_step < step RETURNING`:
/// true for exactly one of any number of concurrent uses of a step, false for a replay.
pub async fn spend_totp_step<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    step: i64,
) -> Result<bool, DbErr> {
    let stmt = Query::update()
        .table(account::Entity)
        .value(account::Column::TotpLastStep, step)
        .and_where(account::Column::Id.eq(id))
        .cond_where(
            Condition::any()
                .add(account::Column::TotpLastStep.is_null())
                .add(account::Column::TotpLastStep.lt(step)),
        )
        .returning_col(account::Column::Id)
        .to_owned();
    Ok(conn.query_one(&stmt).await?.is_some())
}

/// Sets a new password hash (the account's own change).
pub async fn set_password<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(account::Column::PasswordHash, Expr::value(password_hash))
        .col_expr(account::Column::PasswordChangedAt, Expr::value(now))
        .col_expr(account::Column::UpdatedAt, Expr::value(now))
        .filter(account::Column::Id.eq(id))
        .exec(conn)
        .await
        .map(drop)
}

/// Sets a password from a reset link: no forced change any more, every earlier session
/// invalid, and the email marked verified now when `verify_email` (the link proved it).
pub async fn reset_password<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    password_hash: &str,
    verify_email: bool,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut update = account::Entity::update_many()
        .col_expr(account::Column::PasswordHash, Expr::value(password_hash))
        .col_expr(account::Column::PasswordChangedAt, Expr::value(now))
        .col_expr(account::Column::MustChangePassword, Expr::value(false))
        .col_expr(account::Column::SessionsValidAfter, Expr::value(now))
        .col_expr(account::Column::UpdatedAt, Expr::value(now));
    if verify_email {
        update = update.col_expr(account::Column::EmailVerifiedAt, Expr::value(now));
    }
    update
        .filter(account::Column::Id.eq(id))
        .exec(conn)
        .await
        .map(drop)
}

/// Replaces the account's email with a confirmed one (`folded` its comparison form).
pub async fn set_verified_email<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    email: &str,
    folded: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(account::Column::Email, Expr::value(email))
        .col_expr(account::Column::EmailFolded, Expr::value(folded))
        .col_expr(account::Column::EmailVerifiedAt, Expr::value(now))
        .col_expr(account::Column::UpdatedAt, Expr::value(now))
        .filter(account::Column::Id.eq(id))
        .exec(conn)
        .await
        .map(drop)
}

/// The email on an account, if there is an account and it has one (no query without an
/// account): how a representative, or a patient through their own account, is written to.
pub async fn email_of<C: ConnectionTrait>(
    conn: &C,
    account_id: Option<Uuid>,
) -> Result<Option<String>, DbErr> {
    let Some(id) = account_id else {
        return Ok(None);
    };
    Ok(account::Entity::find_by_id(id)
        .select_only()
        .column(account::Column::Email)
        .into_tuple::<Option<String>>()
        .one(conn)
        .await?
        .flatten())
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
