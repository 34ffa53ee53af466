//! The `oauth_clients` table: OpenID Connect relying parties, one practice each.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The public identifier relying parties send.
    #[sea_orm(unique)]
    pub client_id: String,
    pub practice_id: Uuid,
    pub name: String,
    pub public: bool,
    /// SHA-256 (hex) of the secret of a confidential client; `None` for public clients.
    pub secret_hash: Option<String>,
    /// JSON array of exact redirect URIs.
    #[sea_orm(column_type = "Text")]
    pub redirect_uris: String,
    /// JSON array of exact post-logout redirect URIs.
    #[sea_orm(column_type = "Text")]
    pub post_logout_redirect_uris: String,
    /// JSON array of the scopes the client may ask for.
    #[sea_orm(column_type = "Text")]
    pub scopes: String,
    /// `RS256` or `EdDSA`.
    pub id_token_alg: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
