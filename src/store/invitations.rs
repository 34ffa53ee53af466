//! Invitations: issue, resend, redeem (one guarded statement), expire.

use crate::domain::access::Relation;
use crate::domain::invitation::Channel;
use crate::store::invitation;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
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

/// A new invitation row; the caller has made the token and queued the message.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub practice_id: Uuid,
    pub patient_id: Uuid,
    pub access_id: Uuid,
    pub channel: Channel,
    pub relation: Relation,
    pub recipient_first_name: Option<String>,
    pub recipient_last_name: Option<String>,
    pub recipient_email: Option<String>,
    pub recipient_mobile: Option<String>,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
    pub created_by: String,
    pub outbox_id: Uuid,
}

/// Inserts an invitation, unused and with no failed attempts.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    new: NewInvitation,
    now: DateTime<Utc>,
) -> Result<invitation::Model, DbErr> {
    invitation::ActiveModel {
        id: Set(Uuid::now_v7()),
        practice_id: Set(new.practice_id),
        patient_id: Set(new.patient_id),
        access_id: Set(new.access_id),
        channel: Set(new.channel),
        relation: Set(new.relation),
        recipient_first_name: Set(new.recipient_first_name),
        recipient_last_name: Set(new.recipient_last_name),
        recipient_email: Set(new.recipient_email),
        recipient_mobile: Set(new.recipient_mobile),
        token_hash: Set(new.token_hash),
        expires_at: Set(new.expires_at),
        created_by: Set(new.created_by),
        created_at: Set(now),
        used_at: Set(None),
        used_by_account_id: Set(None),
        superseded_at: Set(None),
        revoked_at: Set(None),
        outbox_id: Set(Some(new.outbox_id)),
        failed_attempts: Set(0),
    }
    .insert(conn)
    .await
}

/// Marks every unused, live link of an access as superseded; returns how many there were.
pub async fn supersede_pending<C: ConnectionTrait>(
    conn: &C,
    access_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let res = invitation::Entity::update_many()
        .col_expr(invitation::Column::SupersededAt, Expr::value(now))
        .filter(invitation::Column::AccessId.eq(access_id))
        .filter(invitation::Column::UsedAt.is_null())
        .filter(invitation::Column::SupersededAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

/// Every invitation sent for a patient at a practice, newest first.
pub async fn for_patient<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    patient_id: Uuid,
) -> Result<Vec<invitation::Model>, DbErr> {
    invitation::Entity::find()
        .filter(invitation::Column::PatientId.eq(patient_id))
        .filter(invitation::Column::PracticeId.eq(practice_id))
        .order_by_desc(invitation::Column::Id)
        .all(conn)
        .await
}

/// The invitation whose token has this SHA-256, in any state (the caller compares the hash
/// in constant time and judges the state).
pub async fn find_by_token_hash<C: ConnectionTrait>(
    conn: &C,
    token_hash: &str,
) -> Result<Option<invitation::Model>, DbErr> {
    invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(token_hash))
        .one(conn)
        .await
}

/// An invitation by id, in any state.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<invitation::Model>, DbErr> {
    invitation::Entity::find_by_id(id).one(conn).await
}

/// Redeems a link in one guarded UPDATE: marks it used only while it is unused, not
/// superseded or revoked and within its lifetime. False when it was not (another redemption
/// won, or it lapsed meanwhile).
pub async fn consume<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = invitation::Entity::update_many()
        .col_expr(invitation::Column::UsedAt, Expr::value(now))
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::UsedAt.is_null())
        .filter(invitation::Column::SupersededAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Notes the account that redeemed a link (consumed by [`consume`] in the same transaction).
pub async fn record_redeemer<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    account_id: Uuid,
) -> Result<(), DbErr> {
    invitation::Entity::update_many()
        .col_expr(
            invitation::Column::UsedByAccountId,
            Expr::value(Some(account_id)),
        )
        .filter(invitation::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Counts a check against a live link with tries left (fewer than `max_failures`, unused,
/// not revoked or superseded) in one guarded UPDATE … RETURNING, adding `adds` failures; when
/// `revoke_at_max`, the failure that reaches `max_failures` revokes the link in the same
/// statement. Returns the new count, or `None` when the link had no tries left or had stopped.
pub async fn count_check<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    adds: i32,
    revoke_at_max: bool,
    max_failures: i32,
    now: DateTime<Utc>,
) -> Result<Option<i32>, DbErr> {
    let failed = || Expr::col((invitation::Entity, invitation::Column::FailedAttempts));
    let mut update = Query::update();
    update
        .table(invitation::Entity)
        .value(invitation::Column::FailedAttempts, failed().add(adds));
    if revoke_at_max {
        update.value(
            invitation::Column::RevokedAt,
            Expr::case(failed().add(1).gte(max_failures), Expr::value(Some(now))).finally(
                Expr::col((invitation::Entity, invitation::Column::RevokedAt)),
            ),
        );
    }
    update
        .and_where(invitation::Column::Id.eq(id))
        .and_where(failed().lt(max_failures))
        .and_where(invitation::Column::UsedAt.is_null())
        .and_where(invitation::Column::RevokedAt.is_null())
        .and_where(invitation::Column::SupersededAt.is_null())
        .returning_col(invitation::Column::FailedAttempts);
    match conn.query_one(&update).await? {
        Some(row) => Ok(Some(row.try_get_by_index(0)?)),
        None => Ok(None),
    }
}

/// Takes back one check counted by [`count_check`] (it was right).
pub async fn uncount_check<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<(), DbErr> {
    invitation::Entity::update_many()
        .col_expr(
            invitation::Column::FailedAttempts,
            Expr::col(invitation::Column::FailedAttempts).sub(1),
        )
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::FailedAttempts.gt(0))
        .exec(conn)
        .await?;
    Ok(())
}

/// Revokes one link that is neither used nor revoked yet (its tries ran out).
pub async fn revoke_unused<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    invitation::Entity::update_many()
        .col_expr(invitation::Column::RevokedAt, Expr::value(now))
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::RevokedAt.is_null())
        .filter(invitation::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
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
