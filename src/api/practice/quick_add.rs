//! `POST /api/v1/practice/quick-add`: seed 004's Quick Add, a new patient and their portal
//! invitation in one call.

use crate::api::context::RequestMeta;
use crate::api::json::JsonBody;
use crate::api::practice::invitations::InvitationView;
use crate::api::practice::patients::{NewPatientBody, PatientView};
use crate::api::security::StaffAuth;
use crate::api::tags::ApiTags;
use crate::domain::invitation::Channel;
use crate::error::Result;
use crate::service::access::quick_add;
use crate::state::AppState;
use chrono::NaiveDate;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;

/// A new patient and how to send them their portal invitation. The email (for `channel:
/// email`) or mobile (for `channel: sms`) goes on the patient's record, as do the fields the
/// practice requires (`required_fields`).
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct QuickAddBody {
    pub first_name: String,
    pub last_name: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: NaiveDate,
    pub email: Option<String>,
    /// E.164, like `+15550100123`.
    pub mobile: Option<String>,
    pub postal_code: Option<String>,
    pub external_ref: Option<String>,
    /// Where the invitation goes: `email` or `sms`.
    pub channel: Channel,
}

/// The patient created and the invitation queued.
#[derive(Debug, Object)]
pub struct QuickAddedView {
    pub patient: PatientView,
    pub invitation: InvitationView,
}

#[derive(ApiResponse)]
pub enum QuickAddCreated {
    /// The patient exists and the invitation is queued for delivery.
    #[oai(status = 201)]
    Created(Json<QuickAddedView>),
}

#[derive(Default)]
pub struct QuickAddApi;

#[OpenApi(prefix_path = "/api/v1/practice", tag = "ApiTags::Patients")]
impl QuickAddApi {
    /// Quick add: create a patient and send their portal invitation in one call.
    ///
    /// One transaction: on any refusal nothing is created. Refusals and their codes are those
    /// of `createPatient` and `sendInvitation` (422 `validation_failed` naming the field, 409
    /// `conflict` for a taken `external_ref`). Not idempotent: Portico has no `Idempotency-Key`
    /// support yet, so a retried call creates a second patient. Roles: all.
    #[oai(path = "/quick-add", method = "post", operation_id = "quickAddPatient")]
    async fn quick_add(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        body: JsonBody<QuickAddBody>,
    ) -> Result<QuickAddCreated> {
        let now = state.now();
        let b = body.0;
        let new = NewPatientBody {
            first_name: b.first_name,
            last_name: b.last_name,
            date_of_birth: b.date_of_birth,
            email: b.email,
            mobile: b.mobile,
            postal_code: b.postal_code,
            address: None,
            external_ref: b.external_ref,
        }
        .parse(now.date_naive())?;
        let added = quick_add::quick_add(
            &state.db,
            &staff.0,
            state.settings.issuer(),
            new,
            b.channel,
            &meta,
            now,
        )
        .await?;
        state.outbox_wakeup.notify_one();
        Ok(QuickAddCreated::Created(Json(QuickAddedView {
            patient: added.patient.into(),
            invitation: added.invitation.try_into()?,
        })))
    }
}
