//! Failed-attempt counters for login throttling, in the database so that every Portico
//! instance on one database shares them. One row per key: `account:<sha256 of the folded
//! username>` (known and unknown usernames alike) or `ip:<client address>`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Throttles::Table)
                .col(string(Throttles::Key).primary_key())
                .col(integer(Throttles::Failures))
                .col(timestamp_with_time_zone(Throttles::WindowStartedAt))
                .col(timestamp_with_time_zone_null(Throttles::BlockedUntil))
                .col(timestamp_with_time_zone(Throttles::UpdatedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Throttles::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Throttles {
    Table,
    Key,
    Failures,
    WindowStartedAt,
    BlockedUntil,
    UpdatedAt,
}
