//! Inserting a portal access row: invitations, sign-ups and staff-created accounts all create
//! one, with a different starting status.

use crate::domain::access::{AccessStatus, Relation};
use crate::store::portal_access;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use uuid::Uuid;

/// A new access to one patient's record.
#[derive(Debug, Clone, Copy)]
pub struct NewAccess {
    pub practice_id: Uuid,
    pub patient_id: Uuid,
    pub account_id: Option<Uuid>,
    pub relation: Relation,
    pub status: AccessStatus,
}

/// Inserts the access. `invited_at` is set for `invited`, `registered_at` otherwise.
pub async fn insert_access<C: ConnectionTrait>(
    conn: &C,
    new: NewAccess,
    now: DateTime<Utc>,
) -> Result<portal_access::Model, DbErr> {
    let invited = new.status == AccessStatus::Invited;
    portal_access::ActiveModel {
        id: Set(Uuid::now_v7()),
        practice_id: Set(new.practice_id),
        patient_id: Set(new.patient_id),
        account_id: Set(new.account_id),
        relation: Set(new.relation),
        status: Set(new.status),
        invited_at: Set(invited.then_some(now)),
        registered_at: Set((!invited).then_some(now)),
        last_login_at: Set(None),
        blocked_at: Set(None),
        block_reason: Set(None),
        unblocked_at: Set(None),
        revoked_at: Set(None),
        revoke_reason: Set(None),
        expired_at: Set(None),
        consented_at: Set(None),
        consent_expires_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await
}

/// Puts a not-yet-active or ended access back to `invited` for a new link, in one UPDATE
/// guarded on the status the caller read: `None` when the row moved on meanwhile (a block or
/// revoke that landed in between is never overwritten).
pub async fn reopen_for_invitation<C: ConnectionTrait>(
    conn: &C,
    access_id: Uuid,
    expected: AccessStatus,
    now: DateTime<Utc>,
) -> Result<Option<portal_access::Model>, DbErr> {
    let res = portal_access::Entity::update_many()
        .col_expr(
            portal_access::Column::Status,
            Expr::value(AccessStatus::Invited),
        )
        .col_expr(portal_access::Column::InvitedAt, Expr::value(now))
        .col_expr(portal_access::Column::UpdatedAt, Expr::value(now))
        .filter(portal_access::Column::Id.eq(access_id))
        .filter(portal_access::Column::Status.eq(expected))
        .exec(conn)
        .await?;
    if res.rows_affected != 1 {
        return Ok(None);
    }
    portal_access::Entity::find_by_id(access_id).one(conn).await
}
