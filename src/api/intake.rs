//! Tablet intake sessions: started by the practice, redeemed and used by the tablet.

use crate::api::context::RequestMeta;
use crate::api::security::{IntakeAuth, StaffAuth};
use crate::api::tags::ApiTags;
use crate::error::Result;
use crate::service::registration::intake;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

/// A started intake session. The code is shown once.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct StartedIntakeView {
    pub id: Uuid,
    pub patient_id: Uuid,
    /// Single use; give it to the tablet (or open `url` on it).
    pub code: String,
    /// `{public_url}/intake/{code}`.
    pub url: String,
    /// The code must be redeemed before this.
    pub code_expires_at: DateTime<Utc>,
    /// How long the session lasts once the code is redeemed.
    pub session_lifetime_secs: i64,
}

#[derive(ApiResponse)]
pub enum IntakeStarted {
    /// The session waits for its code to be redeemed.
    #[oai(status = 201)]
    Created(Json<StartedIntakeView>),
}

/// The practice an intake token is for.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct IntakePractice {
    pub slug: String,
    pub name: String,
}

/// An intake token: no refresh token; the session ends at `expires_in` or when finished.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct IntakeTokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    pub expires_in: i64,
    /// Always `intake`.
    pub scope: String,
    pub patient_id: Uuid,
    pub practice: IntakePractice,
}

/// The patient's details for the intake forms.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct IntakePatientView {
    pub id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: NaiveDate,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub address: Option<String>,
    pub postal_code: Option<String>,
}

#[derive(ApiResponse)]
pub enum IntakeFinished {
    /// The session ended; its token no longer works.
    #[oai(status = 204)]
    Finished,
}

#[derive(Default)]
pub struct IntakeApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Intake")]
impl IntakeApi {
    /// Start a tablet intake session for a patient (seed 001).
    ///
    /// Returns a one-time code, valid for 10 minutes, that opens a 30-minute session limited
    /// to this patient: no other patient's or practice's information is reachable with it.
    /// Roles: all.
    #[oai(
        path = "/practice/patients/:id/intake-sessions",
        method = "post",
        operation_id = "startIntakeSession"
    )]
    async fn start(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
    ) -> Result<IntakeStarted> {
        let started = intake::start(
            &state.db,
            &staff.0,
            state.settings.issuer(),
            id.0,
            &meta,
            state.now(),
        )
        .await?;
        Ok(IntakeStarted::Created(Json(StartedIntakeView {
            id: started.session.id,
            patient_id: started.session.patient_id,
            code: started.code,
            url: started.url,
            code_expires_at: started.session.code_expires_at,
            session_lifetime_secs: intake::SESSION_TTL.num_seconds(),
        })))
    }

    /// End an intake session from the front desk; its code or token stops working at once.
    ///
    /// Roles: all.
    #[oai(
        path = "/practice/intake-sessions/:id/finish",
        method = "post",
        operation_id = "finishIntakeSession"
    )]
    async fn finish_by_staff(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
    ) -> Result<IntakeFinished> {
        intake::finish_by_staff(&state.db, &staff.0, id.0, &meta, state.now()).await?;
        Ok(IntakeFinished::Finished)
    }

    /// Redeem an intake code on the tablet, once, for an `intake` access token.
    ///
    /// An unknown, used or expired code is `400 invalid_grant`.
    #[oai(
        path = "/intake-sessions/:code",
        method = "post",
        operation_id = "redeemIntakeCode"
    )]
    async fn redeem(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        code: Path<String>,
    ) -> Result<Json<IntakeTokenResponse>> {
        let t = intake::redeem(&state, &code.0, &meta, state.now()).await?;
        Ok(Json(IntakeTokenResponse {
            access_token: t.access_token,
            token_type: "Bearer".to_owned(),
            expires_in: t.expires_in,
            scope: intake::INTAKE_SCOPE.to_owned(),
            patient_id: t.patient.id,
            practice: IntakePractice {
                slug: t.practice.slug,
                name: t.practice.name,
            },
        }))
    }

    /// The patient's details, to prefill the intake forms.
    #[oai(
        path = "/intake/patient",
        method = "get",
        operation_id = "getIntakePatient"
    )]
    async fn patient(
        &self,
        state: Data<&AppState>,
        intake_auth: IntakeAuth,
    ) -> Result<Json<IntakePatientView>> {
        let p = intake::patient(&state.db, &intake_auth.0).await?;
        Ok(Json(IntakePatientView {
            id: p.id,
            first_name: p.first_name,
            last_name: p.last_name,
            date_of_birth: p.date_of_birth,
            email: p.email,
            mobile: p.mobile,
            address: p.address_line,
            postal_code: p.postal_code,
        }))
    }

    /// Finish the intake session; its token stops working at once.
    #[oai(
        path = "/intake/finish",
        method = "post",
        operation_id = "finishIntake"
    )]
    async fn finish(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        intake_auth: IntakeAuth,
    ) -> Result<IntakeFinished> {
        intake::finish(&state.db, &intake_auth.0, &meta, state.now()).await?;
        Ok(IntakeFinished::Finished)
    }
}
