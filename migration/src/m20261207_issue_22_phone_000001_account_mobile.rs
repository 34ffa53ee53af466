//! A mobile number as an account's contact (issue 22, phone-first patients): a patient who
//! registered from a text message has no email, and password resets, username reminders and
//! notices go to this number by text instead. Stored in E.164 form (`+15550100123`), so
//! equal numbers compare equal. Accounts that already redeemed a texted link get the number it
//! went to, as a new redemption would.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Accounts::Table)
                .add_column(ColumnDef::new(Accounts::Mobile).string().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_accounts_mobile")
                .table(Accounts::Table)
                .col(Accounts::Mobile)
                .to_owned(),
        )
        .await?;
        // The same SQL on SQLite and PostgreSQL: a correlated subquery, newest redemption first.
        m.get_connection()
            .execute_unprepared(
                "UPDATE accounts SET mobile = (\
                   SELECT i.recipient_mobile FROM invitations i \
                   WHERE i.used_by_account_id = accounts.id AND i.channel = 'sms' \
                     AND i.recipient_mobile IS NOT NULL \
                   ORDER BY i.used_at DESC LIMIT 1) \
                 WHERE mobile IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_accounts_mobile")
                .table(Accounts::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Accounts::Table)
                .drop_column(Accounts::Mobile)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Accounts {
    Table,
    Mobile,
}
