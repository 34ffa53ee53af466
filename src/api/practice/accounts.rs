use crate::api::context::RequestMeta;
use crate::api::json::JsonBody;
use crate::api::practice::AccessView;
use crate::api::security::StaffAuth;
use crate::api::tags::ApiTags;
use crate::domain::username::Username;
use crate::error::Result;
use crate::service::access::listing::AccessRecord;
use crate::service::registration::staff_created;
use crate::state::AppState;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;
use uuid::Uuid;

/// An account to create for the patient.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct NewPatientAccountBody {
    /// 3 to 64 letters, digits and `. _ - @ +`; may be the patient's email address (seed 001:
    /// then a forgotten password can be reset by email). Unique whatever its letter case.
    pub username: String,
}

/// A new account. Give `temporary_password` to the patient: it is shown this once, never
/// emailed, and must be changed at first login.
#[derive(Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CreatedPatientAccount {
    pub account_id: Uuid,
    pub username: String,
    pub temporary_password: String,
    pub must_change_password: bool,
    /// The patient's access, active at once.
    pub access: AccessView,
}

#[derive(ApiResponse)]
pub enum PatientAccountCreated {
    /// The account was created and its access is active.
    #[oai(status = 201)]
    Created(Json<CreatedPatientAccount>),
}

#[derive(Default)]
pub struct PatientAccountsApi;

#[OpenApi(prefix_path = "/api/v1/practice", tag = "ApiTags::PortalAccess")]
impl PatientAccountsApi {
    /// Create a portal account for a patient, with a temporary password returned once.
    ///
    /// Seed 001's "create an account manually": access is active at once and the patient must
    /// choose their own password at first login. Roles: admin, reception.
    #[oai(
        path = "/patients/:id/accounts",
        method = "post",
        operation_id = "createPatientAccount"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
        body: JsonBody<NewPatientAccountBody>,
    ) -> Result<PatientAccountCreated> {
        let username = Username::parse(&body.0.username)?;
        let created = staff_created::create(
            &state.db,
            &state.hasher,
            &staff.0,
            id.0,
            username,
            &meta,
            state.now(),
        )
        .await?;
        let access = AccessView::try_from(AccessRecord {
            access: created.access,
            username: Some(created.account.username.clone()),
        })?;
        Ok(PatientAccountCreated::Created(Json(
            CreatedPatientAccount {
                account_id: created.account.id,
                username: created.account.username,
                temporary_password: created.temporary_password,
                must_change_password: created.account.must_change_password,
                access,
            },
        )))
    }
}
