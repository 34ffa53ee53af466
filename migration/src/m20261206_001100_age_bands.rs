//! Representative policy as data (issue 11): each practice's age bands and the records they
//! need.
//!
//! - `practices`: `limited_access_from_age` (12), `limited_scopes` (a JSON array; default
//!   appointments, billing and messages: no clinical record), `teen_consent_required` (false),
//!   `min_self_service_age` (13, the youngest patient with an account of their own).
//! - `representation_overrides`: at most one per patient, set by the practice: `guardianship`
//!   (full representative access continues past the bands) or `emancipation` (it ends now),
//!   with who set it and when.
//! - `teen_consent_codes`: one-time codes a teenager's practice hands out so that the teen can
//!   let a parent in while the practice requires their consent. Only the SHA-256 is stored;
//!   the access that redeemed a code is its record of consent.
//! - `representation_notices`: which band-change notices were sent for an access, once each
//!   (the primary key makes a second send of the same notice impossible).
//!
//! SQLite alters one column per statement, so each column is its own `ALTER TABLE`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            ColumnDef::new(Practices::LimitedAccessFromAge)
                .integer()
                .not_null()
                .default(12)
                .to_owned(),
            ColumnDef::new(Practices::LimitedScopes)
                .string()
                .not_null()
                .default(r#"["appointments","billing","messages"]"#)
                .to_owned(),
            ColumnDef::new(Practices::TeenConsentRequired)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
            ColumnDef::new(Practices::MinSelfServiceAge)
                .integer()
                .not_null()
                .default(13)
                .to_owned(),
        ];
        for mut column in columns {
            m.alter_table(
                Table::alter()
                    .table(Practices::Table)
                    .add_column(&mut column)
                    .to_owned(),
            )
            .await?;
        }

        m.create_table(
            Table::create()
                .table(RepresentationOverrides::Table)
                .col(pk_uuid(RepresentationOverrides::PatientId))
                .col(uuid(RepresentationOverrides::PracticeId))
                .col(string(RepresentationOverrides::Kind))
                .col(text_null(RepresentationOverrides::Note))
                .col(string(RepresentationOverrides::SetBy))
                .col(timestamp_with_time_zone(RepresentationOverrides::SetAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            RepresentationOverrides::Table,
                            RepresentationOverrides::PatientId,
                        )
                        .to(Patients::Table, Patients::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            RepresentationOverrides::Table,
                            RepresentationOverrides::PracticeId,
                        )
                        .to(Practices::Table, Practices::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(TeenConsentCodes::Table)
                .col(pk_uuid(TeenConsentCodes::Id))
                .col(uuid(TeenConsentCodes::PracticeId))
                .col(uuid(TeenConsentCodes::PatientId))
                .col(string_uniq(TeenConsentCodes::CodeHash))
                .col(string(TeenConsentCodes::CreatedBy))
                .col(timestamp_with_time_zone(TeenConsentCodes::CreatedAt))
                .col(timestamp_with_time_zone(TeenConsentCodes::ExpiresAt))
                .col(timestamp_with_time_zone_null(TeenConsentCodes::UsedAt))
                .col(uuid_null(TeenConsentCodes::UsedByAccessId))
                .foreign_key(
                    ForeignKey::create()
                        .from(TeenConsentCodes::Table, TeenConsentCodes::PatientId)
                        .to(Patients::Table, Patients::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(TeenConsentCodes::Table, TeenConsentCodes::PracticeId)
                        .to(Practices::Table, Practices::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_teen_consent_codes_access")
                .table(TeenConsentCodes::Table)
                .col(TeenConsentCodes::UsedByAccessId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RepresentationNotices::Table)
                .col(uuid(RepresentationNotices::AccessId))
                .col(string(RepresentationNotices::Kind))
                .col(timestamp_with_time_zone(RepresentationNotices::SentAt))
                .primary_key(
                    Index::create()
                        .col(RepresentationNotices::AccessId)
                        .col(RepresentationNotices::Kind),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            RepresentationNotices::Table,
                            RepresentationNotices::AccessId,
                        )
                        .to(PortalAccess::Table, PortalAccess::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RepresentationNotices::Table.into_iden(),
            TeenConsentCodes::Table.into_iden(),
            RepresentationOverrides::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        for column in [
            Practices::LimitedAccessFromAge,
            Practices::LimitedScopes,
            Practices::TeenConsentRequired,
            Practices::MinSelfServiceAge,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Practices::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Practices {
    Table,
    Id,
    LimitedAccessFromAge,
    LimitedScopes,
    TeenConsentRequired,
    MinSelfServiceAge,
}

#[derive(DeriveIden, Clone, Copy)]
enum Patients {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum PortalAccess {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum RepresentationOverrides {
    Table,
    PatientId,
    PracticeId,
    Kind,
    Note,
    SetBy,
    SetAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum TeenConsentCodes {
    Table,
    Id,
    PracticeId,
    PatientId,
    CodeHash,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    UsedByAccessId,
}

#[derive(DeriveIden, Clone, Copy)]
enum RepresentationNotices {
    Table,
    AccessId,
    Kind,
    SentAt,
}
