use crate::api::context::RequestMeta;
use crate::api::json::JsonBody;
use crate::api::security::StaffAuth;
use crate::api::tags::ApiTags;
use crate::error::Result;
use crate::service::patients::practitioners::{self, Practitioner, PractitionerChange};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;
use uuid::Uuid;

/// A practitioner of the practice.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PractitionerView {
    pub id: Uuid,
    pub name: String,
    /// The practice system's own id for this practitioner.
    pub external_ref: Option<String>,
    /// Inactive practitioners stay on records but are not offered to patients.
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<Practitioner> for PractitionerView {
    fn from(p: Practitioner) -> Self {
        Self {
            id: p.id,
            name: p.name,
            external_ref: p.external_ref,
            active: p.active,
            created_at: p.created_at,
        }
    }
}

/// A new practitioner.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct NewPractitionerBody {
    /// 1 to 100 characters, as patients will see it.
    pub name: String,
    pub external_ref: Option<String>,
}

/// Fields to change; absent fields stay as they are, `null` clears `external_ref`.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct PractitionerPatch {
    pub name: Option<String>,
    #[serde(default)]
    pub external_ref: MaybeUndefined<String>,
    pub active: Option<bool>,
}

/// The practitioners a patient may book with; an empty list means none.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct PatientPractitionersBody {
    pub practitioner_ids: Vec<Uuid>,
}

#[derive(ApiResponse)]
pub enum PractitionerCreated {
    /// The practitioner was added.
    #[oai(status = 201)]
    Created(Json<PractitionerView>),
}

#[derive(ApiResponse)]
pub enum PractitionerDeleted {
    /// Removed, and taken off every patient's record.
    #[oai(status = 204)]
    Deleted,
}

#[derive(Default)]
pub struct PractitionersApi;

#[OpenApi(prefix_path = "/api/v1/practice", tag = "ApiTags::Practitioners")]
impl PractitionersApi {
    /// Add a practitioner.
    ///
    /// Roles: admin.
    #[oai(
        path = "/practitioners",
        method = "post",
        operation_id = "createPractitioner"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        body: JsonBody<NewPractitionerBody>,
    ) -> Result<PractitionerCreated> {
        let p = practitioners::create(
            &state.db,
            &staff.0,
            &body.0.name,
            body.0.external_ref.as_deref(),
            &meta,
            state.now(),
        )
        .await?;
        Ok(PractitionerCreated::Created(Json(p.into())))
    }

    /// List the practice's practitioners.
    ///
    /// Roles: all.
    #[oai(
        path = "/practitioners",
        method = "get",
        operation_id = "listPractitioners"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
    ) -> Result<Json<Vec<PractitionerView>>> {
        let all = practitioners::list(&state.db, &staff.0).await?;
        Ok(Json(all.into_iter().map(Into::into).collect()))
    }

    /// Read one practitioner.
    ///
    /// Roles: all.
    #[oai(
        path = "/practitioners/:id",
        method = "get",
        operation_id = "getPractitioner"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        id: Path<Uuid>,
    ) -> Result<Json<PractitionerView>> {
        Ok(Json(
            practitioners::get(&state.db, &staff.0, id.0).await?.into(),
        ))
    }

    /// Rename, re-reference, or (de)activate a practitioner.
    ///
    /// Roles: admin.
    #[oai(
        path = "/practitioners/:id",
        method = "patch",
        operation_id = "updatePractitioner"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
        body: JsonBody<PractitionerPatch>,
    ) -> Result<Json<PractitionerView>> {
        let b = body.0;
        let change = PractitionerChange {
            name: b.name,
            external_ref: match b.external_ref {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(v) => Some(Some(v)),
            },
            active: b.active,
        };
        let p =
            practitioners::update(&state.db, &staff.0, id.0, change, &meta, state.now()).await?;
        Ok(Json(p.into()))
    }

    /// Remove a practitioner; every patient's record stops naming them.
    ///
    /// Roles: admin.
    #[oai(
        path = "/practitioners/:id",
        method = "delete",
        operation_id = "deletePractitioner"
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
    ) -> Result<PractitionerDeleted> {
        practitioners::delete(&state.db, &staff.0, id.0, &meta, state.now()).await?;
        Ok(PractitionerDeleted::Deleted)
    }

    /// The practitioners a patient may book with in the portal (seed 001).
    ///
    /// Roles: all.
    #[oai(
        path = "/patients/:id/practitioners",
        method = "get",
        operation_id = "getPatientPractitioners"
    )]
    async fn for_patient(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        id: Path<Uuid>,
    ) -> Result<Json<Vec<PractitionerView>>> {
        let found = practitioners::for_patient(&state.db, &staff.0, id.0).await?;
        Ok(Json(found.into_iter().map(Into::into).collect()))
    }

    /// Set the practitioners a patient may book with; an empty list means none.
    ///
    /// The patient's next access token (login or refresh) carries them. Roles: all.
    #[oai(
        path = "/patients/:id/practitioners",
        method = "put",
        operation_id = "setPatientPractitioners"
    )]
    async fn set_for_patient(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
        body: JsonBody<PatientPractitionersBody>,
    ) -> Result<Json<Vec<PractitionerView>>> {
        let set = practitioners::set_for_patient(
            &state.db,
            &staff.0,
            id.0,
            body.0.practitioner_ids,
            &meta,
            state.now(),
        )
        .await?;
        Ok(Json(set.into_iter().map(Into::into).collect()))
    }
}
