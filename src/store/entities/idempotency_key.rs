//! The `idempotency_keys` table: a practice-API POST's first response, per credential and
//! `Idempotency-Key`, for 24 hours.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// SHA-256 (hex) of the request's credential: keys are the caller's own.
    pub scope: String,
    pub idempotency_key: String,
    /// SHA-256 (hex) of the method, path, query and body.
    pub fingerprint: String,
    /// `None` while the first request is still being answered.
    pub status: Option<i32>,
    pub content_type: Option<String>,
    pub location: Option<String>,
    /// The response body, sealed (it may carry a secret shown once, such as a new API key).
    #[sea_orm(column_type = "Text", nullable)]
    pub body: Option<String>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
