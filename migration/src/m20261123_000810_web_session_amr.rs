//! How the person behind a web session authenticated (RFC 8176 `amr` values, space-separated,
//! like `sessions.amr`): `pwd` now, `pwd otp` once the MFA step exists. The OpenID Connect
//! authorize endpoint reads it for the ID token's `amr` (with `created_at` as `auth_time`),
//! and can ask for a stronger login when a client needs one. Existing sessions were password
//! logins.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(WebSessions::Table)
                .add_column(
                    ColumnDef::new(WebSessions::Amr)
                        .string()
                        .not_null()
                        .default("pwd"),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(WebSessions::Table)
                .drop_column(WebSessions::Amr)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum WebSessions {
    Table,
    Amr,
}
