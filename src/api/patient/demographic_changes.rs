use crate::api::context::RequestMeta;
use crate::api::json::JsonBody;
use crate::api::practice::{DemographicChangeView, DemographicFields};
use crate::api::security::PatientAuth;
use crate::api::tags::ApiTags;
use crate::error::Result;
use crate::service::patients::demographic_changes;
use crate::state::AppState;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;
use uuid::Uuid;

/// Changes to one patient's details, for the practice to review.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct DemographicChangeBody {
    /// A patient this token may act for (`patients` in the login response).
    pub patient_id: Uuid,
    /// Only the fields to change.
    pub changes: DemographicFields,
}

#[derive(ApiResponse)]
pub enum ChangeRequested {
    /// The request waits for the practice's review.
    #[oai(status = 201)]
    Created(Json<DemographicChangeView>),
}

#[derive(Default)]
pub struct MyDemographicChangesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Me")]
impl MyDemographicChangesApi {
    /// Ask the practice to change a patient's name, contact details, address or date of birth.
    ///
    /// Nothing changes until the practice accepts; the outcome is emailed to the account.
    /// A patient the token does not act for (or whose access is no longer active) is
    /// `404 not_found`.
    #[oai(
        path = "/me/demographic-changes",
        method = "post",
        operation_id = "requestDemographicChange"
    )]
    async fn request(
        &self,
        state: Data<&AppState>,
        patient: PatientAuth,
        meta: RequestMeta,
        body: JsonBody<DemographicChangeBody>,
    ) -> Result<ChangeRequested> {
        let b = body.0;
        let r = demographic_changes::submit(
            &state.db,
            &patient.0,
            b.patient_id,
            b.changes.into(),
            &meta,
            state.now(),
        )
        .await?;
        Ok(ChangeRequested::Created(Json(r.into())))
    }
}
