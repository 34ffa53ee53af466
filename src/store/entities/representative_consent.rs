//! The `representative_consents` table: a request to a patient to approve or decline an adult
//! representative's access. Only hashes of the link's token and of the typed code are stored.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "representative_consents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub practice_id: Uuid,
    pub patient_id: Uuid,
    pub access_id: Uuid,
    #[sea_orm(unique)]
    pub token_hash: String,
    #[sea_orm(unique)]
    pub code_hash: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    /// A newer request for the same access replaced this one.
    pub superseded_at: Option<DateTimeUtc>,
    /// `approved` or `declined`, once used.
    pub decision: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
