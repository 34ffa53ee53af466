//! Held sign-ups: hold, list, link or reject (each decision one guarded statement).

use crate::store::entities::held_registration;
use crate::store::returning;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QueryTrait, Set,
};
use uuid::Uuid;

/// Where a held sign-up stands.
pub mod status {
    pub const HELD: &str = "held";
    pub const LINKED: &str = "linked";
    pub const REJECTED: &str = "rejected";
}

/// A sign-up to hold: the existing patient it probably is, and what the person gave.
#[derive(Debug, Clone)]
pub struct NewHeld {
    pub practice_id: Uuid,
    pub patient_id: Uuid,
    pub account_id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: NaiveDate,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub postal_code: Option<String>,
}

/// Inserts a sign-up as `held`.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    new: NewHeld,
    now: DateTime<Utc>,
) -> Result<held_registration::Model, DbErr> {
    held_registration::ActiveModel {
        id: Set(Uuid::now_v7()),
        practice_id: Set(new.practice_id),
        patient_id: Set(new.patient_id),
        account_id: Set(new.account_id),
        first_name: Set(new.first_name),
        last_name: Set(new.last_name),
        date_of_birth: Set(new.date_of_birth),
        email: Set(new.email),
        mobile: Set(new.mobile),
        postal_code: Set(new.postal_code),
        status: Set(status::HELD.to_owned()),
        reason: Set(None),
        access_id: Set(None),
        created_at: Set(now),
        decided_at: Set(None),
        decided_by: Set(None),
    }
    .insert(conn)
    .await
}

/// The practice's sign-ups in one status, oldest first.
pub async fn list<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    status: &str,
) -> Result<Vec<held_registration::Model>, DbErr> {
    held_registration::Entity::find()
        .filter(held_registration::Column::PracticeId.eq(practice_id))
        .filter(held_registration::Column::Status.eq(status))
        .order_by_asc(held_registration::Column::Id)
        .all(conn)
        .await
}

/// A held sign-up by id, in any status and at any practice.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<held_registration::Model>, DbErr> {
    held_registration::Entity::find_by_id(id).one(conn).await
}

/// Decides the practice's sign-up `id` in one UPDATE guarded on `held`: status `to`, who and
/// when, and the reason (a rejection). `None` when it is not the practice's or not held.
pub async fn decide<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    id: Uuid,
    to: &str,
    decided_by: String,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<Option<held_registration::Model>, DbErr> {
    let mut stmt = held_registration::Entity::update_many()
        .col_expr(held_registration::Column::Status, Expr::value(to))
        .col_expr(held_registration::Column::DecidedAt, Expr::value(Some(now)))
        .col_expr(
            held_registration::Column::DecidedBy,
            Expr::value(Some(decided_by)),
        )
        .col_expr(held_registration::Column::Reason, Expr::value(reason))
        .filter(held_registration::Column::Id.eq(id))
        .filter(held_registration::Column::PracticeId.eq(practice_id))
        .filter(held_registration::Column::Status.eq(status::HELD))
        .into_query();
    returning::one(conn, stmt.returning_all()).await
}

/// Notes the access a linked sign-up was granted; returns the row as it now stands.
pub async fn set_access<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    access_id: Uuid,
) -> Result<Option<held_registration::Model>, DbErr> {
    let mut stmt = held_registration::Entity::update_many()
        .col_expr(
            held_registration::Column::AccessId,
            Expr::value(Some(access_id)),
        )
        .filter(held_registration::Column::Id.eq(id))
        .into_query();
    returning::one(conn, stmt.returning_all()).await
}
