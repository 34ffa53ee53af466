//! Where a portal access stands: its own module, so that the error enum can name a status
//! without depending on the access rules (which return that error).

use sea_orm::{DeriveActiveEnum, EnumIter, prelude::StringLen};

/// Where a portal access stands.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    EnumIter,
    DeriveActiveEnum,
)]
#[serde(rename_all = "snake_case")]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum AccessStatus {
    /// An invitation was sent; nobody has redeemed it yet.
    Invited,
    /// Signed up, waiting for the emailed link to be followed (seed 003).
    PendingVerification,
    /// The account may log in to this practice for this patient.
    Active,
    /// Login refused with the practice's contact details; the link stays (seeds 000, 001).
    Blocked,
    /// Deactivated: links and sessions killed; a new invitation re-grants (seed 004).
    Revoked,
    /// A parent's or guardian's access ended when the patient came of age.
    Expired,
    /// An adult representative redeemed their link; the patient has not yet approved.
    PendingConsent,
    /// The patient's consent to an adult representative ran out; only the patient can renew it.
    ConsentExpired,
}

impl AccessStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessStatus::Invited => "invited",
            AccessStatus::PendingVerification => "pending_verification",
            AccessStatus::Active => "active",
            AccessStatus::Blocked => "blocked",
            AccessStatus::Revoked => "revoked",
            AccessStatus::Expired => "expired",
            AccessStatus::PendingConsent => "pending_consent",
            AccessStatus::ConsentExpired => "consent_expired",
        }
    }
}
