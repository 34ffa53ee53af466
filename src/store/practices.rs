//! Practices and their settings.

use crate::store::practice;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use uuid::Uuid;

/// The practice with this id, if any.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<practice::Model>, DbErr> {
    practice::Entity::find_by_id(id).one(conn).await
}
