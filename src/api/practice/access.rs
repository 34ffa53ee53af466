use crate::api::security::StaffAuth;
use crate::api::tags::ApiTags;
use crate::domain::access::{AccessStatus, Relation};
use crate::error::{Error, Result};
use crate::service::access::{self, AccessRecord};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

/// A portal access: one account's link to one patient's record, and its history (seed 004:
/// sent, registered, last login, revoked).
#[derive(Debug, Object)]
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
}

impl TryFrom<AccessRecord> for AccessView {
    type Error = Error;
    fn try_from(r: AccessRecord) -> Result<Self> {
        let a = r.access;
        let bad = || Error::internal(anyhow::anyhow!("unknown value in portal_access {}", a.id));
        Ok(Self {
            id: a.id,
            patient_id: a.patient_id,
            account_id: a.account_id,
            username: r.username,
            relation: Relation::from_db(&a.relation).ok_or_else(bad)?,
            status: AccessStatus::from_db(&a.status).ok_or_else(bad)?,
            invited_at: a.invited_at,
            registered_at: a.registered_at,
            last_login_at: a.last_login_at,
            blocked_at: a.blocked_at,
            block_reason: a.block_reason,
            unblocked_at: a.unblocked_at,
            revoked_at: a.revoked_at,
            revoke_reason: a.revoke_reason,
            expired_at: a.expired_at,
        })
    }
}

#[derive(Default)]
pub struct AccessApi;

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
        let records = access::for_patient(&state.db, &staff.0, id.0).await?;
        Ok(Json(
            records
                .into_iter()
                .map(AccessView::try_from)
                .collect::<Result<_>>()?,
        ))
    }
}
