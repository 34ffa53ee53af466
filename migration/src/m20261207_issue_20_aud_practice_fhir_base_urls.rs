//! SMART `aud` per practice (issue 20, item 3): the FHIR base URLs a practice's apps call.
//!
//! - `practices.fhir_base_urls`: a JSON array of absolute URLs, stored normalised (no trailing
//!   `/`); `[]` (the default) means the practice has set none, and the server-wide rule applies.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Practices::Table)
                .add_column(
                    ColumnDef::new(Practices::FhirBaseUrls)
                        .text()
                        .not_null()
                        .default("[]"),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Practices::Table)
                .drop_column(Practices::FhirBaseUrls)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Practices {
    Table,
    FhirBaseUrls,
}
