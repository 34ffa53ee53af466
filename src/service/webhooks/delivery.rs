//! The webhook worker: claims due deliveries (`store::webhook_deliveries`, leased like outbox
//! messages so one instance sends each at a time), signs and sends them, records each attempt.
//!
//! - Every attempt of a delivery carries the same `webhook-id` (the event id), so receivers
//!   can drop repeats: delivery is at least once.
//! - A failure is retried with exponential backoff (from `webhook_retry_base_ms`, capped at
//!   6 hours) for 3 days after the event; deliveries live in the database, so a restart loses
//!   none.
//! - The URL is resolved and checked again at every attempt, and the request goes to the
//!   address that passed the check (`outbound::destination`): a DNS answer that turns private
//!   after the subscription was made (rebinding) is refused, not called.
//! - A subscription whose deliveries have failed for 5 days is turned off and the practice's
//!   contact address is told, once.

use crate::crypto::webhook_signatures;
use crate::domain::destination::Destination;
use crate::mail::webhooks as mail;
use crate::outbound::destination;
use crate::service::webhooks::subscriptions::sealer;
use crate::state::AppState;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{
    outbox, practice_events, practices, webhook_attempt, webhook_deliveries, webhook_delivery,
    webhook_subscription, webhook_subscriptions,
};
use chrono::{DateTime, TimeDelta, Utc};
use rand::RngExt;
use sea_orm::TransactionTrait;
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

/// How long after its event a delivery is retried before it is given up on.
pub const RETRY_FOR: TimeDelta = TimeDelta::days(3);
/// How long a subscription may fail before it is turned off.
pub const DISABLE_AFTER: TimeDelta = TimeDelta::days(5);
/// The longest wait between two attempts.
const MAX_BACKOFF_MS: i64 = 6 * 3600 * 1000;
/// Deliveries claimed per pass (sent concurrently).
const BATCH: u64 = 10;

/// Delivers until `stop` fires, polling every `outbox_poll_ms`.
pub async fn run(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let poll = Duration::from_millis(state.settings.outbox_poll_ms.max(10));
    loop {
        match deliver_due(&state).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "webhooks: could not read due deliveries"),
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = stop.changed() => return,
        }
    }
}

/// One pass: claims what is due and sends it. Returns how many were claimed.
pub async fn deliver_due(state: &AppState) -> Result<usize, sea_orm::DbErr> {
    let batch = webhook_deliveries::claim_due(&state.db, state.now(), BATCH).await?;
    let n = batch.len();
    let mut running = tokio::task::JoinSet::new();
    for d in batch {
        let state = state.clone();
        running.spawn(async move {
            if let Err(e) = deliver(&state, &d).await {
                // The lease runs out and the delivery is tried again.
                tracing::warn!(delivery_id = %d.id, error = %e, "webhooks: delivery not settled");
            }
        });
    }
    while running.join_next().await.is_some() {}
    Ok(n)
}

/// The wait before the next attempt after `attempts` failed ones.
pub fn backoff(base_ms: u64, attempts: i32) -> TimeDelta {
    let base = i64::try_from(base_ms).unwrap_or(i64::MAX).max(1);
    let exp = u32::try_from(attempts.clamp(1, 30) - 1).unwrap_or(0);
    let ms = base.saturating_mul(1i64 << exp).min(MAX_BACKOFF_MS);
    let jitter = rand::rng().random_range(0..=ms / 5);
    TimeDelta::milliseconds(ms + jitter)
}

/// What one attempt came to.
struct Outcome {
    status: Option<u16>,
    error: Option<String>,
    duration_ms: i32,
}

impl Outcome {
    fn failed(error: impl Into<String>) -> Self {
        Self {
            status: None,
            error: Some(error.into()),
            duration_ms: 0,
        }
    }
    fn succeeded(&self) -> bool {
        self.error.is_none()
    }
}

/// The body every attempt of an event's delivery sends (its `data` is ids and codes only).
pub fn body(event: &crate::store::practice_event::Model) -> Vec<u8> {
    let data: serde_json::Value = serde_json::from_str(&event.data).unwrap_or(json!({}));
    json!({
        "id": event.id,
        "type": event.event_type,
        "timestamp": event.created_at,
        "data": data,
    })
    .to_string()
    .into_bytes()
}

