//! Browser sessions for Portico's own pages (`/login`, `/account`, the OIDC authorize page).
//!
//! Separate from `sessions` (a refresh-token family, always bound to one practice): a web
//! session starts before a practice is chosen, lives in an HttpOnly cookie, and is revoked per
//! account (and per practice) by block, revoke, password change and reset. Only the SHA-256 of
//! the cookie's value is stored.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(WebSessions::Table)
                .col(pk_uuid(WebSessions::Id))
                .col(string_uniq(WebSessions::TokenHash))
                .col(uuid(WebSessions::AccountId))
                .col(uuid_null(WebSessions::PracticeId))
                .col(timestamp_with_time_zone(WebSessions::CreatedAt))
                .col(timestamp_with_time_zone(WebSessions::LastSeenAt))
                .col(timestamp_with_time_zone(WebSessions::ExpiresAt))
                .col(timestamp_with_time_zone_null(WebSessions::RevokedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(WebSessions::Table, WebSessions::AccountId)
                        .to(Accounts::Table, Accounts::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(WebSessions::Table, WebSessions::PracticeId)
                        .to(Practices::Table, Practices::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        // Revocation looks sessions up by account (and practice).
        m.create_index(
            Index::create()
                .name("idx_web_sessions_account_practice")
                .table(WebSessions::Table)
                .col(WebSessions::AccountId)
                .col(WebSessions::PracticeId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(WebSessions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum WebSessions {
    Table,
    Id,
    TokenHash,
    AccountId,
    PracticeId,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Practices {
    Table,
    Id,
}
