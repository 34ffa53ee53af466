//! `/api/v1/practice/launches`: SMART EHR launch contexts for the apps the practice opens.

use crate::api::context::RequestMeta;
use crate::api::json::JsonBody;
use crate::api::security::StaffAuth;
use crate::api::tags::ApiTags;
use crate::error::Result;
use crate::service::oauth::launches;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;
use uuid::Uuid;

/// The context an app is opened in.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct NewLaunchBody {
    /// One of the practice's patients.
    pub patient_id: Uuid,
    /// A FHIR Encounter id (1–64 of `A-Z a-z 0-9 - .`), returned as `encounter` in the token
    /// response.
    pub encounter: Option<String>,
}

/// A launch: pass `launch` to the app (`launch` parameter of its launch URL).
#[derive(Debug, Object)]
pub struct LaunchView {
    /// Opaque, single use, shown this once.
    pub launch: String,
    /// Five minutes after creation.
    pub expires_at: DateTime<Utc>,
}

#[derive(ApiResponse)]
pub enum LaunchCreated {
    /// The launch context exists; the app's authorization request spends it.
    #[oai(status = 201)]
    Created(Json<LaunchView>),
}

#[derive(Default)]
pub struct LaunchesApi;

#[OpenApi(prefix_path = "/api/v1/practice", tag = "ApiTags::Clients")]
impl LaunchesApi {
    /// Create a SMART EHR launch context for a patient (and optionally an encounter).
    ///
    /// An app opened with it and asking for the `launch` scope gets this patient in context
    /// once someone who acts for the patient logs in. Roles: admin, reception, scheduling.
    #[oai(path = "/launches", method = "post", operation_id = "createLaunch")]
    async fn create(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        body: JsonBody<NewLaunchBody>,
    ) -> Result<LaunchCreated> {
        let b = body.0;
        let created = launches::create(
            &state.db,
            &staff.0,
            b.patient_id,
            b.encounter.as_deref(),
            &meta,
            state.now(),
        )
        .await?;
        Ok(LaunchCreated::Created(Json(LaunchView {
            launch: created.launch,
            expires_at: created.expires_at,
        })))
    }
}
