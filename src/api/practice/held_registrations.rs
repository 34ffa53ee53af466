//! `/api/v1/practice/held-registrations`: self sign-ups held because they probably match a
//! patient the practice already has (issue 11, item 6).

use crate::api::context::RequestMeta;
use crate::api::json::JsonBody;
use crate::api::security::StaffAuth;
use crate::api::tags::ApiTags;
use crate::error::Result;
use crate::service::registration::held::{self, HeldRecord};
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use serde::Deserialize;
use uuid::Uuid;

/// Where a held sign-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum HeldStatus {
    /// Waiting for the practice.
    Held,
    /// Linked to the existing patient: the account has access.
    Linked,
    /// Rejected; the person was emailed the reason.
    Rejected,
}

impl HeldStatus {
    fn as_str(self) -> &'static str {
        match self {
            HeldStatus::Held => held::status::HELD,
            HeldStatus::Linked => held::status::LINKED,
            HeldStatus::Rejected => held::status::REJECTED,
        }
    }

    fn from_db(raw: &str) -> Self {
        match raw {
            held::status::LINKED => HeldStatus::Linked,
            held::status::REJECTED => HeldStatus::Rejected,
            _ => HeldStatus::Held,
        }
    }
}

/// A held sign-up: what the person typed, and the existing patient it probably is.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct HeldRegistrationView {
    pub id: Uuid,
    /// The existing patient the sign-up matched (same last name and birth date, same first
    /// three letters of the first name).
    pub patient_id: Uuid,
    pub account_id: Uuid,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: NaiveDate,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub postal_code: Option<String>,
    pub status: HeldStatus,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// The access granted when linked.
    pub access_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<HeldRecord> for HeldRegistrationView {
    fn from(r: HeldRecord) -> Self {
        let h = r.held;
        Self {
            id: h.id,
            patient_id: h.patient_id,
            account_id: h.account_id,
            username: r.username,
            first_name: h.first_name,
            last_name: h.last_name,
            date_of_birth: h.date_of_birth,
            email: h.email,
            mobile: h.mobile,
            postal_code: h.postal_code,
            status: HeldStatus::from_db(&h.status),
            reason: h.reason,
            access_id: h.access_id,
            created_at: h.created_at,
            decided_at: h.decided_at,
        }
    }
}

/// Why a held sign-up is rejected; emailed to the person.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    /// 1 to 500 characters, in words for the person (no clinical detail).
    pub reason: String,
}

#[derive(Default)]
pub struct HeldRegistrationsApi;

#[OpenApi(prefix_path = "/api/v1/practice", tag = "ApiTags::Registration")]
impl HeldRegistrationsApi {
    /// Self sign-ups held because they probably match an existing patient.
    ///
    /// A sign-up with the same last name and date of birth as a patient on file, and the same
    /// first three letters of the first name (accents, case and spacing ignored), creates no
    /// second record: it waits here. Oldest first; `status` picks `held` (default), `linked`
    /// or `rejected`. Roles: all.
    #[oai(
        path = "/held-registrations",
        method = "get",
        operation_id = "listHeldRegistrations"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        status: Query<Option<HeldStatus>>,
    ) -> Result<Json<Vec<HeldRegistrationView>>> {
        let rows = held::list(&state.db, &staff.0, status.0.map(HeldStatus::as_str)).await?;
        Ok(Json(rows.into_iter().map(Into::into).collect()))
    }

    /// Link a held sign-up to the existing patient.
    ///
    /// The sign-up's account gets the patient's own access, then, as after any sign-up, the
    /// email confirmation link (`verify_email` practices) or access at once with an "access is
    /// on" email. 409 `conflict` if already decided, or if the patient already has an account
    /// of their own. Roles: admin, reception.
    #[oai(
        path = "/held-registrations/:id/link",
        method = "post",
        operation_id = "linkHeldRegistration"
    )]
    async fn link(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
    ) -> Result<Json<HeldRegistrationView>> {
        let r = held::link(
            &state.db,
            &staff.0,
            state.settings.issuer(),
            id.0,
            &meta,
            state.now(),
        )
        .await?;
        state.outbox_wakeup.notify_one();
        Ok(Json(r.into()))
    }

    /// Reject a held sign-up with a reason, which is emailed to the person.
    ///
    /// The account stays, without access. 409 `conflict` if already decided. Roles: admin,
    /// reception.
    #[oai(
        path = "/held-registrations/:id/reject",
        method = "post",
        operation_id = "rejectHeldRegistration"
    )]
    async fn reject(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
        body: JsonBody<RejectBody>,
    ) -> Result<Json<HeldRegistrationView>> {
        let r = held::reject(
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
