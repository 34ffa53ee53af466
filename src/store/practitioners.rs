//! Practitioners of a practice.

use crate::store::practitioner;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use uuid::Uuid;

/// A change to a practitioner; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct PractitionerChange {
    pub name: Option<String>,
    pub external_ref: Option<Option<String>>,
    /// An inactive practitioner stays on records but is not offered to patients.
    pub active: Option<bool>,
}

/// Inserts an active practitioner (name and reference already checked).
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    name: String,
    external_ref: Option<String>,
    now: DateTime<Utc>,
) -> Result<practitioner::Model, DbErr> {
    practitioner::ActiveModel {
        id: Set(Uuid::now_v7()),
        practice_id: Set(practice_id),
        name: Set(name),
        external_ref: Set(external_ref),
        active: Set(true),
        created_at: Set(now),
    }
    .insert(conn)
    .await
}

/// The practice's practitioners, in the order they were added.
pub async fn for_practice<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
) -> Result<Vec<practitioner::Model>, DbErr> {
    practitioner::Entity::find()
        .filter(practitioner::Column::PracticeId.eq(practice_id))
        .order_by_asc(practitioner::Column::Id)
        .all(conn)
        .await
}

/// A practitioner by id, at any practice (the caller checks the practice).
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<practitioner::Model>, DbErr> {
    practitioner::Entity::find_by_id(id).one(conn).await
}

/// Those of `ids` that are the practice's practitioners, by id.
pub async fn find_many_at<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<practitioner::Model>, DbErr> {
    practitioner::Entity::find()
        .filter(practitioner::Column::PracticeId.eq(practice_id))
        .filter(practitioner::Column::Id.is_in(ids))
        .order_by_asc(practitioner::Column::Id)
        .all(conn)
        .await
}

/// The practitioners with these ids, at any practice; only active ones when `active_only`.
pub async fn find_many<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = Uuid>,
    active_only: bool,
) -> Result<Vec<practitioner::Model>, DbErr> {
    let mut q = practitioner::Entity::find().filter(practitioner::Column::Id.is_in(ids));
    if active_only {
        q = q.filter(practitioner::Column::Active.eq(true));
    }
    q.all(conn).await
}

/// Writes a change onto the practitioner `current` (as read by the caller).
pub async fn update<C: ConnectionTrait>(
    conn: &C,
    current: practitioner::Model,
    change: PractitionerChange,
) -> Result<practitioner::Model, DbErr> {
    let mut am: practitioner::ActiveModel = current.into();
    if let Some(n) = change.name {
        am.name = Set(n);
    }
    if let Some(r) = change.external_ref {
        am.external_ref = Set(r);
    }
    if let Some(a) = change.active {
        am.active = Set(a);
    }
    am.update(conn).await
}

/// Deletes a practitioner (take them off records first: `patients::unlink_practitioner`).
pub async fn delete<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<(), DbErr> {
    practitioner::Entity::delete_by_id(id).exec(conn).await?;
    Ok(())
}
