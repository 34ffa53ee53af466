//! The `intake_sessions` table.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "intake_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub practice_id: Uuid,
    pub patient_id: Uuid,
    #[sea_orm(unique)]
    pub code_hash: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub code_expires_at: DateTimeUtc,
    pub redeemed_at: Option<DateTimeUtc>,
    pub expires_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
