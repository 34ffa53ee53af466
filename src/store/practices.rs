//! Practices and their settings.

use crate::store::practice;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Iterable, ModelTrait,
    QueryFilter,
};
use std::collections::HashMap;
use uuid::Uuid;

/// The practice with this id, if any.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<practice::Model>, DbErr> {
    practice::Entity::find_by_id(id).one(conn).await
}

/// The practices with these ids that exist, by id.
pub async fn find_many<C: ConnectionTrait>(
    conn: &C,
    practice_ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, practice::Model>, DbErr> {
    Ok(practice::Entity::find()
        .filter(practice::Column::Id.is_in(practice_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect())
}

/// The practice with this slug (slugs are stored lower-case), if any.
pub async fn find_by_slug<C: ConnectionTrait>(
    conn: &C,
    slug: &str,
) -> Result<Option<practice::Model>, DbErr> {
    practice::Entity::find()
        .filter(practice::Column::Slug.eq(slug))
        .one(conn)
        .await
}

/// Inserts a practice (a taken slug is a unique violation: the caller says so).
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    new: &practice::Model,
) -> Result<practice::Model, DbErr> {
    practice::Entity::insert(practice::ActiveModel::from(new.clone()).reset_all())
        .exec_with_returning(conn)
        .await
}

/// Writes the columns in which `after` differs from `before` (the row as read in the same
/// transaction), so two changes to different settings never undo each other.
pub async fn update_changed<C: ConnectionTrait>(
    conn: &C,
    before: practice::Model,
    after: &practice::Model,
) -> Result<practice::Model, DbErr> {
    let mut am: practice::ActiveModel = before.clone().into();
    for c in practice::Column::iter() {
        let value = after.get(c);
        if before.get(c) != value {
            am.set(c, value);
        }
    }
    am.update(conn).await
}
