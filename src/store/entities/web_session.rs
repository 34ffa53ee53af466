//! The `web_sessions` table: browser sessions of Portico's own pages.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "web_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// SHA-256 (hex) of the cookie's value; the value itself is never stored.
    #[sea_orm(unique)]
    pub token_hash: String,
    pub account_id: Uuid,
    /// The practice the person chose; `None` until they choose one.
    pub practice_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    /// The absolute end of the session, whatever the activity.
    pub expires_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    /// How the person authenticated (RFC 8176 values, space-separated): `pwd`, later
    /// `pwd otp`. `created_at` is when (the ID token's `auth_time`).
    pub amr: String,
}

impl ActiveModelBehavior for ActiveModel {}
