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

/// The patient's invitations at the practice that are still pending (not used, superseded
/// or revoked).
pub async fn pending_for_patient<C: ConnectionTrait>(
    conn: &C,
    patient_id: Uuid,
    practice_id: Uuid,
) -> Result<Vec<invitation::Model>, DbErr> {
    invitation::Entity::find()
        .filter(invitation::Column::PatientId.eq(patient_id))
        .filter(invitation::Column::PracticeId.eq(practice_id))
        .filter(invitation::Column::UsedAt.is_null())
        .filter(invitation::Column::SupersededAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .all(conn)
        .await
}

/// Revokes these invitations, those still pending only, in one guarded statement; returns
/// how many it revoked.
pub async fn revoke_pending<C: ConnectionTrait>(
    conn: &C,
    ids: Vec<Uuid>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(invitation::Entity::update_many()
        .col_expr(invitation::Column::RevokedAt, Expr::value(now))
        .filter(invitation::Column::Id.is_in(ids))
        .filter(invitation::Column::UsedAt.is_null())
        .filter(invitation::Column::SupersededAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected)
}
