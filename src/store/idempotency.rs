//! Idempotency keys: reserve a key before the work (the unique index decides which of two
//! concurrent requests does it), keep the first response, forget keys after 24 hours.

use crate::store::idempotency_key;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

/// The stored first response.
#[derive(Debug, Clone)]
pub struct Stored {
    pub status: i32,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub body: String,
}

/// Inserts the key's row unless one exists: `Some(id)` when this request now owns the key.
pub async fn reserve<C: ConnectionTrait>(
    conn: &C,
    scope: &str,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, DbErr> {
    let id = Uuid::now_v7();
    let row = idempotency_key::ActiveModel {
        id: Set(id),
        scope: Set(scope.to_owned()),
        idempotency_key: Set(key.to_owned()),
        fingerprint: Set(fingerprint.to_owned()),
        status: Set(None),
        content_type: Set(None),
        location: Set(None),
        body: Set(None),
        created_at: Set(now),
    };
    let inserted = match idempotency_key::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                idempotency_key::Column::Scope,
                idempotency_key::Column::IdempotencyKey,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await
    {
        Ok(n) => n,
        // Some drivers report the ignored insert as an error rather than as no row.
        Err(DbErr::RecordNotInserted) => 0,
        Err(e) => return Err(e),
    };
    Ok((inserted == 1).then_some(id))
}

/// The key's row, if any.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    scope: &str,
    key: &str,
) -> Result<Option<idempotency_key::Model>, DbErr> {
    idempotency_key::Entity::find()
        .filter(idempotency_key::Column::Scope.eq(scope))
        .filter(idempotency_key::Column::IdempotencyKey.eq(key))
        .one(conn)
        .await
}

/// Keeps the first response on the reserved row.
pub async fn complete<C: ConnectionTrait>(conn: &C, id: Uuid, stored: Stored) -> Result<(), DbErr> {
    idempotency_key::Entity::update_many()
        .col_expr(idempotency_key::Column::Status, Expr::value(stored.status))
        .col_expr(
            idempotency_key::Column::ContentType,
            Expr::value(stored.content_type),
        )
        .col_expr(
            idempotency_key::Column::Location,
            Expr::value(stored.location),
        )
        .col_expr(idempotency_key::Column::Body, Expr::value(stored.body))
        .filter(idempotency_key::Column::Id.eq(id))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Gives a reserved key back (the request failed: a retry may do the work).
pub async fn release<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<(), DbErr> {
    idempotency_key::Entity::delete_by_id(id)
        .exec(conn)
        .await
        .map(|_| ())
}

/// Forgets every key reserved before `before` (24 hours ago).
pub async fn forget_before<C: ConnectionTrait>(
    conn: &C,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(before))
        .exec(conn)
        .await
        .map(|r| r.rows_affected)
}
