//! The `teen_consent_codes` table: one-time codes that let a teenager consent to a parent's
//! limited access. Only the SHA-256 of a code is stored; `used_by_access_id` is the consent.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "teen_consent_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub practice_id: Uuid,
    pub patient_id: Uuid,
    #[sea_orm(unique)]
    pub code_hash: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub used_by_access_id: Option<Uuid>,
}

impl ActiveModelBehavior for ActiveModel {}
