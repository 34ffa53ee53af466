//! Signing keys get a generation number per algorithm, unique with the algorithm. The key that
//! signs is the newest generation; two instances starting at once (or two `portico keys
//! rotate` runs) both try to insert the same generation and the unique index lets exactly one
//! win, on SQLite and PostgreSQL alike, with no lock.
//!
//! Also indexes audit events by kind within a practice, for the practice's audit listing.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(SigningKeys::Table)
                .add_column(
                    ColumnDef::new(SigningKeys::Generation)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_signing_keys_alg_generation")
                .table(SigningKeys::Table)
                .col(SigningKeys::Alg)
                .col(SigningKeys::Generation)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_audit_practice_kind")
                .table(AuditEvents::Table)
                .col(AuditEvents::PracticeId)
                .col(AuditEvents::Kind)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Alg,
    Generation,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    PracticeId,
    Kind,
}
