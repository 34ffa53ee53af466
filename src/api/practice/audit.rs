use crate::api::security::StaffAuth;
use crate::api::tags::ApiTags;
use crate::error::Result;
use crate::service::PageRequest;
use crate::service::practice::audit_events::{self, AuditEvent, AuditFilter};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

/// One entry of the audit trail. Never holds a password, token or message body.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditEventView {
    pub id: Uuid,
    /// `login.succeeded`, `login.failed`, `login.refused`, `access.blocked`,
    /// `access.unblocked`, `access.revoked`, `refresh.reuse_detected`, `logout`, …
    pub kind: String,
    /// `api_key`, `account`, `anonymous`, `cli` or `system`.
    pub actor_kind: String,
    /// The API key's or account's id.
    pub actor_id: Option<String>,
    pub patient_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub access_id: Option<Uuid>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    /// What else is known: a reason, the session, the number of sessions ended, …
    pub detail: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl From<AuditEvent> for AuditEventView {
    fn from(e: AuditEvent) -> Self {
        Self {
            detail: serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::String(e.detail)),
            id: e.id,
            kind: e.kind,
            actor_kind: e.actor_kind,
            actor_id: e.actor_id,
            patient_id: e.patient_id,
            account_id: e.account_id,
            access_id: e.access_id,
            ip: e.ip,
            user_agent: e.user_agent,
            request_id: e.request_id,
            created_at: e.created_at,
        }
    }
}

/// One page of audit events, newest first.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditEventPage {
    pub items: Vec<AuditEventView>,
    /// Pass as `cursor` to get the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Default)]
pub struct AuditApi;

#[OpenApi(prefix_path = "/api/v1/practice", tag = "ApiTags::Audit")]
impl AuditApi {
    /// The practice's audit trail, newest first: logins and refusals, blocks, unblocks,
    /// revokes, refresh-token reuse, logouts, key and settings changes.
    ///
    /// Only this practice's events. Roles: admin.
    #[oai(
        path = "/audit-events",
        method = "get",
        operation_id = "listAuditEvents"
    )]
    #[allow(
        clippy::too_many_arguments,
        reason = "poem-openapi takes each query parameter as an argument"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        /// Only events about this patient.
        patient_id: Query<Option<Uuid>>,
        /// An event kind (`access.blocked`), or a prefix ending in a dot (`login.`).
        kind: Query<Option<String>>,
        /// From this instant (RFC 3339), inclusive.
        from: Query<Option<DateTime<Utc>>>,
        /// Up to this instant (RFC 3339), exclusive.
        to: Query<Option<DateTime<Utc>>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
        /// 1 to 200; 50 by default.
        limit: Query<Option<u64>>,
    ) -> Result<Json<AuditEventPage>> {
        let page = PageRequest::parse(cursor.0.as_deref(), limit.0)?;
        let filter = AuditFilter {
            patient_id: patient_id.0,
            kind: kind.0,
            from: from.0,
            to: to.0,
        };
        let found = audit_events::list(&state.db, &staff.0, filter, page).await?;
        Ok(Json(AuditEventPage {
            items: found.items.into_iter().map(Into::into).collect(),
            next_cursor: found.next_cursor,
        }))
    }
}
