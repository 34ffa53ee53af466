//! The `patients` table.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "patients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub practice_id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub first_name_folded: String,
    pub last_name_folded: String,
    pub date_of_birth: Date,
    pub email: Option<String>,
    pub email_folded: Option<String>,
    pub mobile: Option<String>,
    pub postal_code: Option<String>,
    pub address_line: Option<String>,
    pub external_ref: Option<String>,
    pub self_registered: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
