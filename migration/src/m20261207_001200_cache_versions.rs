//! Cache versions (issue 18): one counter per cached table. A change to a cached table bumps
//! its counter in the same transaction; every instance polls the counters and drops what it
//! holds when one moves, so a change reaches every instance within the poll interval.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CacheVersions::Table)
                .col(string(CacheVersions::Name).primary_key())
                .col(big_integer(CacheVersions::Version).default(0))
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table(CacheVersions::Table)
                .columns([CacheVersions::Name, CacheVersions::Version])
                .values_panic(["oauth_clients".into(), 0.into()])
                .values_panic(["practices".into(), 0.into()])
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(CacheVersions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CacheVersions {
    Table,
    Name,
    Version,
}
