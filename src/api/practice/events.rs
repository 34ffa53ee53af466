//! The event feed (`GET /api/v1/practice/events`): webhooks' events, for systems that pull.

use crate::api::security::StaffAuth;
use crate::api::tags::ApiTags;
use crate::error::Result;
use crate::service::webhooks::events;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

/// Something that happened at the practice: the body of a webhook, and an item of the feed.
#[derive(Debug, Object)]
pub struct PracticeEventView {
    /// Also the `webhook-id` of its deliveries, and the feed's cursor.
    pub id: Uuid,
    /// `access.blocked`, `account.registered`, … (the list is in the README).
    #[oai(rename = "type")]
    pub event_type: String,
    pub timestamp: DateTime<Utc>,
    /// Ids (`practice_id`, `patient_id`, `access_id`, `account_id`, `invitation_id`, …) and
    /// codes (`decision`, `relation`, `channel`, `status`); never a name or other detail of
    /// the patient: read those through the API.
    pub data: serde_json::Value,
}

impl From<events::PracticeEvent> for PracticeEventView {
    fn from(e: events::PracticeEvent) -> Self {
        Self {
            data: serde_json::from_str(&e.data).unwrap_or(serde_json::Value::Null),
            id: e.id,
            event_type: e.event_type,
            timestamp: e.created_at,
        }
    }
}

/// A page of the feed, oldest first.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PracticeEventPage {
    pub items: Vec<PracticeEventView>,
    /// The last item's id: pass it as `after` for what comes next (absent when the page is
    /// empty; keep the cursor you had).
    pub next_cursor: Option<String>,
}

#[derive(Default)]
pub struct EventsApi;

#[OpenApi(prefix_path = "/api/v1/practice", tag = "ApiTags::Webhooks")]
impl EventsApi {
    /// The practice's events in order, after a cursor: the same events webhooks deliver.
    ///
    /// An event appears here 5 seconds after it happens, so that one committed late never
    /// lands behind a cursor already handed out. Roles: admin.
    #[oai(path = "/events", method = "get", operation_id = "listEvents")]
    async fn list(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        /// The last event id handled (an item's `id`, a `next_cursor` or a `webhook-id`);
        /// absent: from the first event.
        after: Query<Option<String>>,
        /// 1 to 200; 50 by default.
        limit: Query<Option<u64>>,
    ) -> Result<Json<PracticeEventPage>> {
        let rows = events::feed(
            &state.db,
            &staff.0,
            after.0.as_deref(),
            limit.0,
            state.now(),
        )
        .await?;
        let next_cursor = rows.last().map(|e| e.id.to_string());
        Ok(Json(PracticeEventPage {
            items: rows.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }
}
