//! The `signing_keys` table.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kid: String,
    pub alg: String,
    #[sea_orm(column_type = "Text")]
    pub private_key: String,
    #[sea_orm(column_type = "Text")]
    pub public_jwk: String,
    pub created_at: DateTimeUtc,
    pub retires_at: Option<DateTimeUtc>,
    /// Per algorithm, 1 for the first key; the newest generation signs.
    pub generation: i64,
}

impl ActiveModelBehavior for ActiveModel {}
