//! Webhook subscriptions (`/api/v1/practice/webhooks`): admin keys only.

use crate::api::context::RequestMeta;
use crate::api::json::JsonBody;
use crate::api::security::StaffAuth;
use crate::api::tags::ApiTags;
use crate::error::Result;
use crate::service::webhooks::{events, subscriptions};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;
use uuid::Uuid;

/// A webhook subscription, without its secret.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct WebhookView {
    pub id: Uuid,
    /// Where events are POSTed.
    pub url: String,
    /// The event types sent (see `GET /api/v1/practice/events` for the list).
    pub event_types: Vec<String>,
    /// `active`, or `disabled` (turned off by an admin, or by Portico after 5 days of
    /// failed deliveries).
    pub status: String,
    /// The first failed attempt since the last delivery that arrived.
    pub failing_since: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// Until then the secret before the last rotation signs too.
    pub previous_secret_valid_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<subscriptions::Subscription> for WebhookView {
    fn from(s: subscriptions::Subscription) -> Self {
        Self {
            event_types: subscriptions::types_of(&s),
            id: s.id,
            url: s.url,
            status: s.status,
            failing_since: s.failing_since,
            disabled_at: s.disabled_at,
            previous_secret_valid_until: s.previous_secret_until,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A subscription to create.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookBody {
    /// An https URL whose host resolves only to public addresses.
    pub url: String,
    /// One or more of: invitation.sent, invitation.delivered, invitation.failed,
    /// invitation.redeemed, invitation.expired, access.activated, access.blocked,
    /// access.unblocked, access.revoked, access.expired, account.registered,
    /// demographic_change.requested, demographic_change.decided, registration.held,
    /// consent.given, consent.ended.
    pub event_types: Vec<String>,
}

/// What to change; absent fields stay as they are.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    /// `true` turns a disabled subscription back on; `false` turns it off (pending
    /// deliveries are given up; the event feed still has the events).
    pub enabled: Option<bool>,
}

/// A subscription with its signing secret, shown this once.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct WebhookWithSecret {
    #[oai(flatten)]
    pub subscription: WebhookView,
    /// `whsec_` and base64 of 32 bytes: verify `webhook-signature` with it (Standard
    /// Webhooks). Shown once; rotate to get a new one.
    pub secret: String,
}

/// One attempt to deliver an event.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct WebhookAttemptView {
    pub id: Uuid,
    pub delivery_id: Uuid,
    /// The event, and the `webhook-id` header of every attempt of this delivery.
    pub event_id: Uuid,
    pub attempted_at: DateTime<Utc>,
    /// The receiver's HTTP status, when it answered.
    pub response_status: Option<i32>,
    pub succeeded: bool,
    /// Why it failed, when it did.
    pub error: Option<String>,
    pub duration_ms: i32,
}

impl From<events::DeliveryAttempt> for WebhookAttemptView {
    fn from(a: events::DeliveryAttempt) -> Self {
        Self {
            id: a.id,
            delivery_id: a.delivery_id,
            event_id: a.event_id,
            attempted_at: a.attempted_at,
            response_status: a.response_status,
            succeeded: a.succeeded,
            error: a.error,
            duration_ms: a.duration_ms,
        }
    }
}

#[derive(ApiResponse)]
pub enum WebhookCreated {
    /// Created; store `secret` now, it is not shown again.
    #[oai(status = 201)]
    Created(Json<WebhookWithSecret>),
}

#[derive(ApiResponse)]
pub enum WebhookDeleted {
    /// Deleted, with its pending deliveries.
    #[oai(status = 204)]
    Deleted,
}

#[derive(Default)]
pub struct WebhooksApi;

