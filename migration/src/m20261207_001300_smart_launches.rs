//! SMART EHR launch: a launch context the practice's EHR creates for a patient (and optionally
//! an encounter), handed to an app as an opaque `launch` value, stored as SHA-256 only, valid
//! for minutes and spent by the one authorization request that uses it. The encounter rides
//! on the authorization code to the token response.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(OauthLaunches::Table)
                .col(pk_uuid(OauthLaunches::Id))
                .col(string_uniq(OauthLaunches::LaunchHash))
                .col(uuid(OauthLaunches::PracticeId))
                .col(uuid(OauthLaunches::PatientId))
                .col(string_null(OauthLaunches::Encounter))
                .col(timestamp_with_time_zone(OauthLaunches::CreatedAt))
                .col(timestamp_with_time_zone(OauthLaunches::ExpiresAt))
                .col(timestamp_with_time_zone_null(OauthLaunches::UsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(OauthLaunches::Table, OauthLaunches::PracticeId)
                        .to(Practices::Table, Practices::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(OauthLaunches::Table, OauthLaunches::PatientId)
                        .to(Patients::Table, Patients::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(OauthCodes::Table)
                .add_column(ColumnDef::new(OauthCodes::Encounter).string().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(OauthCodes::Table)
                .drop_column(OauthCodes::Encounter)
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(OauthLaunches::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum OauthLaunches {
    Table,
    Id,
    LaunchHash,
    PracticeId,
    PatientId,
    Encounter,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum OauthCodes {
    Table,
    Encounter,
}

#[derive(DeriveIden, Clone, Copy)]
enum Practices {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Patients {
    Table,
    Id,
}
