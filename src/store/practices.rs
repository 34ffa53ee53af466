//! Practices and their settings.

use crate::store::practice;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
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
