use crate::api::context::RequestMeta;
use crate::api::json::JsonBody;
use crate::api::practice::access_reports::access_filter;
use crate::api::security::StaffAuth;
use crate::api::tags::ApiTags;
use crate::domain::access::{AccessStatus, Relation};
use crate::domain::contact::{EmailAddress, MobileNumber, PersonName, PostalCode, parse_reference};
use crate::domain::patient::{check_address, check_date_of_birth};
use crate::error::Result;
use crate::service::PageRequest;
use crate::service::patients::records::{self, NewPatient, Patient, PatientChange, PatientFilter};
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;
use uuid::Uuid;

/// A patient's record at the practice.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PatientView {
    pub id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: NaiveDate,
    pub email: Option<String>,
    /// E.164, like `+15550100123`.
    pub mobile: Option<String>,
    pub postal_code: Option<String>,
    pub address: Option<String>,
    /// The practice system's own id for this patient; unique within the practice.
    pub external_ref: Option<String>,
    /// Created by the patient's own sign-up, for the practice to review.
    pub self_registered: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Patient> for PatientView {
    fn from(p: Patient) -> Self {
        Self {
            id: p.id,
            first_name: p.first_name,
            last_name: p.last_name,
            date_of_birth: p.date_of_birth,
            email: p.email,
            mobile: p.mobile,
            postal_code: p.postal_code,
            address: p.address_line,
            external_ref: p.external_ref,
            self_registered: p.self_registered,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A new patient record.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct NewPatientBody {
    pub first_name: String,
    pub last_name: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: NaiveDate,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub postal_code: Option<String>,
    pub address: Option<String>,
    pub external_ref: Option<String>,
}

fn address(raw: &str) -> Result<String> {
    check_address("address", raw)
}

impl NewPatientBody {
    pub fn parse(self, today: NaiveDate) -> Result<NewPatient> {
        Ok(NewPatient {
            first_name: PersonName::parse("first_name", &self.first_name)?,
            last_name: PersonName::parse("last_name", &self.last_name)?,
            date_of_birth: check_date_of_birth("date_of_birth", self.date_of_birth, today)?,
            email: EmailAddress::parse_opt("email", self.email.as_deref())?,
            mobile: MobileNumber::parse_opt("mobile", self.mobile.as_deref())?,
            postal_code: PostalCode::parse_opt("postal_code", self.postal_code.as_deref())?,
            address: self.address.map(|a| address(&a)).transpose()?,
            external_ref: self
                .external_ref
                .map(|r| parse_reference("external_ref", &r))
                .transpose()?,
        })
    }
}

/// Fields to change; absent fields stay as they are, `null` clears an optional one.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct PatientPatch {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    #[serde(default)]
    pub email: MaybeUndefined<String>,
    #[serde(default)]
    pub mobile: MaybeUndefined<String>,
    #[serde(default)]
    pub postal_code: MaybeUndefined<String>,
    #[serde(default)]
    pub address: MaybeUndefined<String>,
    #[serde(default)]
    pub external_ref: MaybeUndefined<String>,
}

fn maybe<T>(
    v: MaybeUndefined<String>,
    f: impl FnOnce(&str) -> Result<T>,
) -> Result<Option<Option<T>>> {
    match v {
        MaybeUndefined::Undefined => Ok(None),
        MaybeUndefined::Null => Ok(Some(None)),
        MaybeUndefined::Value(x) => Ok(Some(Some(f(&x)?))),
    }
}

impl PatientPatch {
    pub fn parse(self, today: NaiveDate) -> Result<PatientChange> {
        Ok(PatientChange {
            first_name: self
                .first_name
                .map(|n| PersonName::parse("first_name", &n))
                .transpose()?,
            last_name: self
                .last_name
                .map(|n| PersonName::parse("last_name", &n))
                .transpose()?,
            date_of_birth: self
                .date_of_birth
                .map(|d| check_date_of_birth("date_of_birth", d, today))
                .transpose()?,
            email: maybe(self.email, |e| EmailAddress::parse("email", e))?,
            mobile: maybe(self.mobile, |m| MobileNumber::parse("mobile", m))?,
            postal_code: maybe(self.postal_code, |p| PostalCode::parse("postal_code", p))?,
            address: maybe(self.address, address)?,
            external_ref: maybe(self.external_ref, |r| parse_reference("external_ref", r))?,
        })
    }
}

/// One page of patients.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PatientPage {
    pub items: Vec<PatientView>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(ApiResponse)]
pub enum PatientCreated {
    /// The patient was created.
    #[oai(status = 201)]
    Created(Json<PatientView>),
}

#[derive(Default)]
pub struct PatientsApi;

#[OpenApi(prefix_path = "/api/v1/practice", tag = "ApiTags::Patients")]
impl PatientsApi {
    /// Add a patient to the practice.
    ///
    /// Roles: all.
    #[oai(path = "/patients", method = "post", operation_id = "createPatient")]
    async fn create(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        body: JsonBody<NewPatientBody>,
    ) -> Result<PatientCreated> {
        let now = state.now();
        let new = body.0.parse(now.date_naive())?;
        let p = records::create(&state.db, &staff.0, new, &meta, now).await?;
        Ok(PatientCreated::Created(Json(p.into())))
    }

    /// Search the practice's patients, a page at a time.
    ///
    /// Every given criterion must match. `name`: each word starts the first or last name,
    /// case-insensitively. The access criteria keep patients with at least one portal access
    /// matching all of them; dates are `YYYY-MM-DD` in UTC, `…_after` from the start of that
    /// day, `…_before` up to it. `GET /patients/export.csv` gives the same list as CSV.
    /// Roles: all.
    #[oai(path = "/patients", method = "get", operation_id = "listPatients")]
    #[allow(
        clippy::too_many_arguments,
        reason = "poem-openapi takes each query parameter as an argument"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        /// Words that start the first or last name.
        name: Query<Option<String>>,
        /// `YYYY-MM-DD`.
        date_of_birth: Query<Option<NaiveDate>>,
        /// The practice system's id.
        external_ref: Query<Option<String>>,
        /// Only patients with an access in this state.
        access_status: Query<Option<AccessStatus>>,
        /// Only patients with an access of this relation (`self`: their own).
        relation: Query<Option<Relation>>,
        /// With an invitation sent on or after this day.
        invited_after: Query<Option<NaiveDate>>,
        /// With an invitation sent before this day.
        invited_before: Query<Option<NaiveDate>>,
        /// With an access registered on or after this day.
        registered_after: Query<Option<NaiveDate>>,
        /// With an access registered before this day.
        registered_before: Query<Option<NaiveDate>>,
        /// With a login on or after this day (the access's last).
        last_login_after: Query<Option<NaiveDate>>,
        /// With a last login before this day.
        last_login_before: Query<Option<NaiveDate>>,
        /// `true`: with an access never logged in; `false`: one that has.
        never_logged_in: Query<Option<bool>>,
        /// From the previous page's `next_cursor`.
        cursor: Query<Option<String>>,
        /// 1 to 200; 50 by default.
        limit: Query<Option<u64>>,
    ) -> Result<Json<PatientPage>> {
        let page = PageRequest::parse(cursor.0.as_deref(), limit.0)?;
        let filter = PatientFilter {
            name: name.0,
            date_of_birth: date_of_birth.0,
            external_ref: external_ref.0,
            access: access_filter(
                access_status.0,
                relation.0,
                (invited_after.0, invited_before.0),
                (registered_after.0, registered_before.0),
                (last_login_after.0, last_login_before.0),
                never_logged_in.0,
            ),
        };
        let found = records::search(&state.db, &staff.0, filter, page).await?;
        Ok(Json(PatientPage {
            items: found.items.into_iter().map(Into::into).collect(),
            next_cursor: found.next_cursor,
        }))
    }

    /// Read one patient's record.
    ///
    /// Roles: all.
    #[oai(path = "/patients/:id", method = "get", operation_id = "getPatient")]
    async fn get(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        id: Path<Uuid>,
    ) -> Result<Json<PatientView>> {
        let p = records::get(&state.db, &staff.0, id.0).await?;
        Ok(Json(p.into()))
    }

    /// Change a patient's record.
    ///
    /// Changing the email stops invitation links sent to the old address and, when the
    /// record has active portal access, tells the old address (seed 003). Roles: all.
    #[oai(
        path = "/patients/:id",
        method = "patch",
        operation_id = "updatePatient"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
        body: JsonBody<PatientPatch>,
    ) -> Result<Json<PatientView>> {
        let now = state.now();
        let change = body.0.parse(now.date_naive())?;
        let p = records::update(&state.db, &staff.0, id.0, change, &meta, now).await?;
        // A changed email may have queued a notice to the old address.
        state.outbox_wakeup.notify_one();
        Ok(Json(p.into()))
    }
}
