//! Accounts: usernames, password hashes, contact addresses, two-step secrets and their TOTP steps.

use crate::store::account;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QuerySelect};
use uuid::Uuid;

/// The account with this id, if any.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
) -> Result<Option<account::Model>, DbErr> {
    account::Entity::find_by_id(account_id).one(conn).await
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
