//! Webhook subscriptions: an https URL whose addresses are public, the event types wanted and
//! a signing secret shown once (at creation and at each rotation) and stored sealed. A
//! rotation keeps the old secret signing beside the new one for 24 hours, so receivers can
//! switch without losing a delivery.

use crate::config::Settings;
use crate::crypto::sealed::{Purpose, Sealer};
use crate::crypto::webhook_signatures;
use crate::domain::destination::Destination;
use crate::domain::role::Permission;
use crate::domain::webhook_event::{ALL, EventType};
use crate::error::{Error, Result};
use crate::outbound::destination;
use crate::service::practice::api_keys::Staff;
use crate::store::audit::{self, Event, RequestMeta};
use crate::store::{webhook_deliveries, webhook_subscription, webhook_subscriptions};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

/// A subscription as the service hands it out (its secret stays sealed in it).
pub use crate::store::webhook_subscription::Model as Subscription;

/// How long the secret before a rotation still signs.
pub const PREVIOUS_SECRET_VALID: TimeDelta = TimeDelta::hours(24);
/// Subscriptions a practice may have.
pub const MAX_PER_PRACTICE: usize = 20;

/// The sealer for subscription secrets.
pub fn sealer(settings: &Settings) -> Result<Sealer> {
    Sealer::new(
        settings.key_encryption_secret.as_ref().map(|s| s.expose()),
        Purpose::WebhookSecret,
    )
    .map_err(Error::internal)
}

/// The stored form of a list of event types: known, at least one, no repeats.
fn event_types(raw: &[String]) -> Result<String> {
    if raw.is_empty() {
        return Err(Error::invalid(
            "event_types",
            "name at least one event type",
        ));
    }
    let mut seen: Vec<&'static str> = Vec::new();
    for t in raw {
        let Some(parsed) = EventType::parse(t) else {
            return Err(Error::invalid(
                "event_types",
                format!("`{t}` is not an event type; known: {}", ALL.join(", ")),
            ));
        };
        if !seen.contains(&parsed.as_str()) {
            seen.push(parsed.as_str());
        }
    }
    serde_json::to_string(&seen).map_err(Error::internal)
}

/// Parses the URL and resolves its host: https, every address public (unless the operator
/// allows private destinations).
pub async fn check_url(settings: &Settings, raw: &str) -> Result<Destination> {
    let dest = Destination::parse(raw, settings.webhook_allow_private)?;
    destination::resolve(&dest, settings.webhook_allow_private).await?;
    Ok(dest)
}

