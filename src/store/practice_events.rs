//! Events a practice's systems can follow: published in the transaction of the change that
//! causes them (through `audit::record`), with one webhook delivery per matching active
//! subscription queued beside them, like an outbox message.

use crate::domain::webhook_event::EventType;
use crate::store::{practice_event, webhook_delivery, webhook_subscriptions};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

/// Whether a subscription's stored event types (a JSON array) include `event`.
pub fn wants(event_types: &str, event: &str) -> bool {
    serde_json::from_str::<Vec<String>>(event_types)
        .is_ok_and(|types| types.iter().any(|t| t == event))
}

/// Records the event and queues its deliveries. Call with the change's transaction.
pub async fn publish<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    event: EventType,
    data: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    practice_event::ActiveModel {
        id: Set(id),
        practice_id: Set(practice_id),
        event_type: Set(event.as_str().to_owned()),
        data: Set(data.to_string()),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    for sub in webhook_subscriptions::active_for_practice(conn, practice_id).await? {
        if !wants(&sub.event_types, event.as_str()) {
            continue;
        }
        webhook_delivery::ActiveModel {
            id: Set(Uuid::now_v7()),
            event_id: Set(id),
            subscription_id: Set(sub.id),
            practice_id: Set(practice_id),
            status: Set(PENDING.to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            last_error: Set(None),
            created_at: Set(now),
            delivered_at: Set(None),
        }
        .insert(conn)
        .await?;
    }
    Ok(id)
}

pub const PENDING: &str = "pending";

/// The practice's events after `after` (an event id), oldest first, up to `limit`, only those
/// recorded no later than `settled`: a transaction that started earlier but commits later
/// cannot then slip in behind a cursor a reader already holds.
pub async fn page<C: ConnectionTrait>(
    conn: &C,
    practice_id: Uuid,
    after: Option<Uuid>,
    settled: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<practice_event::Model>, DbErr> {
    let mut q = practice_event::Entity::find()
        .filter(practice_event::Column::PracticeId.eq(practice_id))
        .filter(practice_event::Column::CreatedAt.lte(settled));
    if let Some(a) = after {
        q = q.filter(practice_event::Column::Id.gt(a));
    }
    q.order_by_asc(practice_event::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

pub async fn find<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> Result<Option<practice_event::Model>, DbErr> {
    practice_event::Entity::find_by_id(id).one(conn).await
}
