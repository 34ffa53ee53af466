//! Idempotency keys for the practice API's POSTs (IETF httpapi idempotency-key draft): one row
//! per credential and key, reserved before the work and holding the first response, sealed,
//! for 24 hours. The unique index on (scope, idempotency_key) decides between concurrent
//! requests with one key.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(IdempotencyKeys::Table)
                .col(pk_uuid(IdempotencyKeys::Id))
                .col(string(IdempotencyKeys::Scope))
                .col(string(IdempotencyKeys::IdempotencyKey))
                .col(string(IdempotencyKeys::Fingerprint))
                .col(integer_null(IdempotencyKeys::Status))
                .col(string_null(IdempotencyKeys::ContentType))
                .col(string_null(IdempotencyKeys::Location))
                .col(text_null(IdempotencyKeys::Body))
                .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idempotency_keys_scope_key")
                .table(IdempotencyKeys::Table)
                .col(IdempotencyKeys::Scope)
                .col(IdempotencyKeys::IdempotencyKey)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idempotency_keys_created_at")
                .table(IdempotencyKeys::Table)
                .col(IdempotencyKeys::CreatedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(IdempotencyKeys::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Id,
    Scope,
    IdempotencyKey,
    Fingerprint,
    Status,
    ContentType,
    Location,
    Body,
    CreatedAt,
}