/// A new subscription and its secret (shown this once).
pub async fn create(
    db: &DatabaseConnection,
    settings: &Settings,
    staff: &Staff,
    url: &str,
    types: &[String],
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<(webhook_subscription::Model, String)> {
    staff.require(Permission::ManageWebhooks)?;
    let types = event_types(types)?;
    let dest = check_url(settings, url).await?;
    let id = Uuid::now_v7();
    let secret = webhook_signatures::new_secret();
    let sealed = sealer(settings)?
        .seal(secret.as_bytes(), &id.to_string())
        .map_err(Error::internal)?;
    let txn = db.begin().await?;
    if webhook_subscriptions::for_practice(&txn, staff.practice_id)
        .await?
        .len()
        >= MAX_PER_PRACTICE
    {
        return Err(Error::Conflict(format!(
            "A practice may have at most {MAX_PER_PRACTICE} webhook subscriptions."
        )));
    }
    let row = webhook_subscriptions::insert(
        &txn,
        &webhook_subscription::Model {
            id,
            practice_id: staff.practice_id,
            url: dest.as_str().to_owned(),
            event_types: types.clone(),
            secret: sealed,
            previous_secret: None,
            previous_secret_until: None,
            status: webhook_subscriptions::ACTIVE.to_owned(),
            failing_since: None,
            disabled_at: None,
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    audit::record(
        &txn,
        meta,
        Event::new("webhook.created", staff.actor())
            .practice(staff.practice_id)
            .detail(json!({"subscription_id": id, "url": row.url, "event_types": types_of(&row)})),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok((row, secret))
}

/// The event types a stored subscription names.
pub fn types_of(row: &webhook_subscription::Model) -> Vec<String> {
    serde_json::from_str(&row.event_types).unwrap_or_default()
}

pub async fn list(
    db: &DatabaseConnection,
    staff: &Staff,
) -> Result<Vec<webhook_subscription::Model>> {
    staff.require(Permission::ManageWebhooks)?;
    Ok(webhook_subscriptions::for_practice(db, staff.practice_id).await?)
}

pub async fn get(
    db: &DatabaseConnection,
    staff: &Staff,
    id: Uuid,
) -> Result<webhook_subscription::Model> {
    staff.require(Permission::ManageWebhooks)?;
    webhook_subscriptions::find(db, staff.practice_id, id)
        .await?
        .ok_or(Error::NotFound)
}

/// What a practice may change on a subscription; `None` keeps the current value.
#[derive(Debug, Default)]
pub struct Changes {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    /// `true` turns a disabled subscription back on; `false` turns it off.
    pub enabled: Option<bool>,
}

pub async fn update(
    db: &DatabaseConnection,
    settings: &Settings,
    staff: &Staff,
    id: Uuid,
    changes: Changes,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<webhook_subscription::Model> {
    staff.require(Permission::ManageWebhooks)?;
    let types = changes
        .event_types
        .as_deref()
        .map(event_types)
        .transpose()?;
    let url = match &changes.url {
        Some(raw) => Some(check_url(settings, raw).await?.as_str().to_owned()),
        None => None,
    };
    let txn = db.begin().await?;
    let row = webhook_subscriptions::update(
        &txn,
        staff.practice_id,
        id,
        url.as_deref(),
        types.as_deref(),
        changes.enabled,
        now,
    )
    .await?
    .ok_or(Error::NotFound)?;
    if changes.enabled == Some(false) {
        webhook_deliveries::abandon_pending(&txn, id, "the subscription was turned off").await?;
    }
    audit::record(
        &txn,
        meta,
        Event::new("webhook.updated", staff.actor())
            .practice(staff.practice_id)
            .detail(json!({
                "subscription_id": id, "url": url, "event_types": changes.event_types,
                "enabled": changes.enabled,
            })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

pub async fn delete(
    db: &DatabaseConnection,
    staff: &Staff,
    id: Uuid,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    staff.require(Permission::ManageWebhooks)?;
    let txn = db.begin().await?;
    if !webhook_subscriptions::delete(&txn, staff.practice_id, id).await? {
        return Err(Error::NotFound);
    }
    audit::record(
        &txn,
        meta,
        Event::new("webhook.deleted", staff.actor())
            .practice(staff.practice_id)
            .detail(json!({"subscription_id": id})),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A new secret (shown this once); the old one keeps signing for 24 hours.
pub async fn rotate(
    db: &DatabaseConnection,
    settings: &Settings,
    staff: &Staff,
    id: Uuid,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<(webhook_subscription::Model, String)> {
    staff.require(Permission::ManageWebhooks)?;
    let current = webhook_subscriptions::find(db, staff.practice_id, id)
        .await?
        .ok_or(Error::NotFound)?;
    let secret = webhook_signatures::new_secret();
    let sealed = sealer(settings)?
        .seal(secret.as_bytes(), &id.to_string())
        .map_err(Error::internal)?;
    let until = now + PREVIOUS_SECRET_VALID;
    let txn = db.begin().await?;
    let row = webhook_subscriptions::rotate(
        &txn,
        staff.practice_id,
        id,
        &current.secret,
        &sealed,
        until,
        now,
    )
    .await?
    .ok_or_else(|| {
        Error::Conflict("The secret was rotated at the same moment; try again.".into())
    })?;
    audit::record(
        &txn,
        meta,
        Event::new("webhook.secret_rotated", staff.actor())
            .practice(staff.practice_id)
            .detail(json!({"subscription_id": id, "previous_valid_until": until})),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok((row, secret))
}
