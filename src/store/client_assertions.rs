//! Spent `private_key_jwt` assertion ids (RFC 7523 §3: a `jti` is accepted once).

use crate::store::client_assertion_jti;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

/// Records `jti` as spent by client `client_pk` until `expires_at`, in one guarded INSERT:
/// the primary key `(client_pk, jti)` decides, so of any number of concurrent uses exactly one
/// gets `true`; a replay gets `false`.
pub async fn spend<C: ConnectionTrait>(
    conn: &C,
    client_pk: Uuid,
    jti: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use client_assertion_jti::{ActiveModel, Column, Entity, Model};
    let row = Model {
        client_pk,
        jti: jti.to_owned(),
        expires_at,
        created_at: now,
    };
    let inserted = Entity::insert(ActiveModel::from(row))
        .on_conflict(
            OnConflict::columns([Column::ClientPk, Column::Jti])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(inserted == 1)
}

/// Deletes the ids whose assertions can no longer be accepted (expired past the leeway);
/// how many went.
pub async fn purge_expired<C: ConnectionTrait>(conn: &C, now: DateTime<Utc>) -> Result<u64, DbErr> {
    use client_assertion_jti::{Column, Entity};
    Ok(Entity::delete_many()
        .filter(Column::ExpiresAt.lt(now))
        .exec(conn)
        .await?
        .rows_affected)
}