/// The secrets that sign now: the current one, and the one before a rotation for 24 hours.
fn secrets(
    state: &AppState,
    sub: &webhook_subscription::Model,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<String>> {
    let sealer = sealer(&state.settings).map_err(|e| anyhow::anyhow!("{e}"))?;
    let record = sub.id.to_string();
    let mut out = vec![String::from_utf8(sealer.open(&sub.secret, &record)?)?];
    if let (Some(prev), Some(until)) = (&sub.previous_secret, sub.previous_secret_until)
        && until > now
    {
        out.push(String::from_utf8(sealer.open(prev, &record)?)?);
    }
    Ok(out)
}

async fn attempt(
    state: &AppState,
    sub: &webhook_subscription::Model,
    event: &crate::store::practice_event::Model,
    now: DateTime<Utc>,
) -> Outcome {
    let allow_private = state.settings.webhook_allow_private;
    let dest = match Destination::parse(&sub.url, allow_private) {
        Ok(d) => d,
        Err(r) => return Outcome::failed(format!("{}: {}", r.code(), r.message())),
    };
    // Checked again now: the host may resolve elsewhere than when the subscription was made.
    let addrs = match destination::resolve(&dest, allow_private).await {
        Ok(a) => a,
        Err(r) => return Outcome::failed(format!("{}: {}", r.code(), r.message())),
    };
    let Some(addr) = addrs.first().copied() else {
        return Outcome::failed("destination_unresolvable");
    };
    let secrets = match secrets(state, sub, now) {
        Ok(s) => s,
        Err(e) => return Outcome::failed(format!("the signing secret cannot be read: {e}")),
    };
    let body = body(event);
    let id = event.id.to_string();
    let ts = now.timestamp();
    let Some(signature) = webhook_signatures::header(&secrets, &id, ts, &body) else {
        return Outcome::failed("the signing secret is malformed");
    };
    let timeout = Duration::from_millis(state.settings.webhook_timeout_ms.max(100));
    let client = match destination::pinned_client(&dest, addr, timeout) {
        Ok(c) => c,
        Err(e) => return Outcome::failed(format!("building the client: {e}")),
    };
    let started = std::time::Instant::now();
    let sent = client
        .post(dest.url().clone())
        .header("content-type", "application/json")
        .header(
            "user-agent",
            concat!("Portico-Webhooks/", env!("CARGO_PKG_VERSION")),
        )
        .header("webhook-id", &id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    let duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    match sent {
        Ok(resp) if resp.status().is_success() => Outcome {
            status: Some(resp.status().as_u16()),
            error: None,
            duration_ms,
        },
        Ok(resp) => Outcome {
            status: Some(resp.status().as_u16()),
            error: Some(format!("the receiver answered {}", resp.status())),
            duration_ms,
        },
        // Without the URL: the message would repeat it (it is in the subscription).
        Err(e) => Outcome {
            status: None,
            error: Some(format!("no answer: {}", e.without_url())),
            duration_ms,
        },
    }
}

async fn deliver(state: &AppState, d: &webhook_delivery::Model) -> anyhow::Result<()> {
    let now = state.now();
    let sub = webhook_subscriptions::find_any(&state.db, d.subscription_id).await?;
    let event = practice_events::find(&state.db, d.event_id).await?;
    let (Some(sub), Some(event)) = (sub, event) else {
        webhook_deliveries::mark_failed(&state.db, d.id, "the subscription is gone", None).await?;
        return Ok(());
    };
    if sub.status != webhook_subscriptions::ACTIVE {
        webhook_deliveries::mark_failed(&state.db, d.id, "the subscription is off", None).await?;
        return Ok(());
    }
    let outcome = attempt(state, &sub, &event, now).await;
    let done = state.now();
    let txn = state.db.begin().await?;
    webhook_deliveries::record_attempt(
        &txn,
        &webhook_attempt::Model {
            id: Uuid::now_v7(),
            delivery_id: d.id,
            subscription_id: sub.id,
            event_id: event.id,
            attempted_at: now,
            response_status: outcome.status.map(i32::from),
            error: outcome.error.clone(),
            succeeded: outcome.succeeded(),
            duration_ms: outcome.duration_ms,
        },
    )
    .await?;
    if outcome.succeeded() {
        webhook_deliveries::mark_delivered(&txn, d.id, done).await?;
        webhook_subscriptions::note_success(&txn, sub.id).await?;
        txn.commit().await?;
        tracing::info!(delivery_id = %d.id, event_id = %event.id, "webhook delivered");
        return Ok(());
    }
    let error = outcome.error.unwrap_or_default();
    let retry_at = (done - d.created_at < RETRY_FOR)
        .then(|| done + backoff(state.settings.webhook_retry_base_ms, d.attempts));
    webhook_deliveries::mark_failed(&txn, d.id, &error, retry_at).await?;
    webhook_subscriptions::note_failure(&txn, sub.id, now).await?;
    if let Some(off) =
        webhook_subscriptions::disable_failing(&txn, sub.id, done - DISABLE_AFTER, done).await?
    {
        turned_off(&txn, &off, done).await?;
    }
    txn.commit().await?;
    tracing::warn!(
        delivery_id = %d.id, event_id = %event.id, attempts = d.attempts, error = %error,
        given_up = retry_at.is_none(), "webhook not delivered"
    );
    Ok(())
}

/// A subscription failing for 5 days was just turned off (once): its pending deliveries are
/// given up on, the audit trail says so, and the practice's contact address is told.
async fn turned_off<C: sea_orm::ConnectionTrait>(
    txn: &C,
    sub: &webhook_subscription::Model,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    webhook_deliveries::abandon_pending(txn, sub.id, "the subscription was turned off").await?;
    let since = sub.failing_since.unwrap_or(now);
    audit::record(
        txn,
        &RequestMeta::none(),
        Event::new("webhook.disabled", Actor::System)
            .practice(sub.practice_id)
            .detail(json!({"subscription_id": sub.id, "failing_since": since})),
        now,
    )
    .await?;
    if let Some(practice) = practices::find(txn, sub.practice_id).await?
        && let Some(to) = &practice.contact_email
    {
        let since = since.format("%B %-d, %Y at %H:%M UTC").to_string();
        let msg = mail::subscription_disabled(to, &practice.name, &sub.url, &since);
        outbox::enqueue(txn, Some(practice.id), msg, now).await?;
    }
    tracing::warn!(subscription_id = %sub.id, "webhook subscription turned off after 5 days of failures");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_and_is_capped() {
        let first = backoff(30_000, 1);
        assert!(first >= TimeDelta::seconds(30) && first <= TimeDelta::seconds(36));
        assert!(backoff(30_000, 3) >= TimeDelta::minutes(2));
        assert!(backoff(30_000, 40) <= TimeDelta::milliseconds(MAX_BACKOFF_MS * 6 / 5));
        assert!(backoff(50, 1) <= TimeDelta::milliseconds(60));
    }
}
