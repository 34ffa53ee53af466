//! Representative policy (issue 11): the practice's teen consent codes and overrides of the
//! age bands, and the parent's side of teen consent.

use crate::api::context::RequestMeta;
use crate::api::json::JsonBody;
use crate::api::security::{PatientAuth, StaffAuth};
use crate::api::tags::ApiTags;
use crate::domain::representation::{OverrideKind, patient_scopes};
use crate::error::Result;
use crate::service::{representation::overrides, representation::teen_consent};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;
use uuid::Uuid;

/// A teen consent code, shown once: give it to the teenager, who gives it to their parent.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TeenConsentCodeView {
    pub id: Uuid,
    pub patient_id: Uuid,
    /// Single use; 10 characters, case-sensitive (spaces and dashes are ignored when typed).
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(ApiResponse)]
pub enum TeenConsentCodeIssued {
    /// The code works once, until `expires_at`.
    #[oai(status = 201)]
    Created(Json<TeenConsentCodeView>),
}

/// A practice's override of the age bands for one patient.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct OverrideRequest {
    /// `guardianship`: full representative access continues past the bands and the age of
    /// majority. `emancipation`: parent and guardian access ends now.
    pub kind: OverrideKind,
    /// Why (e.g. the court order's reference); at most 500 characters.
    pub note: Option<String>,
}

/// The override recorded for a patient, and who set it.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct OverrideView {
    pub patient_id: Uuid,
    pub kind: OverrideKind,
    pub note: Option<String>,
    /// `api_key:{id}`: the staff key that set it.
    pub set_by: String,
    pub set_at: DateTime<Utc>,
}

#[derive(ApiResponse)]
pub enum OverrideCleared {
    /// The age bands apply again.
    #[oai(status = 204)]
    Cleared,
}

/// A consent code the teenager gave their parent or guardian.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct TeenConsentRequest {
    pub patient_id: Uuid,
    pub code: String,
}

/// The parent's access to the patient after consent. Refresh the token to use it.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TeenConsentView {
    pub patient_id: Uuid,
    /// `limited` once consent is given (`full` under the limited age or with a guardianship).
    pub access: String,
    /// The portal areas the parent's next token allows for this patient; absent: all.
    pub scopes: Option<Vec<String>>,
}

#[derive(Default)]
pub struct RepresentationApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Representation")]
impl RepresentationApi {
    /// Issue a one-time teen consent code for a patient.
    ///
    /// When the practice requires a teenager's consent (`teen_consent_required`), a parent's
    /// limited access shows nothing of the record until the parent enters a code the teenager
    /// gave them. The code is shown once and works for 7 days. Roles: admin, reception.
    #[oai(
        path = "/practice/patients/:id/teen-consent-codes",
        method = "post",
        operation_id = "issueTeenConsentCode"
    )]
    async fn issue_code(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
    ) -> Result<TeenConsentCodeIssued> {
        let c = teen_consent::issue_code(&state.db, &staff.0, id.0, &meta, state.now()).await?;
        Ok(TeenConsentCodeIssued::Created(Json(TeenConsentCodeView {
            id: c.id,
            patient_id: c.patient_id,
            code: c.code,
            expires_at: c.expires_at,
        })))
    }

    /// Record guardianship or emancipation for a patient, overriding the age bands.
    ///
    /// Replaces any earlier override. Emancipation ends every active parent and guardian
    /// access to the patient at once. Audited with the key that set it. Roles: admin,
    /// reception.
    #[oai(
        path = "/practice/patients/:id/representation-override",
        method = "put",
        operation_id = "setRepresentationOverride"
    )]
    async fn set_override(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
        body: JsonBody<OverrideRequest>,
    ) -> Result<Json<OverrideView>> {
        let o = overrides::set(
            &state.db,
            &staff.0,
            id.0,
            body.0.kind,
            body.0.note,
            &meta,
            state.now(),
        )
        .await?;
        Ok(Json(OverrideView {
            patient_id: o.patient_id,
            kind: body.0.kind,
            note: o.note,
            set_by: o.set_by,
            set_at: o.set_at,
        }))
    }

    /// Remove a patient's override; the age bands apply again.
    ///
    /// Accesses ended by an emancipation stay ended: invite again if needed. Roles: admin,
    /// reception.
    #[oai(
        path = "/practice/patients/:id/representation-override",
        method = "delete",
        operation_id = "clearRepresentationOverride"
    )]
    async fn clear_override(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
    ) -> Result<OverrideCleared> {
        overrides::clear(&state.db, &staff.0, id.0, &meta, state.now()).await?;
        Ok(OverrideCleared::Cleared)
    }

    /// Enter the consent code a teenager gave you, as their parent or guardian.
    ///
    /// Unknown codes (or codes for another patient) are `422 invalid_consent_code` and count
    /// against the account like wrong passwords; used ones `410 consent_code_used`; expired
    /// ones `410 consent_code_expired`. Refresh your token afterwards for the new scopes.
    #[oai(
        path = "/teen-consents",
        method = "post",
        operation_id = "giveTeenConsent"
    )]
    async fn teen_consent(
        &self,
        state: Data<&AppState>,
        auth: PatientAuth,
        meta: RequestMeta,
        body: JsonBody<TeenConsentRequest>,
    ) -> Result<Json<TeenConsentView>> {
        let c = teen_consent::redeem(
            &state,
            &auth.0,
            body.0.patient_id,
            &body.0.code,
            &meta,
            state.now(),
        )
        .await?;
        Ok(Json(TeenConsentView {
            patient_id: c.patient_id,
            access: c.band.as_str().to_owned(),
            scopes: patient_scopes(
                crate::auth::tokens::PORTAL_SCOPE,
                c.band.allowed().as_deref(),
            ),
        }))
    }
}
