//! `/api/v1/me/representatives`: who can see the signed-in patient's own records, and the
//! patient's say over it: end any representative's access, renew an adult representative's
//! consent. Only an account holding active `self` access to a record sees its representatives.

use crate::api::context::RequestMeta;
use crate::api::invitations::PracticeRef;
use crate::api::security::PatientAuth;
use crate::api::tags::ApiTags;
use crate::domain::access::{AccessStatus, Relation};
use crate::error::Result;
use crate::service::representation::my_representatives::{self, MyRepresentative, PortalAccess};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

/// Someone with (or waiting for) access to one of the patient's records.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MyRepresentativeView {
    /// The access to end or renew.
    pub access_id: Uuid,
    pub patient_id: Uuid,
    pub patient_first_name: String,
    pub representative_name: String,
    pub relation: Relation,
    pub practice: PracticeRef,
    pub status: AccessStatus,
    /// When the patient last consented (adult representatives).
    pub consented_at: Option<DateTime<Utc>>,
    /// When that consent runs out; the patient can renew it.
    pub consent_expires_at: Option<DateTime<Utc>>,
}

impl From<MyRepresentative> for MyRepresentativeView {
    fn from(r: MyRepresentative) -> Self {
        Self {
            access_id: r.access.id,
            patient_id: r.access.patient_id,
            patient_first_name: r.patient_first_name,
            representative_name: r.representative_name,
            relation: r.relation,
            practice: PracticeRef::from(&r.practice),
            status: r.status,
            consented_at: r.access.consented_at,
            consent_expires_at: r.access.consent_expires_at,
        }
    }
}

/// The access after a renewal.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RenewedView {
    pub access_id: Uuid,
    pub status: AccessStatus,
    pub consent_expires_at: Option<DateTime<Utc>>,
}

impl From<PortalAccess> for RenewedView {
    fn from(a: PortalAccess) -> Self {
        Self {
            access_id: a.id,
            status: a.status,
            consent_expires_at: a.consent_expires_at,
        }
    }
}

#[derive(ApiResponse)]
pub enum RepresentativeEnded {
    /// Ended: the representative's sessions and refresh tokens at that practice are gone, and
    /// they were emailed.
    #[oai(status = 204)]
    Ended,
}

#[derive(Default)]
pub struct MyRepresentativesApi;

#[OpenApi(prefix_path = "/api/v1/me", tag = "ApiTags::Me")]
impl MyRepresentativesApi {
    /// Who can see the patient's own records: each representative with relation, practice,
    /// status and consent expiry.
    #[oai(
        path = "/representatives",
        method = "get",
        operation_id = "listMyRepresentatives"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        patient: PatientAuth,
    ) -> Result<Json<Vec<MyRepresentativeView>>> {
        let reps = my_representatives::list(&state.db, patient.0.account.id).await?;
        Ok(Json(reps.into_iter().map(Into::into).collect()))
    }

    /// End a representative's access now. Anyone else's access is `404 not_found`.
    #[oai(
        path = "/representatives/:access_id",
        method = "delete",
        operation_id = "endMyRepresentative"
    )]
    async fn end(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        patient: PatientAuth,
        access_id: Path<Uuid>,
    ) -> Result<RepresentativeEnded> {
        my_representatives::end(
            &state,
            patient.0.account.id,
            access_id.0,
            &meta,
            state.now(),
        )
        .await?;
        Ok(RepresentativeEnded::Ended)
    }

    /// Renew consent to an adult representative (spouse, caregiver, other) for the practice's
    /// `adult_representative_consent_months` from now; restores a lapsed access. Only the
    /// patient may.
    #[oai(
        path = "/representatives/:access_id/renew",
        method = "post",
        operation_id = "renewMyRepresentative"
    )]
    async fn renew(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        patient: PatientAuth,
        access_id: Path<Uuid>,
    ) -> Result<Json<RenewedView>> {
        let a = my_representatives::renew(
            &state,
            patient.0.account.id,
            access_id.0,
            &meta,
            state.now(),
        )
        .await?;
        Ok(Json(a.into()))
    }
}
