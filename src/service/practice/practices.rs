//! Creating a practice and reading or changing its settings.

use crate::domain::contact::EmailAddress;
use crate::domain::fhir_audience::{self, check_fhir_base_urls};
use crate::domain::practice::{
    DEFAULT_CONSENT_MONTHS, RequiredField, SelfRegistration, Slug, check_age_of_majority,
    check_consent_months, check_contact_phone, check_invitation_ttl_hours, required_fields_from_db,
    required_fields_to_db,
};
use crate::domain::representation::{
    self, DEFAULT_LIMITED_ACCESS_FROM_AGE, DEFAULT_LIMITED_SCOPES, DEFAULT_MIN_SELF_SERVICE_AGE,
    DEFAULT_TEEN_CONSENT_REQUIRED, check_limited_access_from_age, check_limited_scopes,
    check_min_self_service_age,
};
use crate::domain::role::{Permission, Role};
use crate::error::{Error, Result};
use crate::service::practice::api_keys::{self, Staff};
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{practice, practices};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::json;
use std::collections::BTreeSet;
use uuid::Uuid;

/// A practice and its settings, as this capability hands them out.
pub use crate::store::practice::Model as Practice;

/// A practice's settings, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PracticeSettings {
    pub invitation_ttl_hours: i32,
    pub self_registration: SelfRegistration,
    pub required_fields: BTreeSet<RequiredField>,
    pub age_of_majority: i32,
    pub mfa_required: bool,
    pub contact_name: Option<String>,
    pub contact_phone: String,
    pub contact_email: Option<String>,
    pub limited_access_from_age: i32,
    pub limited_scopes: Vec<String>,
    pub teen_consent_required: bool,
    pub min_self_service_age: i32,
    pub adult_representative_consent_months: i32,
    /// The FHIR base URLs the practice's SMART apps may name as `aud` (empty: none set).
    pub fhir_base_urls: Vec<String>,
}

impl PracticeSettings {
    /// The representative rules these settings make.
    pub fn representation(&self) -> representation::Rules {
        representation::Rules {
            age_of_majority: self.age_of_majority,
            limited_access_from_age: self.limited_access_from_age,
            limited_scopes: self.limited_scopes.clone(),
            teen_consent_required: self.teen_consent_required,
        }
    }
}

/// The stored form of `limited_scopes`: a JSON array. Unreadable reads as no scopes (the
/// narrowest choice).
pub fn limited_scopes_from_db(raw: &str) -> Vec<String> {
    serde_json::from_str(raw).unwrap_or_default()
}

fn limited_scopes_to_db(scopes: &[String]) -> String {
    serde_json::Value::from(scopes.to_vec()).to_string()
}

impl From<&practice::Model> for PracticeSettings {
    fn from(p: &practice::Model) -> Self {
        Self {
            invitation_ttl_hours: p.invitation_ttl_hours,
            self_registration: p.self_registration,
            required_fields: required_fields_from_db(&p.required_fields),
            age_of_majority: p.age_of_majority,
            mfa_required: p.mfa_required,
            contact_name: p.contact_name.clone(),
            contact_phone: p.contact_phone.clone(),
            contact_email: p.contact_email.clone(),
            limited_access_from_age: p.limited_access_from_age,
            limited_scopes: limited_scopes_from_db(&p.limited_scopes),
            teen_consent_required: p.teen_consent_required,
            min_self_service_age: p.min_self_service_age,
            adult_representative_consent_months: p.adult_representative_consent_months,
            fhir_base_urls: fhir_audience::from_db(&p.fhir_base_urls).unwrap_or_default(),
        }
    }
}

