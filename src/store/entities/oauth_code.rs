//! The `oauth_codes` table: authorization codes, single use, stored hashed.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// SHA-256 (hex) of the code; the code itself is never stored.
    #[sea_orm(unique)]
    pub code_hash: String,
    /// `oauth_clients.id` of the client the code was issued to.
    pub client_pk: Uuid,
    #[sea_orm(column_type = "Text")]
    pub redirect_uri: String,
    /// The PKCE S256 challenge (base64url of SHA-256 of the verifier).
    pub code_challenge: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub nonce: Option<String>,
    pub account_id: Uuid,
    pub practice_id: Uuid,
    /// The SMART patient in context, when one was granted.
    pub patient_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub scope: String,
    pub auth_time: DateTimeUtc,
    /// Space-separated authentication methods.
    pub amr: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    /// The session the code's exchange started.
    pub session_id: Option<Uuid>,
    /// SMART EHR launch: the encounter in context, from the launch (token response only).
    pub encounter: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
