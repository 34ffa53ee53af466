//! The `practices` table.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "practices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    pub contact_name: Option<String>,
    pub contact_phone: String,
    pub contact_email: Option<String>,
    pub invitation_ttl_hours: i32,
    pub self_registration: crate::domain::practice::SelfRegistration,
    pub required_fields: String,
    pub age_of_majority: i32,
    pub mfa_required: bool,
    /// How long a patient's consent to an adult representative lasts.
    pub adult_representative_consent_months: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// From this age a parent's or guardian's access is limited (issue 11 age bands).
    pub limited_access_from_age: i32,
    /// JSON array of the scopes limited access keeps.
    pub limited_scopes: String,
    /// Limited access needs the teenager's consent (a code from the practice).
    pub teen_consent_required: bool,
    /// The youngest patient who may sign up or redeem an invitation for themself.
    pub min_self_service_age: i32,
    /// JSON array of the FHIR base URLs the practice's SMART apps name as `aud` (normalised,
    /// no trailing `/`); `[]`: none set, the server-wide rule applies.
    #[sea_orm(column_type = "Text")]
    pub fhir_base_urls: String,
}

impl ActiveModelBehavior for ActiveModel {}
