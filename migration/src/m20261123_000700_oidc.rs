//! OpenID Connect: relying-party clients (one practice each) and authorization codes.
//!
//! Client secrets and codes are stored as SHA-256 only. A code keeps the session it started
//! (`session_id`) so that a second use can end what the first one issued (RFC 6749 §4.1.2),
//! and refreshes find the SMART patient in context from it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(OauthClients::Table)
                .col(pk_uuid(OauthClients::Id))
                .col(string_uniq(OauthClients::ClientId))
                .col(uuid(OauthClients::PracticeId))
                .col(string(OauthClients::Name))
                .col(boolean(OauthClients::Public))
                .col(string_null(OauthClients::SecretHash))
                .col(text(OauthClients::RedirectUris))
                .col(text(OauthClients::PostLogoutRedirectUris))
                .col(text(OauthClients::Scopes))
                .col(string(OauthClients::IdTokenAlg))
                .col(timestamp_with_time_zone(OauthClients::CreatedAt))
                .col(timestamp_with_time_zone(OauthClients::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(OauthClients::Table, OauthClients::PracticeId)
                        .to(Practices::Table, Practices::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_oauth_clients_practice")
                .table(OauthClients::Table)
                .col(OauthClients::PracticeId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(OauthCodes::Table)
                .col(pk_uuid(OauthCodes::Id))
                .col(string_uniq(OauthCodes::CodeHash))
                .col(uuid(OauthCodes::ClientPk))
                .col(text(OauthCodes::RedirectUri))
                .col(string(OauthCodes::CodeChallenge))
                .col(text_null(OauthCodes::Nonce))
                .col(uuid(OauthCodes::AccountId))
                .col(uuid(OauthCodes::PracticeId))
                .col(uuid_null(OauthCodes::PatientId))
                .col(text(OauthCodes::Scope))
                .col(timestamp_with_time_zone(OauthCodes::AuthTime))
                .col(string(OauthCodes::Amr))
                .col(timestamp_with_time_zone(OauthCodes::CreatedAt))
                .col(timestamp_with_time_zone(OauthCodes::ExpiresAt))
                .col(timestamp_with_time_zone_null(OauthCodes::UsedAt))
                .col(uuid_null(OauthCodes::SessionId))
                .foreign_key(
                    ForeignKey::create()
                        .from(OauthCodes::Table, OauthCodes::ClientPk)
                        .to(OauthClients::Table, OauthClients::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(OauthCodes::Table, OauthCodes::AccountId)
                        .to(Accounts::Table, Accounts::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(OauthCodes::Table, OauthCodes::PracticeId)
                        .to(Practices::Table, Practices::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        // Refreshes look the code up by the session it started.
        m.create_index(
            Index::create()
                .name("idx_oauth_codes_session")
                .table(OauthCodes::Table)
                .col(OauthCodes::SessionId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(OauthCodes::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(OauthClients::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum OauthClients {
    Table,
    Id,
    ClientId,
    PracticeId,
    Name,
    Public,
    SecretHash,
    RedirectUris,
    PostLogoutRedirectUris,
    Scopes,
    IdTokenAlg,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum OauthCodes {
    Table,
    Id,
    CodeHash,
    ClientPk,
    RedirectUri,
    CodeChallenge,
    Nonce,
    AccountId,
    PracticeId,
    PatientId,
    Scope,
    AuthTime,
    Amr,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    SessionId,
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
