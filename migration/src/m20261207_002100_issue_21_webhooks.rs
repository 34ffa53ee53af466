//! Webhooks (issue 21 item 1): a practice's subscriptions, the events its changes publish (the
//! pull feed reads them too), one delivery per event and subscription, and each attempt.
//!
//! A subscription's signing secret is stored sealed (`crypto::sealed`): it must be usable to
//! sign, so it cannot be a hash. Events and deliveries are written in the same transaction as
//! the change that causes them, like the outbox.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(WebhookSubscriptions::Table)
                .col(pk_uuid(WebhookSubscriptions::Id))
                .col(uuid(WebhookSubscriptions::PracticeId))
                .col(string(WebhookSubscriptions::Url))
                .col(text(WebhookSubscriptions::EventTypes))
                .col(text(WebhookSubscriptions::Secret))
                .col(text_null(WebhookSubscriptions::PreviousSecret))
                .col(timestamp_with_time_zone_null(
                    WebhookSubscriptions::PreviousSecretUntil,
                ))
                .col(string(WebhookSubscriptions::Status))
                .col(timestamp_with_time_zone_null(
                    WebhookSubscriptions::FailingSince,
                ))
                .col(timestamp_with_time_zone_null(
                    WebhookSubscriptions::DisabledAt,
                ))
                .col(timestamp_with_time_zone(WebhookSubscriptions::CreatedAt))
                .col(timestamp_with_time_zone(WebhookSubscriptions::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("webhook_subscriptions_practice")
                .table(WebhookSubscriptions::Table)
                .col(WebhookSubscriptions::PracticeId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PracticeEvents::Table)
                .col(pk_uuid(PracticeEvents::Id))
                .col(uuid(PracticeEvents::PracticeId))
                .col(string(PracticeEvents::EventType))
                .col(text(PracticeEvents::Data))
                .col(timestamp_with_time_zone(PracticeEvents::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("practice_events_practice_id")
                .table(PracticeEvents::Table)
                .col(PracticeEvents::PracticeId)
                .col(PracticeEvents::Id)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WebhookDeliveries::Table)
                .col(pk_uuid(WebhookDeliveries::Id))
                .col(uuid(WebhookDeliveries::EventId))
                .col(uuid(WebhookDeliveries::SubscriptionId))
                .col(uuid(WebhookDeliveries::PracticeId))
                .col(string(WebhookDeliveries::Status))
                .col(integer(WebhookDeliveries::Attempts).default(0))
                .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                .col(string_null(WebhookDeliveries::LastError))
                .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                .col(timestamp_with_time_zone_null(
                    WebhookDeliveries::DeliveredAt,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("webhook_deliveries_event_subscription")
                .table(WebhookDeliveries::Table)
                .col(WebhookDeliveries::EventId)
                .col(WebhookDeliveries::SubscriptionId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("webhook_deliveries_due")
                .table(WebhookDeliveries::Table)
                .col(WebhookDeliveries::Status)
                .col(WebhookDeliveries::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WebhookAttempts::Table)
                .col(pk_uuid(WebhookAttempts::Id))
                .col(uuid(WebhookAttempts::DeliveryId))
                .col(uuid(WebhookAttempts::SubscriptionId))
                .col(uuid(WebhookAttempts::EventId))
                .col(timestamp_with_time_zone(WebhookAttempts::AttemptedAt))
                .col(integer_null(WebhookAttempts::ResponseStatus))
                .col(string_null(WebhookAttempts::Error))
                .col(boolean(WebhookAttempts::Succeeded))
                .col(integer(WebhookAttempts::DurationMs))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("webhook_attempts_subscription")
                .table(WebhookAttempts::Table)
                .col(WebhookAttempts::SubscriptionId)
                .col(WebhookAttempts::Id)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            WebhookAttempts::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            PracticeEvents::Table.into_iden(),
            WebhookSubscriptions::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum WebhookSubscriptions {
    Table,
    Id,
    PracticeId,
    Url,
    EventTypes,
    Secret,
    PreviousSecret,
    PreviousSecretUntil,
    Status,
    FailingSince,
    DisabledAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PracticeEvents {
    Table,
    Id,
    PracticeId,
    EventType,
    Data,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EventId,
    SubscriptionId,
    PracticeId,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum WebhookAttempts {
    Table,
    Id,
    DeliveryId,
    SubscriptionId,
    EventId,
    AttemptedAt,
    ResponseStatus,
    Error,
    Succeeded,
    DurationMs,
}
