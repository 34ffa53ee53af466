//! The `webhook_attempts` table: each try at a delivery, for the practice to inspect.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub delivery_id: Uuid,
    pub subscription_id: Uuid,
    pub event_id: Uuid,
    pub attempted_at: DateTimeUtc,
    /// The receiver's HTTP status, when it answered.
    pub response_status: Option<i32>,
    /// Why it failed, when it did (no response body is kept).
    pub error: Option<String>,
    pub succeeded: bool,
    pub duration_ms: i32,
}

impl ActiveModelBehavior for ActiveModel {}
