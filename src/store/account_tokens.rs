//! Single-use tokens bound to an account (`account_tokens`): the forced password change of a
//! login now; email verification, password reset and the MFA step later. 256 random bits,
//! only the SHA-256 stored, consumed with one conditional UPDATE.

use crate::crypto::secrets;
use crate::store::account_token;
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use uuid::Uuid;

/// Issues a token; returns the secret, which is never stored.
pub async fn issue<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    purpose: &str,
    payload: Option<serde_json::Value>,
    ttl: TimeDelta,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let token = secrets::new_token();
    account_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(account_id),
        purpose: Set(purpose.to_owned()),
        token_hash: Set(secrets::hash_token(&token)),
        payload: Set(payload.map(|p| p.to_string())),
        created_at: Set(now),
        expires_at: Set(now + ttl),
        used_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(token)
}

/// The unused, unexpired token for this purpose, without consuming it.
pub async fn find_usable<C: ConnectionTrait>(
    conn: &C,
    raw: &str,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<Option<account_token::Model>, DbErr> {
    Ok(find_by_secret(conn, raw, purpose)
        .await?
        .filter(|t| t.used_at.is_none() && t.expires_at > now))
}

/// Marks the token used; false when it was used (or expired) in the meantime.
pub async fn consume<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(now))
        .filter(account_token::Column::Id.eq(id))
        .filter(account_token::Column::UsedAt.is_null())
        .filter(account_token::Column::ExpiresAt.gt(now))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Spends every unused token of this purpose of the account (a newer one replaces them, or
/// one of them was used). Returns how many.
pub async fn retire_all<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let res = account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(now))
        .filter(account_token::Column::AccountId.eq(account_id))
        .filter(account_token::Column::Purpose.eq(purpose))
        .filter(account_token::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

/// Whether a token with this secret and purpose exists, in any state (used, expired too).
pub async fn exists<C: ConnectionTrait>(conn: &C, raw: &str, purpose: &str) -> Result<bool, DbErr> {
    Ok(account_token::Entity::find()
        .filter(account_token::Column::TokenHash.eq(secrets::hash_token(raw)))
        .filter(account_token::Column::Purpose.eq(purpose))
        .one(conn)
        .await?
        .is_some())
}

/// The token for this purpose whose secret is `raw`, used, expired or not (the caller judges
/// its state); `None` for a malformed secret without a query.
pub async fn find_by_secret<C: ConnectionTrait>(
    conn: &C,
    raw: &str,
    purpose: &str,
) -> Result<Option<account_token::Model>, DbErr> {
    if !secrets::looks_like_token(raw) {
        return Ok(None);
    }
    let hash = secrets::hash_token(raw);
    Ok(account_token::Entity::find()
        .filter(account_token::Column::TokenHash.eq(hash.as_str()))
        .filter(account_token::Column::Purpose.eq(purpose))
        .one(conn)
        .await?
        .filter(|t| secrets::constant_time_eq(t.token_hash.as_bytes(), hash.as_bytes())))
}
