//! Held sign-ups (issue 11, item 6): a self sign-up that probably matches a patient the practice
//! already has creates no second record; it waits here, with what the person typed, for the
//! practice to link it to the existing patient or reject it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(HeldRegistrations::Table)
                .col(pk_uuid(HeldRegistrations::Id))
                .col(uuid(HeldRegistrations::PracticeId))
                .col(uuid(HeldRegistrations::PatientId))
                .col(uuid(HeldRegistrations::AccountId))
                .col(string(HeldRegistrations::FirstName))
                .col(string(HeldRegistrations::LastName))
                .col(date(HeldRegistrations::DateOfBirth))
                .col(string_null(HeldRegistrations::Email))
                .col(string_null(HeldRegistrations::Mobile))
                .col(string_null(HeldRegistrations::PostalCode))
                .col(string(HeldRegistrations::Status))
                .col(text_null(HeldRegistrations::Reason))
                .col(uuid_null(HeldRegistrations::AccessId))
                .col(timestamp_with_time_zone(HeldRegistrations::CreatedAt))
                .col(timestamp_with_time_zone_null(HeldRegistrations::DecidedAt))
                .col(string_null(HeldRegistrations::DecidedBy))
                .foreign_key(
                    ForeignKey::create()
                        .from(HeldRegistrations::Table, HeldRegistrations::PracticeId)
                        .to(Practices::Table, Practices::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(HeldRegistrations::Table, HeldRegistrations::PatientId)
                        .to(Patients::Table, Patients::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(HeldRegistrations::Table, HeldRegistrations::AccountId)
                        .to(Accounts::Table, Accounts::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_held_registrations_practice_status")
                .table(HeldRegistrations::Table)
                .col(HeldRegistrations::PracticeId)
                .col(HeldRegistrations::Status)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(HeldRegistrations::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum HeldRegistrations {
    Table,
    Id,
    PracticeId,
    PatientId,
    AccountId,
    FirstName,
    LastName,
    DateOfBirth,
    Email,
    Mobile,
    PostalCode,
    Status,
    Reason,
    AccessId,
    CreatedAt,
    DecidedAt,
    DecidedBy,
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

#[derive(DeriveIden, Clone, Copy)]
enum Accounts {
    Table,
    Id,
}
