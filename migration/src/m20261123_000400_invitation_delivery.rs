//! Invitations learn which outbox message carried them (so staff see `delivery: pending | sent
//! | failed` for each link) and count failed redemption attempts (a wrong date of birth or
//! password), so that a leaked link cannot be used to guess the patient's date of birth.
//!
//! SQLite cannot add a foreign key to an existing table; `outbox_id` is a plain column.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        m.alter_table(
            Table::alter()
                .table(Invitations::Table)
                .add_column(uuid_null(Invitations::OutboxId))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Invitations::Table)
                .add_column(integer(Invitations::FailedAttempts).default(0))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Invitations::Table)
                .drop_column(Invitations::FailedAttempts)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Invitations::Table)
                .drop_column(Invitations::OutboxId)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Invitations {
    Table,
    OutboxId,
    FailedAttempts,
}