/// A change to settings; `None` leaves a setting as it is. `contact_name` and `contact_email`
/// use `Some(None)` to clear.
#[derive(Debug, Clone, Default)]
pub struct SettingsChange {
    pub invitation_ttl_hours: Option<i32>,
    pub self_registration: Option<SelfRegistration>,
    pub required_fields: Option<BTreeSet<RequiredField>>,
    pub age_of_majority: Option<i32>,
    pub mfa_required: Option<bool>,
    pub contact_name: Option<Option<String>>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<Option<EmailAddress>>,
    pub limited_access_from_age: Option<i32>,
    pub limited_scopes: Option<Vec<String>>,
    pub teen_consent_required: Option<bool>,
    pub min_self_service_age: Option<i32>,
    pub adult_representative_consent_months: Option<i32>,
    /// Replaces the list (empty: clears it); checked and normalised when applied.
    pub fhir_base_urls: Option<Vec<String>>,
}

/// What `portico practice create` needs.
#[derive(Debug, Clone)]
pub struct NewPractice {
    pub slug: Slug,
    pub name: String,
    pub phone: String,
    pub email: Option<EmailAddress>,
}

impl NewPractice {
    pub fn parse(slug: &str, name: &str, phone: &str, email: Option<&str>) -> Result<Self> {
        Ok(Self {
            slug: Slug::parse(slug)?,
            name: check_practice_name(name)?,
            phone: check_contact_phone(phone)?,
            email: email.map(|e| EmailAddress::parse("email", e)).transpose()?,
        })
    }
}

pub fn check_practice_name(raw: &str) -> Result<String> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > 120 || t.chars().any(char::is_control) {
        return Err(Error::invalid(
            "name",
            "must be between 1 and 120 printable characters",
        ));
    }
    Ok(t.to_owned())
}

/// Creates a practice with default settings and its first admin API key, returned once.
pub async fn create(
    db: &DatabaseConnection,
    new: NewPractice,
    now: DateTime<Utc>,
) -> Result<(practice::Model, String)> {
    let txn = db.begin().await?;
    let id = Uuid::now_v7();
    let row = practice::Model {
        id,
        slug: new.slug.as_str().to_owned(),
        name: new.name.clone(),
        contact_name: None,
        contact_phone: new.phone.clone(),
        contact_email: new.email.as_ref().map(|e| e.as_str().to_owned()),
        invitation_ttl_hours: 72,
        self_registration: SelfRegistration::Off,
        required_fields: RequiredField::EmailOrMobile.as_str().to_owned(),
        age_of_majority: 18,
        mfa_required: false,
        limited_access_from_age: DEFAULT_LIMITED_ACCESS_FROM_AGE,
        limited_scopes: limited_scopes_to_db(
            &DEFAULT_LIMITED_SCOPES
                .iter()
                .map(|s| (*s).to_owned())
                .collect::<Vec<_>>(),
        ),
        teen_consent_required: DEFAULT_TEEN_CONSENT_REQUIRED,
        min_self_service_age: DEFAULT_MIN_SELF_SERVICE_AGE,
        adult_representative_consent_months: DEFAULT_CONSENT_MONTHS,
        fhir_base_urls: fhir_audience::to_db(&[]),
        created_at: now,
        updated_at: now,
    };
    // The unique index on the slug decides, in the insert itself, whether it is taken.
    let model = practices::insert(&txn, &row).await.map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            Error::Conflict(format!(
                "A practice with slug {} already exists.",
                new.slug.as_str()
            ))
        } else {
            e.into()
        }
    })?;
    let (_, key) =
        api_keys::insert_key(&txn, id, Role::Admin, "first admin key", "cli", now).await?;
    audit::record(
        &txn,
        &RequestMeta::none(),
        Event::new("practice.created", Actor::Cli)
            .practice(id)
            .detail(json!({"slug": new.slug.as_str()})),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok((model, key))
}

/// Loads a practice by id.
pub async fn get<C: ConnectionTrait>(conn: &C, id: Uuid) -> Result<practice::Model> {
    practices::find(conn, id).await?.ok_or(Error::NotFound)
}

