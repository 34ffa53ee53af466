use crate::api::context::RequestMeta;
use crate::api::json::OptionalJsonBody;
use crate::api::security::StaffAuth;
use crate::api::tags::ApiTags;
use crate::domain::access::{AccessAction, AccessStatus, Relation};
use crate::error::{Error, Result};
use crate::service::access::changes::{self, check_reason};
use crate::service::access::listing::{self, AccessRecord};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use serde::Deserialize;
use uuid::Uuid;

/// A portal access: one account's link to one patient's record, and its history (seed 004:
/// sent, registered, last login, revoked).
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AccessView {
    pub id: Uuid,
    pub patient_id: Uuid,
    /// The account holding this access; absent until an invitation is redeemed.
    pub account_id: Option<Uuid>,
    pub username: Option<String>,
    pub relation: Relation,
    pub status: AccessStatus,
    /// When the latest invitation was sent.
    pub invited_at: Option<DateTime<Utc>>,
    pub registered_at: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub blocked_at: Option<DateTime<Utc>>,
    pub block_reason: Option<String>,
    pub unblocked_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoke_reason: Option<String>,
    pub expired_at: Option<DateTime<Utc>>,
    /// When the patient last consented to this adult representative.
    pub consented_at: Option<DateTime<Utc>>,
    /// When that consent runs out (status `consent_expired` after it).
    pub consent_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The last change of any kind.
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<AccessRecord> for AccessView {
    type Error = Error;
    fn try_from(r: AccessRecord) -> Result<Self> {
        let a = r.access;
        Ok(Self {
            id: a.id,
            patient_id: a.patient_id,
            account_id: a.account_id,
            username: r.username,
            relation: a.relation,
            status: a.status,
            invited_at: a.invited_at,
            registered_at: a.registered_at,
            last_login_at: a.last_login_at,
            blocked_at: a.blocked_at,
            block_reason: a.block_reason,
            unblocked_at: a.unblocked_at,
            revoked_at: a.revoked_at,
            revoke_reason: a.revoke_reason,
            expired_at: a.expired_at,
            consented_at: a.consented_at,
            consent_expires_at: a.consent_expires_at,
            created_at: a.created_at,
            updated_at: a.updated_at,
        })
    }
}

/// Why the access is changed: kept on the access (block, revoke) and in the audit trail.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct AccessChange {
    /// Up to 500 characters. Staff-facing; never shown to the patient.
    pub reason: Option<String>,
}

#[derive(Default)]
pub struct AccessApi;

impl AccessApi {
    async fn change(
        state: &AppState,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Uuid,
        action: AccessAction,
        body: OptionalJsonBody<AccessChange>,
    ) -> Result<Json<AccessView>> {
        let reason = check_reason(body.0.and_then(|b| b.reason).as_deref())?;
        let record =
            changes::apply(state, &staff.0, id, action, reason, &meta, state.now()).await?;
        AccessView::try_from(record).map(Json)
    }
}

#[OpenApi(prefix_path = "/api/v1/practice", tag = "ApiTags::PortalAccess")]
impl AccessApi {
    /// Who has portal access to this patient's record, with status and timestamps.
    ///
    /// Roles: all.
    #[oai(
        path = "/patients/:id/access",
        method = "get",
        operation_id = "listPatientAccess"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        id: Path<Uuid>,
    ) -> Result<Json<Vec<AccessView>>> {
        let records = listing::for_patient(&state.db, &staff.0, id.0).await?;
        Ok(Json(
            records
                .into_iter()
                .map(AccessView::try_from)
                .collect::<Result<_>>()?,
        ))
    }

    /// Block this access: login and refresh at this practice answer `access_blocked` with the
    /// practice's name and phone; the account's sessions here end at once. Other practices
    /// are not affected (seeds 000, 001).
    ///
    /// Blocking a blocked access changes nothing. Roles: admin, reception.
    #[oai(
        path = "/access/:id/block",
        method = "post",
        operation_id = "blockAccess"
    )]
    async fn block(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
        body: OptionalJsonBody<AccessChange>,
    ) -> Result<Json<AccessView>> {
        Self::change(&state, staff, meta, id.0, AccessAction::Block, body).await
    }

    /// Unblock this access: the patient can log in again.
    ///
    /// Roles: admin, reception.
    #[oai(
        path = "/access/:id/unblock",
        method = "post",
        operation_id = "unblockAccess"
    )]
    async fn unblock(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
        body: OptionalJsonBody<AccessChange>,
    ) -> Result<Json<AccessView>> {
        Self::change(&state, staff, meta, id.0, AccessAction::Unblock, body).await
    }

    /// Revoke this access: pending invitations stop working, the account's sessions at this
    /// practice end at once, the patient is emailed that the practice deactivated their
    /// portal access, and login answers `access_revoked` (seed 004). A new invitation grants
    /// it again, with the same username and password.
    ///
    /// Roles: admin, reception (never scheduling: seed 004).
    #[oai(
        path = "/access/:id/revoke",
        method = "post",
        operation_id = "revokeAccess"
    )]
    async fn revoke(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
        body: OptionalJsonBody<AccessChange>,
    ) -> Result<Json<AccessView>> {
        Self::change(&state, staff, meta, id.0, AccessAction::Revoke, body).await
    }
}
