//! The `invitations` table.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invitations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub practice_id: Uuid,
    pub patient_id: Uuid,
    pub access_id: Uuid,
    pub channel: crate::domain::invitation::Channel,
    pub relation: crate::domain::access::Relation,
    pub recipient_first_name: Option<String>,
    pub recipient_last_name: Option<String>,
    pub recipient_email: Option<String>,
    pub recipient_mobile: Option<String>,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub expires_at: DateTimeUtc,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub used_by_account_id: Option<Uuid>,
    pub superseded_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    /// The outbox message that carries the link (migration 000400).
    pub outbox_id: Option<Uuid>,
    /// Wrong dates of birth or passwords given with this link (migration 000400).
    pub failed_attempts: i32,
}

impl ActiveModelBehavior for ActiveModel {}
