//! Tablet intake sessions (seed 001: the clinic logs a patient in on a tablet to fill in
//! forms). Staff start one for a patient and get a one-time code; the tablet redeems it for a
//! short-lived access token limited to that patient, which ends on a timer or when finished.
//! Only the SHA-256 of the code is stored.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(IntakeSessions::Table)
                .col(pk_uuid(IntakeSessions::Id))
                .col(uuid(IntakeSessions::PracticeId))
                .col(uuid(IntakeSessions::PatientId))
                .col(string_uniq(IntakeSessions::CodeHash))
                .col(string(IntakeSessions::CreatedBy))
                .col(timestamp_with_time_zone(IntakeSessions::CreatedAt))
                .col(timestamp_with_time_zone(IntakeSessions::CodeExpiresAt))
                .col(timestamp_with_time_zone_null(IntakeSessions::RedeemedAt))
                .col(timestamp_with_time_zone_null(IntakeSessions::ExpiresAt))
                .col(timestamp_with_time_zone_null(IntakeSessions::FinishedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(IntakeSessions::Table, IntakeSessions::PracticeId)
                        .to(Practices::Table, Practices::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(IntakeSessions::Table, IntakeSessions::PatientId)
                        .to(Patients::Table, Patients::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_intake_sessions_patient")
                .table(IntakeSessions::Table)
                .col(IntakeSessions::PatientId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(IntakeSessions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum IntakeSessions {
    Table,
    Id,
    PracticeId,
    PatientId,
    CodeHash,
    CreatedBy,
    CreatedAt,
    CodeExpiresAt,
    RedeemedAt,
    ExpiresAt,
    FinishedAt,
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