#[OpenApi(prefix_path = "/api/v1/practice", tag = "ApiTags::Webhooks")]
impl WebhooksApi {
    /// Subscribe a URL to events; the signing secret is in the answer, once.
    ///
    /// The URL must be https and resolve only to public addresses (`422
    /// destination_not_https`, `destination_not_public`, `destination_unresolvable`,
    /// `destination_invalid`). Roles: admin.
    #[oai(path = "/webhooks", method = "post", operation_id = "createWebhook")]
    async fn create(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        body: JsonBody<NewWebhookBody>,
    ) -> Result<WebhookCreated> {
        let (row, secret) = subscriptions::create(
            &state.db,
            &state.settings,
            &staff.0,
            &body.0.url,
            &body.0.event_types,
            &meta,
            state.now(),
        )
        .await?;
        Ok(WebhookCreated::Created(Json(WebhookWithSecret {
            subscription: row.into(),
            secret,
        })))
    }

    /// The practice's webhook subscriptions (never their secrets).
    ///
    /// Roles: admin.
    #[oai(path = "/webhooks", method = "get", operation_id = "listWebhooks")]
    async fn list(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
    ) -> Result<Json<Vec<WebhookView>>> {
        let rows = subscriptions::list(&state.db, &staff.0).await?;
        Ok(Json(rows.into_iter().map(Into::into).collect()))
    }

    /// One webhook subscription.
    ///
    /// Roles: admin.
    #[oai(path = "/webhooks/:id", method = "get", operation_id = "getWebhook")]
    async fn get(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        id: Path<Uuid>,
    ) -> Result<Json<WebhookView>> {
        let row = subscriptions::get(&state.db, &staff.0, id.0).await?;
        Ok(Json(row.into()))
    }

    /// Change a subscription's URL or event types, or turn it off or back on.
    ///
    /// Roles: admin.
    #[oai(
        path = "/webhooks/:id",
        method = "patch",
        operation_id = "updateWebhook"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
        body: JsonBody<WebhookPatch>,
    ) -> Result<Json<WebhookView>> {
        let b = body.0;
        let changes = subscriptions::Changes {
            url: b.url,
            event_types: b.event_types,
            enabled: b.enabled,
        };
        let row = subscriptions::update(
            &state.db,
            &state.settings,
            &staff.0,
            id.0,
            changes,
            &meta,
            state.now(),
        )
        .await?;
        Ok(Json(row.into()))
    }

    /// Delete a subscription and its pending deliveries.
    ///
    /// Roles: admin.
    #[oai(
        path = "/webhooks/:id",
        method = "delete",
        operation_id = "deleteWebhook"
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
    ) -> Result<WebhookDeleted> {
        subscriptions::delete(&state.db, &staff.0, id.0, &meta, state.now()).await?;
        Ok(WebhookDeleted::Deleted)
    }

    /// A new signing secret, shown once; the old one keeps signing for 24 hours.
    ///
    /// While both are valid, `webhook-signature` carries two signatures, space-separated.
    /// Roles: admin.
    #[oai(
        path = "/webhooks/:id/rotate-secret",
        method = "post",
        operation_id = "rotateWebhookSecret"
    )]
    async fn rotate(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
    ) -> Result<Json<WebhookWithSecret>> {
        let (row, secret) = subscriptions::rotate(
            &state.db,
            &state.settings,
            &staff.0,
            id.0,
            &meta,
            state.now(),
        )
        .await?;
        Ok(Json(WebhookWithSecret {
            subscription: row.into(),
            secret,
        }))
    }

    /// A subscription's delivery attempts, newest first.
    ///
    /// Roles: admin.
    #[oai(
        path = "/webhooks/:id/attempts",
        method = "get",
        operation_id = "listWebhookAttempts"
    )]
    async fn attempts(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        id: Path<Uuid>,
        /// Attempts older than this attempt id (the last one of the previous page).
        before: Query<Option<Uuid>>,
        /// 1 to 200; 50 by default.
        limit: Query<Option<u64>>,
    ) -> Result<Json<Vec<WebhookAttemptView>>> {
        let rows = events::attempts(&state.db, &staff.0, id.0, before.0, limit.0).await?;
        Ok(Json(rows.into_iter().map(Into::into).collect()))
    }
}
