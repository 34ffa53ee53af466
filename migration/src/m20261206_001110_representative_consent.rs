//! Adult representatives need the patient's consent (issue 11): a practice setting for how
//! long consent lasts, when it was given and when it runs out on each access, and the consent
//! requests sent to patients (only the SHA-256 of the link's token and of the typed code).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per ALTER: SQLite adds only one at a time.
        m.alter_table(
            Table::alter()
                .table(Practices::Table)
                .add_column(
                    ColumnDef::new(Practices::AdultRepresentativeConsentMonths)
                        .integer()
                        .not_null()
                        .default(18),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(PortalAccess::Table)
                .add_column(timestamp_with_time_zone_null(PortalAccess::ConsentedAt))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(PortalAccess::Table)
                .add_column(timestamp_with_time_zone_null(
                    PortalAccess::ConsentExpiresAt,
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RepresentativeConsents::Table)
                .col(pk_uuid(RepresentativeConsents::Id))
                .col(uuid(RepresentativeConsents::PracticeId))
                .col(uuid(RepresentativeConsents::PatientId))
                .col(uuid(RepresentativeConsents::AccessId))
                .col(string_uniq(RepresentativeConsents::TokenHash))
                .col(string_uniq(RepresentativeConsents::CodeHash))
                .col(timestamp_with_time_zone(RepresentativeConsents::CreatedAt))
                .col(timestamp_with_time_zone(RepresentativeConsents::ExpiresAt))
                .col(timestamp_with_time_zone_null(
                    RepresentativeConsents::UsedAt,
                ))
                .col(timestamp_with_time_zone_null(
                    RepresentativeConsents::SupersededAt,
                ))
                .col(string_null(RepresentativeConsents::Decision))
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            RepresentativeConsents::Table,
                            RepresentativeConsents::AccessId,
                        )
                        .to(PortalAccess::Table, PortalAccess::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_representative_consents_access")
                .table(RepresentativeConsents::Table)
                .col(RepresentativeConsents::AccessId)
                .to_owned(),
        )
        .await?;
        // The lapse job looks for active accesses whose consent has run out.
        m.create_index(
            Index::create()
                .name("idx_portal_access_consent_expires")
                .table(PortalAccess::Table)
                .col(PortalAccess::ConsentExpiresAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table(RepresentativeConsents::Table)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_portal_access_consent_expires")
                .table(PortalAccess::Table)
                .to_owned(),
        )
        .await?;
        for col in [PortalAccess::ConsentExpiresAt, PortalAccess::ConsentedAt] {
            m.alter_table(
                Table::alter()
                    .table(PortalAccess::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(Practices::Table)
                .drop_column(Practices::AdultRepresentativeConsentMonths)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Practices {
    Table,
    AdultRepresentativeConsentMonths,
}

#[derive(DeriveIden, Clone, Copy)]
enum PortalAccess {
    Table,
    Id,
    ConsentedAt,
    ConsentExpiresAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RepresentativeConsents {
    Table,
    Id,
    PracticeId,
    PatientId,
    AccessId,
    TokenHash,
    CodeHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    SupersededAt,
    Decision,
}
