//! The event feed: the same events webhooks carry, for systems that prefer to pull. Oldest
//! first; `after` is the last event id the reader handled (a `webhook-id` works too).

use crate::domain::role::Permission;
use crate::error::{Error, Result};
use crate::service::practice::api_keys::Staff;
use crate::store::pagination::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::store::{practice_event, practice_events, webhook_attempt, webhook_deliveries};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

/// An event of the feed, and the body of its webhooks.
pub use crate::store::practice_event::Model as PracticeEvent;
/// One attempt to deliver an event to a subscription.
pub use crate::store::webhook_attempt::Model as DeliveryAttempt;

/// Events appear in the feed this long after they happen: a transaction that began earlier
/// but commits later (PostgreSQL, concurrent requests) lands before the feed reaches it, so
/// a reader's cursor never skips it.
pub const SETTLE: TimeDelta = TimeDelta::seconds(5);

fn limit(raw: Option<u64>) -> Result<u64> {
    let limit = raw.unwrap_or(DEFAULT_LIMIT);
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(Error::invalid(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ))
    }
}

/// Up to `limit` of the practice's events after `after`, oldest first.
pub async fn feed(
    db: &DatabaseConnection,
    staff: &Staff,
    after: Option<&str>,
    limit_raw: Option<u64>,
    now: DateTime<Utc>,
) -> Result<Vec<practice_event::Model>> {
    staff.require(Permission::ManageWebhooks)?;
    let limit = limit(limit_raw)?;
    let after = after
        .map(|raw| {
            Uuid::parse_str(raw)
                .map_err(|_| Error::invalid("after", "must be an event id from this feed"))
        })
        .transpose()?;
    Ok(practice_events::page(db, staff.practice_id, after, now - SETTLE, limit).await?)
}

/// A subscription's delivery attempts, newest first, before the attempt `before`.
pub async fn attempts(
    db: &DatabaseConnection,
    staff: &Staff,
    subscription_id: Uuid,
    before: Option<Uuid>,
    limit_raw: Option<u64>,
) -> Result<Vec<webhook_attempt::Model>> {
    let sub = super::subscriptions::get(db, staff, subscription_id).await?;
    let limit = limit(limit_raw)?;
    Ok(webhook_deliveries::attempts(db, sub.id, before, limit).await?)
}
