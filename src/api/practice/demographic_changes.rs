use crate::api::context::RequestMeta;
use crate::api::json::JsonBody;
use crate::api::security::StaffAuth;
use crate::api::tags::ApiTags;
use crate::domain::demographics::{ChangeStatus, RequestedChanges};
use crate::error::Result;
use crate::service::PageRequest;
use crate::service::patients::demographic_changes::{self, ChangeRequest};
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use serde::Deserialize;
use uuid::Uuid;

/// The fields a patient may ask to change; absent fields stay as they are.
#[derive(Debug, Clone, Object, Deserialize)]
#[oai(skip_serializing_if_is_none)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct DemographicFields {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// `YYYY-MM-DD`.
    pub date_of_birth: Option<NaiveDate>,
    pub email: Option<String>,
    /// E.164, like `+15550100123` (spaces and dashes are removed).
    pub mobile: Option<String>,
    pub address: Option<String>,
    pub postal_code: Option<String>,
}

impl From<DemographicFields> for RequestedChanges {
    fn from(f: DemographicFields) -> Self {
        Self {
            first_name: f.first_name,
            last_name: f.last_name,
            date_of_birth: f.date_of_birth,
            email: f.email,
            mobile: f.mobile,
            address: f.address,
            postal_code: f.postal_code,
        }
    }
}

impl From<RequestedChanges> for DemographicFields {
    fn from(c: RequestedChanges) -> Self {
        Self {
            first_name: c.first_name,
            last_name: c.last_name,
            date_of_birth: c.date_of_birth,
            email: c.email,
            mobile: c.mobile,
            address: c.address,
            postal_code: c.postal_code,
        }
    }
}

/// A demographic change request and where it stands.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DemographicChangeView {
    pub id: Uuid,
    pub patient_id: Uuid,
    /// The account (patient or representative) that asked.
    pub account_id: Uuid,
    pub changes: DemographicFields,
    pub status: ChangeStatus,
    /// Why it was declined; shown to the requester.
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<ChangeRequest> for DemographicChangeView {
    fn from(r: ChangeRequest) -> Self {
        Self {
            id: r.row.id,
            patient_id: r.row.patient_id,
            account_id: r.row.account_id,
            changes: r.changes.into(),
            status: r.status,
            reason: r.row.reason,
            created_at: r.row.created_at,
            decided_at: r.row.decided_at,
        }
    }
}

/// One page of requests.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DemographicChangePage {
    pub items: Vec<DemographicChangeView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Why a request is declined; the requester is shown it.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct DeclineBody {
    /// 1 to 500 characters.
    pub reason: String,
}

#[derive(Default)]
pub struct DemographicChangesApi;

#[OpenApi(prefix_path = "/api/v1/practice", tag = "ApiTags::DemographicChanges")]
impl DemographicChangesApi {
    /// List demographic change requests from the portal, oldest first.
    ///
    /// Seed 004: the patient requests tab, to review and accept or decline. Roles: all.
    #[oai(
        path = "/demographic-changes",
        method = "get",
        operation_id = "listDemographicChanges"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        /// Only requests in this state.
        status: Query<Option<ChangeStatus>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
        /// 1 to 200; 50 by default.
        limit: Query<Option<u64>>,
    ) -> Result<Json<DemographicChangePage>> {
        let page = PageRequest::parse(cursor.0.as_deref(), limit.0)?;
        let found = demographic_changes::list(&state.db, &staff.0, status.0, page).await?;
        Ok(Json(DemographicChangePage {
            items: found.items.into_iter().map(Into::into).collect(),
            next_cursor: found.next_cursor,
        }))
    }

    /// Accept a pending request: the patient's record takes the new values.
    ///
    /// A new email follows the same rules as a staff edit: links sent to the old address stop
    /// working and the old address is told. The requester is emailed. `409 conflict` when the
    /// request was already decided. Roles: all.
    #[oai(
        path = "/demographic-changes/:id/accept",
        method = "post",
        operation_id = "acceptDemographicChange"
    )]
    async fn accept(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
    ) -> Result<Json<DemographicChangeView>> {
        let r = demographic_changes::accept(&state.db, &staff.0, id.0, &meta, state.now()).await?;
        state.outbox_wakeup.notify_one();
        Ok(Json(r.into()))
    }

    /// Decline a pending request with a reason; the requester is emailed it.
    ///
    /// `409 conflict` when the request was already decided. Roles: all.
    #[oai(
        path = "/demographic-changes/:id/decline",
        method = "post",
        operation_id = "declineDemographicChange"
    )]
    async fn decline(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
        body: JsonBody<DeclineBody>,
    ) -> Result<Json<DemographicChangeView>> {
        let r = demographic_changes::decline(
            &state.db,
            &staff.0,
            id.0,
            &body.0.reason,
            &meta,
            state.now(),
        )
        .await?;
        state.outbox_wakeup.notify_one();
        Ok(Json(r.into()))
    }
}
