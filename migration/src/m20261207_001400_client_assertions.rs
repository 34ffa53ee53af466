//! Asymmetric client authentication (`private_key_jwt`, RFC 7523) and SMART Backend Services:
//! a client may register an inline JWKS and be a backend service (`client_credentials`), and
//! every assertion's `jti` is spent once in `client_assertion_jtis`, whose primary key decides
//! between concurrent uses. Each column is its own ALTER: SQLite adds one column a statement.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            ColumnDef::new(OauthClients::TokenEndpointAuthMethod)
                .string()
                .not_null()
                .default("client_secret_basic")
                .to_owned(),
            ColumnDef::new(OauthClients::Jwks).text().null().to_owned(),
            ColumnDef::new(OauthClients::BackendService)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
        ];
        for mut column in columns {
            m.alter_table(
                Table::alter()
                    .table(OauthClients::Table)
                    .add_column(&mut column)
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table(ClientAssertionJtis::Table)
                .col(uuid(ClientAssertionJtis::ClientPk))
                .col(string_len(ClientAssertionJtis::Jti, 255))
                .col(timestamp_with_time_zone(ClientAssertionJtis::ExpiresAt))
                .col(timestamp_with_time_zone(ClientAssertionJtis::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(ClientAssertionJtis::ClientPk)
                        .col(ClientAssertionJtis::Jti),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ClientAssertionJtis::Table, ClientAssertionJtis::ClientPk)
                        .to(OauthClients::Table, OauthClients::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // The purge deletes by expiry.
        m.create_index(
            Index::create()
                .name("idx_client_assertion_jtis_expires_at")
                .table(ClientAssertionJtis::Table)
                .col(ClientAssertionJtis::ExpiresAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ClientAssertionJtis::Table).to_owned())
            .await?;
        for column in [
            OauthClients::BackendService,
            OauthClients::Jwks,
            OauthClients::TokenEndpointAuthMethod,
        ] {
            m.alter_table(
                Table::alter()
                    .table(OauthClients::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum OauthClients {
    Table,
    Id,
    TokenEndpointAuthMethod,
    Jwks,
    BackendService,
}

#[derive(DeriveIden, Clone, Copy)]
enum ClientAssertionJtis {
    Table,
    ClientPk,
    Jti,
    ExpiresAt,
    CreatedAt,
}
