//! Tablet intake sessions and their codes.
//!
//! Redeeming a code and finishing a session are each one guarded UPDATE, so of concurrent
//! requests exactly one changes the session.

use crate::store::intake_session;
use crate::store::returning;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryTrait,
    Set,
};
use uuid::Uuid;

/// Inserts a session for a patient whose code (its SHA-256 `code_hash`) works until
/// `code_expires_at`.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    patient_id: Uuid,
    code_hash: String,
    created_by: String,
    code_expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<intake_session::Model, DbErr> {
    intake_session::ActiveModel {
        id: Set(Uuid::now_v7()),
        practice_id: Set(practice_id),
        patient_id: Set(patient_id),
        code_hash: Set(code_hash),
        created_by: Set(created_by),
        created_at: Set(now),
        code_expires_at: Set(code_expires_at),
        redeemed_at: Set(None),
        expires_at: Set(None),
        finished_at: Set(None),
    }
    .insert(conn)
    .await
}

/// The session whose code has this SHA-256, in any state (the caller compares the hash in
/// constant time).
pub async fn find_by_code_hash<C: ConnectionTrait>(
    conn: &C,
    code_hash: &str,
) -> Result<Option<intake_session::Model>, DbErr> {
    intake_session::Entity::find()
        .filter(intake_session::Column::CodeHash.eq(code_hash))
        .one(conn)
        .await
}

/// A session by id, in any state and at any practice.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<intake_session::Model>, DbErr> {
    intake_session::Entity::find_by_id(id).one(conn).await
}

/// Redeems the session's code in one guarded UPDATE: only while the code is unredeemed,
/// the session unfinished and the code within its time. The session, now lasting until
/// `expires_at`; `None` when the code no longer works (another redemption won, say).
pub async fn redeem<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<intake_session::Model>, DbErr> {
    let mut stmt = intake_session::Entity::update_many()
        .col_expr(intake_session::Column::RedeemedAt, Expr::value(now))
        .col_expr(intake_session::Column::ExpiresAt, Expr::value(expires_at))
        .filter(intake_session::Column::Id.eq(id))
        .filter(intake_session::Column::RedeemedAt.is_null())
        .filter(intake_session::Column::FinishedAt.is_null())
        .filter(intake_session::Column::CodeExpiresAt.gt(now))
        .into_query();
    returning::one(conn, stmt.returning_all()).await
}

/// Finishes the session if it is not finished yet; false when it already was.
pub async fn finish<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(intake_session::Entity::update_many()
        .col_expr(intake_session::Column::FinishedAt, Expr::value(now))
        .filter(intake_session::Column::Id.eq(id))
        .filter(intake_session::Column::FinishedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected
        == 1)
}
