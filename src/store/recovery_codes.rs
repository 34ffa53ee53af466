//! Two-step recovery codes: each spent once by one guarded statement.

use crate::store::recovery_code;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    Set,
};
use uuid::Uuid;

/// Replaces the account's recovery codes with new ones, given as hashes.
pub async fn replace_all<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    code_hashes: &[String],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    delete_all(conn, account_id).await?;
    for hash in code_hashes {
        recovery_code::Entity::insert(recovery_code::ActiveModel {
            id: Set(Uuid::now_v7()),
            account_id: Set(account_id),
            code_hash: Set(hash.clone()),
            created_at: Set(now),
            used_at: Set(None),
        })
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

/// Deletes every recovery code of the account (two-step verification turned off).
pub async fn delete_all<C: ConnectionTrait>(conn: &C, account_id: Uuid) -> Result<(), DbErr> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::AccountId.eq(account_id))
        .exec(conn)
        .await
        .map(drop)
}

/// Spends the account's unused code with this hash in one guarded
/// `UPDATE ... WHERE used_at IS NULL RETURNING`: of any number of concurrent uses of one code
/// exactly one gets it back; `None` when it is unknown or spent already.
pub async fn spend<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    code_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<recovery_code::Model>, DbErr> {
    let stmt = Query::update()
        .table(recovery_code::Entity)
        .value(recovery_code::Column::UsedAt, Expr::value(now))
        .and_where(recovery_code::Column::AccountId.eq(account_id))
        .and_where(recovery_code::Column::CodeHash.eq(code_hash))
        .and_where(recovery_code::Column::UsedAt.is_null())
        .returning_all()
        .to_owned();
    match conn.query_one(&stmt).await? {
        Some(row) => Ok(Some(recovery_code::Model::from_query_result(&row, "")?)),
        None => Ok(None),
    }
}

/// Whether the account has (or had: spent ones count) a code with this hash.
pub async fn exists<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    code_hash: &str,
) -> Result<bool, DbErr> {
    Ok(recovery_code::Entity::find()
        .filter(recovery_code::Column::AccountId.eq(account_id))
        .filter(recovery_code::Column::CodeHash.eq(code_hash))
        .one(conn)
        .await?
        .is_some())
}

/// How many of the account's codes are still unused.
pub async fn count_unused<C: ConnectionTrait>(conn: &C, account_id: Uuid) -> Result<u64, DbErr> {
    recovery_code::Entity::find()
        .filter(recovery_code::Column::AccountId.eq(account_id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .count(conn)
        .await
}
