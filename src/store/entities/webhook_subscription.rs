//! The `webhook_subscriptions` table: where a practice wants its events sent.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub practice_id: Uuid,
    pub url: String,
    /// JSON array of event types (`access.blocked`, …).
    #[sea_orm(column_type = "Text")]
    pub event_types: String,
    /// The signing secret, sealed (`crypto::sealed`, purpose `WebhookSecret`).
    #[sea_orm(column_type = "Text")]
    pub secret: String,
    /// The secret before the last rotation, sealed; signs too until `previous_secret_until`.
    #[sea_orm(column_type = "Text", nullable)]
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTimeUtc>,
    /// `active` or `disabled`.
    pub status: String,
    /// The first failed attempt since the last success.
    pub failing_since: Option<DateTimeUtc>,
    pub disabled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
