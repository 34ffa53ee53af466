//! The `client_assertion_jtis` table: the `jti` of every `private_key_jwt` assertion accepted,
//! kept until the assertion could no longer be accepted anyway, so that none is used twice.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "client_assertion_jtis")]
pub struct Model {
    /// The client (`oauth_clients.id`): a `jti` is unique per issuer (RFC 7523 §3).
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_pk: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub jti: String,
    /// The assertion's `exp` plus the clock leeway: after it the row may go.
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