/// Loads a practice by slug (case-insensitive: slugs are stored lower-case).
pub async fn find_by_slug<C: ConnectionTrait>(
    conn: &C,
    slug: &str,
) -> Result<Option<practice::Model>> {
    Ok(practices::find_by_slug(conn, &slug.trim().to_lowercase()).await?)
}

/// The caller's practice settings.
pub async fn settings(db: &DatabaseConnection, staff: &Staff) -> Result<practice::Model> {
    staff.require(Permission::ReadSettings)?;
    get(db, staff.practice_id).await
}

/// Applies a settings change and records what changed.
pub async fn update_settings(
    db: &DatabaseConnection,
    staff: &Staff,
    change: SettingsChange,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<practice::Model> {
    staff.require(Permission::ManageSettings)?;
    let txn = db.begin().await?;
    let current = get(&txn, staff.practice_id).await?;
    // The age bands are checked against the age of majority they will sit under.
    let majority = change.age_of_majority.unwrap_or(current.age_of_majority);
    let limited_from = change
        .limited_access_from_age
        .unwrap_or(current.limited_access_from_age);
    let min_self = change
        .min_self_service_age
        .unwrap_or(current.min_self_service_age);
    let mut next = current.clone();
    let mut changed = Vec::new();
    if let Some(v) = change.invitation_ttl_hours {
        next.invitation_ttl_hours = check_invitation_ttl_hours(v)?;
        changed.push("invitation_ttl_hours");
    }
    if let Some(v) = change.self_registration {
        next.self_registration = v;
        changed.push("self_registration");
    }
    if let Some(v) = change.required_fields {
        next.required_fields = required_fields_to_db(&v);
        changed.push("required_fields");
    }
    if let Some(v) = change.age_of_majority {
        next.age_of_majority = check_age_of_majority(v)?;
        changed.push("age_of_majority");
    }
    if change.age_of_majority.is_some() || change.limited_access_from_age.is_some() {
        next.limited_access_from_age = check_limited_access_from_age(limited_from, majority)?;
    }
    if change.limited_access_from_age.is_some() {
        changed.push("limited_access_from_age");
    }
    if change.age_of_majority.is_some() || change.min_self_service_age.is_some() {
        next.min_self_service_age = check_min_self_service_age(min_self, majority)?;
    }
    if change.min_self_service_age.is_some() {
        changed.push("min_self_service_age");
    }
    if let Some(v) = change.limited_scopes {
        next.limited_scopes = limited_scopes_to_db(&check_limited_scopes(&v)?);
        changed.push("limited_scopes");
    }
    if let Some(v) = change.teen_consent_required {
        next.teen_consent_required = v;
        changed.push("teen_consent_required");
    }
    if let Some(v) = change.mfa_required {
        next.mfa_required = v;
        changed.push("mfa_required");
    }
    if let Some(v) = change.contact_name {
        next.contact_name = v
            .map(|n| check_practice_name(&n))
            .transpose()
            .map_err(|_| {
                Error::invalid(
                    "contact_name",
                    "must be between 1 and 120 printable characters",
                )
            })?;
        changed.push("contact_name");
    }
    if let Some(v) = change.contact_phone {
        next.contact_phone = check_contact_phone(&v)?;
        changed.push("contact_phone");
    }
    if let Some(v) = change.contact_email {
        next.contact_email = v.map(|e| e.as_str().to_owned());
        changed.push("contact_email");
    }
    if let Some(v) = change.adult_representative_consent_months {
        next.adult_representative_consent_months = check_consent_months(v)?;
        changed.push("adult_representative_consent_months");
    }
    if let Some(v) = change.fhir_base_urls {
        next.fhir_base_urls = fhir_audience::to_db(&check_fhir_base_urls(&v)?);
        changed.push("fhir_base_urls");
    }
    next.updated_at = now;
    let updated = practices::update_changed(&txn, current, &next).await?;
    audit::record(
        &txn,
        meta,
        Event::new("practice.settings_changed", staff.actor())
            .practice(staff.practice_id)
            .detail(json!({ "fields": changed })),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}
