//! The `representation_notices` table: band-change notices already sent for an access, so
//! that each is sent once however often the job runs.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "representation_notices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub access_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    pub sent_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
