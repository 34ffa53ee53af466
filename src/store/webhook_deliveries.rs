//! Webhook deliveries: claimed, sent and settled like outbox messages (`store::outbox`): a
//! lease on `next_attempt_at` makes one instance send a delivery at a time, and every attempt
//! is recorded for the practice to inspect.

use crate::store::{webhook_attempt, webhook_delivery};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

pub use crate::store::practice_events::PENDING;
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

/// How long a claimed delivery is reserved for the worker that claimed it (longer than the
/// request timeout).
pub const LEASE: TimeDelta = TimeDelta::minutes(2);

/// Claims up to `limit` due deliveries, counting the attempt before it is made.
pub async fn claim_due<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<webhook_delivery::Model>, DbErr> {
    let candidates = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Status.eq(PENDING))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .order_by_asc(webhook_delivery::Column::NextAttemptAt)
        .limit(limit)
        .all(conn)
        .await?;
    let mut claimed = Vec::with_capacity(candidates.len());
    for row in candidates {
        let res = webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::NextAttemptAt,
                Expr::value(now + LEASE),
            )
            .col_expr(
                webhook_delivery::Column::Attempts,
                Expr::col(webhook_delivery::Column::Attempts).add(1),
            )
            .filter(webhook_delivery::Column::Id.eq(row.id))
            .filter(webhook_delivery::Column::Status.eq(PENDING))
            .filter(webhook_delivery::Column::NextAttemptAt.eq(row.next_attempt_at))
            .exec(conn)
            .await?;
        if res.rows_affected == 1 {
            claimed.push(webhook_delivery::Model {
                attempts: row.attempts + 1,
                next_attempt_at: now + LEASE,
                ..row
            });
        }
    }
    Ok(claimed)
}

pub async fn mark_delivered<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::Status, Expr::value(DELIVERED))
        .col_expr(
            webhook_delivery::Column::DeliveredAt,
            Expr::value(Some(now)),
        )
        .col_expr(
            webhook_delivery::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .filter(webhook_delivery::Column::Id.eq(id))
        .exec(conn)
        .await
        .map(drop)
}

/// A failed attempt: tried again at `retry_at`, or given up on (`None`).
pub async fn mark_failed<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    let error: String = error.chars().take(500).collect();
    let mut update = webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::LastError,
            Expr::value(Some(error)),
        )
        .filter(webhook_delivery::Column::Id.eq(id));
    update = match retry_at {
        Some(at) => update.col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(at)),
        None => update.col_expr(webhook_delivery::Column::Status, Expr::value(FAILED)),
    };
    update.exec(conn).await.map(drop)
}

/// Gives up on a subscription's pending deliveries (it was turned off or deleted).
pub async fn abandon_pending<C: ConnectionTrait>(
    conn: &C,
    subscription_id: Uuid,
    why: &str,
) -> Result<(), DbErr> {
    webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::Status, Expr::value(FAILED))
        .col_expr(
            webhook_delivery::Column::LastError,
            Expr::value(Some(why.to_owned())),
        )
        .filter(webhook_delivery::Column::SubscriptionId.eq(subscription_id))
        .filter(webhook_delivery::Column::Status.eq(PENDING))
        .exec(conn)
        .await
        .map(drop)
}

pub async fn record_attempt<C: ConnectionTrait>(
    conn: &C,
    attempt: &webhook_attempt::Model,
) -> Result<(), DbErr> {
    webhook_attempt::ActiveModel::from(attempt.clone())
        .reset_all()
        .insert(conn)
        .await
        .map(drop)
}

/// A subscription's attempts, newest first, older than `before` (an attempt id).
pub async fn attempts<C: ConnectionTrait>(
    conn: &C,
    subscription_id: Uuid,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<webhook_attempt::Model>, DbErr> {
    let mut q = webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::SubscriptionId.eq(subscription_id));
    if let Some(b) = before {
        q = q.filter(webhook_attempt::Column::Id.lt(b));
    }
    q.order_by_desc(webhook_attempt::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}
