use crate::api::context::RequestMeta;
use crate::api::json::JsonBody;
use crate::api::security::PatientAuth;
use crate::api::tags::ApiTags;
use crate::domain::access::{AccessStatus, Relation};
use crate::domain::login::PracticeStanding;
use crate::error::Result;
use crate::service::{
    accounts::me::{self, AtPractice},
    accounts::own_email,
    login::passwords,
    patients::practitioners,
};
use crate::state::AppState;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;
use uuid::Uuid;

/// The current password and the new one.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordBody {
    #[oai(write_only)]
    pub current_password: String,
    /// At least 15 characters (8 when two-step verification is on); not a common password,
    /// nor containing the username, email or practice name.
    #[oai(write_only)]
    pub new_password: String,
}

/// A new email address, with the current password. Nothing else can be changed here.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeBody {
    pub email: String,
    #[oai(write_only)]
    pub current_password: String,
}

/// The change waits for the new address to be confirmed.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EmailChangePending {
    /// The address a confirmation link was sent to; it replaces the current one once
    /// the link is followed (24 hours).
    pub pending_email: String,
}

#[derive(ApiResponse)]
pub enum EmailChangeRequested {
    /// A link was sent to the new address, and the current address was told.
    #[oai(status = 202)]
    Accepted(Json<EmailChangePending>),
}

#[derive(ApiResponse)]
pub enum EmailChangeConfirmed {
    /// The new address is now the account's, verified.
    #[oai(status = 204)]
    Confirmed,
}

#[derive(ApiResponse)]
pub enum PasswordChanged {
    /// Changed. This session goes on; every other session of the account has ended.
    #[oai(status = 204)]
    Changed,
}

/// The signed-in account. Never its password, MFA secret or tokens.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MeView {
    pub id: Uuid,
    pub username: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// The practice this token is for.
    pub practice_id: Uuid,
    /// The patients this token acts for, with the practitioners each may book with.
    pub patients: Vec<MePatientView>,
}

/// A patient the token acts for.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MePatientView {
    pub id: Uuid,
    pub relation: Relation,
    /// Seed 001: only these may be booked in the portal; empty means none.
    pub available_practitioners: Vec<AvailablePractitioner>,
}

/// A practitioner the patient may book with.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AvailablePractitioner {
    pub id: Uuid,
    pub name: String,
}

/// One patient link at a practice.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MyPatientView {
    pub patient_id: Uuid,
    pub first_name: String,
    pub relation: Relation,
    pub status: AccessStatus,
}

/// A practice where the account has portal access, and how it stands there.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MyPracticeView {
    pub slug: String,
    pub name: String,
    /// Whom to call, shown with a blocked or deactivated access.
    pub phone: String,
    /// Absent when nothing there can be used yet (only invitations or pending sign-ups).
    pub status: Option<PracticeStanding>,
    pub patients: Vec<MyPatientView>,
}

impl From<AtPractice> for MyPracticeView {
    fn from(p: AtPractice) -> Self {
        let status = p.standing();
        Self {
            patients: p
                .rows
                .iter()
                .map(|r| MyPatientView {
                    patient_id: r.patient_id,
                    first_name: r.patient_first_name.clone(),
                    relation: r.relation,
                    status: r.status,
                })
                .collect(),
            slug: p.slug,
            name: p.name,
            phone: p.phone,
            status,
        }
    }
}

#[derive(Default)]
pub struct MeApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Me")]
impl MeApi {
    /// Who the access token belongs to.
    #[oai(path = "/me", method = "get", operation_id = "getMe")]
    async fn me(&self, state: Data<&AppState>, patient: PatientAuth) -> Result<Json<MeView>> {
        let p = patient.0;
        // Live access, not the token's list: a patient whose access ended since it was
        // signed (coming of age, emancipation, a consent lapse) is gone at once.
        let live = p.live_patients();
        let ids: Vec<Uuid> = live.iter().map(|c| c.id).collect();
        let mut available = practitioners::available_to(&state.db, &ids).await?;
        let patients = live
            .iter()
            .map(|c| MePatientView {
                id: c.id,
                relation: c.relation,
                available_practitioners: available
                    .remove(&c.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|pr| AvailablePractitioner {
                        id: pr.id,
                        name: pr.name,
                    })
                    .collect(),
            })
            .collect();
        Ok(Json(MeView {
            patients,
            id: p.account.id,
            username: p.account.username,
            email: p.account.email,
            first_name: p.account.first_name,
            last_name: p.account.last_name,
            practice_id: p.practice_id,
        }))
    }

    /// Every practice where this account has portal access, with each patient and status.
    #[oai(
        path = "/me/practices",
        method = "get",
        operation_id = "listMyPractices"
    )]
    async fn practices(
        &self,
        state: Data<&AppState>,
        patient: PatientAuth,
    ) -> Result<Json<Vec<MyPracticeView>>> {
        let practices = me::practices(&state.db, &patient.0).await?;
        Ok(Json(practices.into_iter().map(Into::into).collect()))
    }

    /// Change the account's email address, giving the current password.
    ///
    /// The new address takes effect only when the link sent to it
    /// (`{public_url}/confirm-email/{token}`) is confirmed; the current address is told at
    /// once. A wrong password is `401 invalid_credentials`; unknown fields are refused.
    #[oai(path = "/me", method = "patch", operation_id = "updateMe")]
    async fn update(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        patient: PatientAuth,
        body: JsonBody<UpdateMeBody>,
    ) -> Result<EmailChangeRequested> {
        let pending = own_email::request(
            &state,
            &patient.0,
            &body.0.email,
            &body.0.current_password,
            &meta,
            state.now(),
        )
        .await?;
        Ok(EmailChangeRequested::Accepted(Json(EmailChangePending {
            pending_email: pending,
        })))
    }

    /// Confirm a new email address with the token from the link sent to it.
    ///
    /// An unknown, used or expired link is `410 token_invalid`.
    #[oai(
        path = "/email-changes/:token",
        method = "post",
        operation_id = "confirmEmailChange"
    )]
    async fn confirm_email(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        token: Path<String>,
    ) -> Result<EmailChangeConfirmed> {
        own_email::confirm(&state, &token.0, &meta, state.now()).await?;
        Ok(EmailChangeConfirmed::Confirmed)
    }

    /// Change the password, giving the current one.
    ///
    /// A wrong current password is `401 invalid_credentials`; a new one the policy refuses is
    /// `422 weak_password`. Every other session of the account ends, and its email address is
    /// told.
    #[oai(
        path = "/me/password",
        method = "post",
        operation_id = "changeMyPassword"
    )]
    async fn change_password(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        patient: PatientAuth,
        body: JsonBody<ChangePasswordBody>,
    ) -> Result<PasswordChanged> {
        passwords::change_own(
            &state,
            &patient.0,
            &body.0.current_password,
            &body.0.new_password,
            &meta,
            state.now(),
        )
        .await?;
        Ok(PasswordChanged::Changed)
    }
}
