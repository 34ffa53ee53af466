use crate::api::security::PatientAuth;
use crate::api::tags::ApiTags;
use crate::domain::access::{AccessStatus, Relation};
use crate::domain::login::PracticeStanding;
use crate::error::Result;
use crate::service::{me, practitioners};
use crate::state::AppState;
use crate::store::access_rows::AtPractice;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

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
pub struct MePatientView {
    pub id: Uuid,
    pub relation: Relation,
    /// Seed 001: only these may be booked in the portal; empty means none.
    pub available_practitioners: Vec<AvailablePractitioner>,
}

/// A practitioner the patient may book with.
#[derive(Debug, Object)]
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
                    relation: r.relation(),
                    status: r.status(),
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
        let ids: Vec<Uuid> = p.claims.patients.iter().map(|c| c.id).collect();
        let mut available = practitioners::available_to(&state.db, &ids).await?;
        let patients = p
            .claims
            .patients
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
}
