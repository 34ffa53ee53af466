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
    /// How a confidential client authenticates at the token endpoint: `client_secret_basic`
    /// (a secret, sent either way) or `private_key_jwt` (an assertion signed with a key of
    /// `jwks`). Public clients have `client_secret_basic` here and no secret: they use none.
    pub token_endpoint_auth_method: String,
    /// The client's public keys (a JWKS, JSON) for `private_key_jwt`.
    #[sea_orm(column_type = "Text", nullable)]
    pub jwks: Option<String>,
    /// A SMART backend service: `client_credentials` with `system/` scopes, no user.
    pub backend_service: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
