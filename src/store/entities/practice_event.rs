//! The `practice_events` table: what happened at a practice, for webhooks and the event feed.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "practice_events")]
pub struct Model {
    /// UUIDv7: the feed's order, and the `webhook-id` of every delivery of the event.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub practice_id: Uuid,
    pub event_type: String,
    /// JSON object: ids only, never a name, address or other PHI.
    #[sea_orm(column_type = "Text")]
    pub data: String,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
