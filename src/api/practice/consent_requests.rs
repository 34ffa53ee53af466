//! `POST /api/v1/practice/access/{id}/consent-request`: send the patient the consent request
//! for an adult representative's pending access again (a new link; the old one stops
//! working), e.g. once the patient's email is on file.

use crate::api::context::RequestMeta;
use crate::api::practice::AccessView;
use crate::api::security::StaffAuth;
use crate::api::tags::ApiTags;
use crate::error::Result;
use crate::service::representation::consent_requests;
use crate::state::AppState;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use uuid::Uuid;

#[derive(Default)]
pub struct ConsentRequestsApi;

#[OpenApi(prefix_path = "/api/v1/practice", tag = "ApiTags::PortalAccess")]
impl ConsentRequestsApi {
    /// Send the patient the consent request for this pending access again.
    ///
    /// Only for `pending_consent`; without an email on the patient's record it is
    /// `409 conflict` (add one, then send). Roles: all.
    #[oai(
        path = "/access/:id/consent-request",
        method = "post",
        operation_id = "resendConsentRequest"
    )]
    async fn resend(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
    ) -> Result<Json<AccessView>> {
        let record = consent_requests::resend(&state, &staff.0, id.0, &meta, state.now()).await?;
        AccessView::try_from(record).map(Json)
    }
}
