//! The `oauth_launches` table: SMART EHR launch contexts, single use, stored hashed.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_launches")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// SHA-256 (hex) of the `launch` value; the value itself is never stored.
    #[sea_orm(unique)]
    pub launch_hash: String,
    pub practice_id: Uuid,
    pub patient_id: Uuid,
    /// The FHIR Encounter id in context, when the EHR gave one.
    pub encounter: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
