//! Invitations: issue, resend, redeem (one guarded statement), expire.

use crate::store::invitation;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

/// The newest invitation for an access, if any (used or not).
pub async fn latest_for_access<C: ConnectionTrait>(
    conn: &C,
    access_id: Uuid,
) -> Result<Option<invitation::Model>, DbErr> {
    invitation::Entity::find()
        .filter(invitation::Column::AccessId.eq(access_id))
        .order_by_desc(invitation::Column::CreatedAt)
        .one(conn)
        .await
}

/// Revokes the access's invitations that are still open (neither used nor revoked). Returns
/// how many.
pub async fn revoke_open_for_access<C: ConnectionTrait>(
    conn: &C,
    access_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(invitation::Entity::update_many()
        .col_expr(invitation::Column::RevokedAt, Expr::value(now))
        .filter(invitation::Column::AccessId.eq(access_id))
        .filter(invitation::Column::UsedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected)
}
