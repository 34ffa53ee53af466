use crate::api::context::RequestMeta;
use crate::api::json::JsonBody;
use crate::api::security::StaffAuth;
use crate::api::tags::ApiTags;
use crate::domain::contact::EmailAddress;
use crate::domain::practice::{RequiredField, SelfRegistration};
use crate::error::{Error, Result};
use crate::service::practice::practices::{self, Practice, PracticeSettings, SettingsChange};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Object, OpenApi};
use serde::Deserialize;

/// A practice's settings and the contact details shown to blocked patients.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PracticeSettingsView {
    pub id: uuid::Uuid,
    pub slug: String,
    pub name: String,
    /// How long an invitation link works (seed 004: 72 hours).
    pub invitation_ttl_hours: i32,
    pub self_registration: SelfRegistration,
    /// What must be on file before access can be granted.
    pub required_fields: Vec<RequiredField>,
    /// Parents' and guardians' access ends at this age.
    pub age_of_majority: i32,
    /// Every account must use two-step verification to reach this practice.
    pub mfa_required: bool,
    pub contact_name: Option<String>,
    /// Shown to patients whose access is blocked or deactivated.
    pub contact_phone: String,
    pub contact_email: Option<String>,
    /// From this age a parent's or guardian's access is limited to `limited_scopes` (12).
    pub limited_access_from_age: i32,
    /// The scopes limited access keeps: portal areas (`appointments`, `billing`, `messages`,
    /// `records`) or SMART `patient/…` scopes. Default: appointments, billing, messages.
    pub limited_scopes: Vec<String>,
    /// Limited access waits for the teenager's consent, given with a code from the practice.
    pub teen_consent_required: bool,
    /// The youngest patient who may sign up or accept an invitation for themself (13).
    pub min_self_service_age: i32,
    /// How long a patient's consent to an adult representative (spouse, caregiver, other)
    /// lasts before it lapses and the patient must renew it (18).
    pub adult_representative_consent_months: i32,
    /// The FHIR base URLs this practice's SMART apps call: an authorization request with a
    /// SMART scope must name one of them as `aud`. Empty: none set (the server-wide
    /// `PORTICO_FHIR_BASE_URL` applies, or else `aud` may be absent or the issuer).
    pub fhir_base_urls: Vec<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<Practice> for PracticeSettingsView {
    fn from(p: Practice) -> Self {
        let s = PracticeSettings::from(&p);
        Self {
            id: p.id,
            slug: p.slug,
            name: p.name,
            invitation_ttl_hours: s.invitation_ttl_hours,
            self_registration: s.self_registration,
            required_fields: s.required_fields.into_iter().collect(),
            age_of_majority: s.age_of_majority,
            mfa_required: s.mfa_required,
            contact_name: s.contact_name,
            contact_phone: s.contact_phone,
            contact_email: s.contact_email,
            limited_access_from_age: s.limited_access_from_age,
            limited_scopes: s.limited_scopes,
            teen_consent_required: s.teen_consent_required,
            min_self_service_age: s.min_self_service_age,
            adult_representative_consent_months: s.adult_representative_consent_months,
            fhir_base_urls: s.fhir_base_urls,
            updated_at: p.updated_at,
        }
    }
}

/// Settings to change; absent fields stay as they are, `null` clears an optional one.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    /// 1 to 720.
    pub invitation_ttl_hours: Option<i32>,
    pub self_registration: Option<SelfRegistration>,
    pub required_fields: Option<Vec<RequiredField>>,
    /// 14 to 25.
    pub age_of_majority: Option<i32>,
    pub mfa_required: Option<bool>,
    #[serde(default)]
    pub contact_name: MaybeUndefined<String>,
    pub contact_phone: Option<String>,
    #[serde(default)]
    pub contact_email: MaybeUndefined<String>,
    /// 1 to the age of majority (equal to it: no limited band).
    pub limited_access_from_age: Option<i32>,
    /// Record scopes only; an empty list keeps none.
    pub limited_scopes: Option<Vec<String>>,
    pub teen_consent_required: Option<bool>,
    /// 0 to the age of majority.
    pub min_self_service_age: Option<i32>,
    /// 1 to 120. Applies to consents given or renewed from now on.
    pub adult_representative_consent_months: Option<i32>,
    /// Replaces the FHIR base URLs (an empty list clears them): at most 10 absolute `https`
    /// URLs (`http` only for a loopback address), without user information, query or
    /// fragment; stored with the scheme and host in lower case and no trailing `/`.
    pub fhir_base_urls: Option<Vec<String>>,
}

fn maybe<T, U>(v: MaybeUndefined<T>, f: impl FnOnce(T) -> Result<U>) -> Result<Option<Option<U>>> {
    match v {
        MaybeUndefined::Undefined => Ok(None),
        MaybeUndefined::Null => Ok(Some(None)),
        MaybeUndefined::Value(x) => Ok(Some(Some(f(x)?))),
    }
}

impl TryFrom<SettingsPatch> for SettingsChange {
    type Error = Error;
    fn try_from(p: SettingsPatch) -> Result<Self> {
        Ok(SettingsChange {
            invitation_ttl_hours: p.invitation_ttl_hours,
            self_registration: p.self_registration,
            required_fields: p.required_fields.map(|v| v.into_iter().collect()),
            age_of_majority: p.age_of_majority,
            mfa_required: p.mfa_required,
            contact_name: maybe(p.contact_name, Ok)?,
            contact_phone: p.contact_phone,
            contact_email: maybe(p.contact_email, |e| {
                EmailAddress::parse("contact_email", &e)
            })?,
            limited_access_from_age: p.limited_access_from_age,
            limited_scopes: p.limited_scopes,
            teen_consent_required: p.teen_consent_required,
            min_self_service_age: p.min_self_service_age,
            adult_representative_consent_months: p.adult_representative_consent_months,
            fhir_base_urls: p.fhir_base_urls,
        })
    }
}

#[derive(Default)]
pub struct SettingsApi;

#[OpenApi(prefix_path = "/api/v1/practice", tag = "ApiTags::Settings")]
impl SettingsApi {
    /// Read the practice's settings.
    ///
    /// Roles: all.
    #[oai(path = "/settings", method = "get", operation_id = "getSettings")]
    async fn get_settings(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
    ) -> Result<Json<PracticeSettingsView>> {
        let p = practices::settings(&state.db, &staff.0).await?;
        Ok(Json(p.into()))
    }

    /// Change the practice's settings.
    ///
    /// Roles: admin.
    #[oai(path = "/settings", method = "patch", operation_id = "updateSettings")]
    async fn update_settings(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        body: JsonBody<SettingsPatch>,
    ) -> Result<Json<PracticeSettingsView>> {
        let change = SettingsChange::try_from(body.0)?;
        let p = practices::update_settings(&state.db, &staff.0, change, &meta, state.now()).await?;
        Ok(Json(p.into()))
    }
}
