//! The columns that hold values sealed with `PORTICO_KEY_ENCRYPTION_SECRET`
//! (`crypto::sealed`): signing keys' private halves and accounts' TOTP seeds. Reading the ones
//! still stored `plain.`, and replacing one with its sealed form in one guarded UPDATE.

use crate::crypto::sealed::PLAIN_PREFIX;
use crate::store::{account, signing_key};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

/// A stored value: its record (the id it is bound to) and its stored form.
#[derive(Debug, Clone)]
pub struct Stored<K> {
    pub record: K,
    pub value: String,
}

fn plain_pattern() -> String {
    format!("{PLAIN_PREFIX}%")
}

/// Signing keys whose private half is stored `plain.`.
pub async fn plain_signing_keys<C: ConnectionTrait>(
    conn: &C,
) -> Result<Vec<Stored<String>>, DbErr> {
    Ok(signing_key::Entity::find()
        .select_only()
        .column(signing_key::Column::Kid)
        .column(signing_key::Column::PrivateKey)
        .filter(signing_key::Column::PrivateKey.like(plain_pattern()))
        .into_tuple::<(String, String)>()
        .all(conn)
        .await?
        .into_iter()
        .map(|(record, value)| Stored { record, value })
        .collect())
}

/// Replaces a signing key's stored private half, only if it is still `old`: `false` when
/// another instance starting at the same moment sealed it first.
pub async fn replace_signing_key<C: ConnectionTrait>(
    conn: &C,
    kid: &str,
    old: &str,
    sealed: &str,
) -> Result<bool, DbErr> {
    Ok(signing_key::Entity::update_many()
        .col_expr(signing_key::Column::PrivateKey, Expr::value(sealed))
        .filter(signing_key::Column::Kid.eq(kid))
        .filter(signing_key::Column::PrivateKey.eq(old))
        .exec(conn)
        .await?
        .rows_affected
        == 1)
}

/// Accounts whose TOTP seed (enrolled or pending) is stored `plain.`.
pub async fn plain_totp_secrets<C: ConnectionTrait>(conn: &C) -> Result<Vec<Stored<Uuid>>, DbErr> {
    Ok(account::Entity::find()
        .select_only()
        .column(account::Column::Id)
        .column(account::Column::TotpSecret)
        .filter(account::Column::TotpSecret.like(plain_pattern()))
        .into_tuple::<(Uuid, String)>()
        .all(conn)
        .await?
        .into_iter()
        .map(|(record, value)| Stored { record, value })
        .collect())
}

/// Replaces an account's stored TOTP seed, only if it is still `old` (an enrolment restarted
/// meanwhile keeps its new seed).
pub async fn replace_totp_secret<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    old: &str,
    sealed: &str,
) -> Result<bool, DbErr> {
    Ok(account::Entity::update_many()
        .col_expr(account::Column::TotpSecret, Expr::value(sealed))
        .filter(account::Column::Id.eq(account_id))
        .filter(account::Column::TotpSecret.eq(old))
        .exec(conn)
        .await?
        .rows_affected
        == 1)
}
