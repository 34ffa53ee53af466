use crate::api::context::RequestMeta;
use crate::api::practice::AccessView;
use crate::api::security::StaffAuth;
use crate::api::tags::ApiTags;
use crate::error::Result;
use crate::service::registration::confirmation;
use crate::state::AppState;
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use uuid::Uuid;

#[derive(Default)]
pub struct RegistrationReviewApi;

#[OpenApi(prefix_path = "/api/v1/practice", tag = "ApiTags::PortalAccess")]
impl RegistrationReviewApi {
    /// Turn on a self sign-up's access whose email confirmation never came.
    ///
    /// Seed 003: "you will need to manually enable the patient's Portal account", then have
    /// the patient reset their password. Only `pending_verification` access can be activated
    /// (409 otherwise; an active one is returned unchanged). Roles: admin, reception.
    #[oai(
        path = "/access/:id/activate",
        method = "post",
        operation_id = "activateAccess"
    )]
    async fn activate(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
    ) -> Result<Json<AccessView>> {
        let record = confirmation::activate(&state.db, &staff.0, id.0, &meta, state.now()).await?;
        Ok(Json(record.try_into()?))
    }
}
