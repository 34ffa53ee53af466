//! A practice (tenant): its slug and the settings that shape every rule applied to its patients.

use crate::error::Error;
use sea_orm::{DeriveActiveEnum, EnumIter, prelude::StringLen};
use std::collections::BTreeSet;

/// A practice's URL name: `smith-family-clinic`. Lower case, so unique case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let s = raw.trim().to_lowercase();
        let ok_chars = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !(2..=63).contains(&s.len()) || !ok_chars || s.starts_with('-') || s.ends_with('-') {
            return Err(Error::invalid(
                "slug",
                "must be 2 to 63 lower-case letters, digits and inner dashes, like smith-family-clinic",
            ));
        }
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether and how people may sign themselves up at a practice (seed 003).
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
pub enum SelfRegistration {
    /// Only invitations and staff-created accounts.
    Off,
    /// Access is enabled once the emailed confirmation link is followed.
    VerifyEmail,
    /// Access is enabled at once.
    AutoActivate,
}

impl SelfRegistration {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::VerifyEmail => "verify_email",
            Self::AutoActivate => "auto_activate",
        }
    }
}

/// Details that must be on a patient's file before portal access can be granted
/// (seed 003: "a home zip code and email address on file"; seed 004: "email address or cell
/// phone number", so `email_or_mobile`, the default, lets a cell number alone do).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum RequiredField {
    Email,
    PostalCode,
    Mobile,
    /// An email address or a mobile number, either will do.
    EmailOrMobile,
}

impl RequiredField {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::PostalCode => "postal_code",
            Self::Mobile => "mobile",
            Self::EmailOrMobile => "email_or_mobile",
        }
    }
    fn from_db(raw: &str) -> Option<Self> {
        match raw {
            "email" => Some(Self::Email),
            "postal_code" => Some(Self::PostalCode),
            "mobile" => Some(Self::Mobile),
            "email_or_mobile" => Some(Self::EmailOrMobile),
            _ => None,
        }
    }
}

/// The stored form of a set of required fields: `email,postal_code`.
pub fn required_fields_to_db(fields: &BTreeSet<RequiredField>) -> String {
    fields
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

pub fn required_fields_from_db(raw: &str) -> BTreeSet<RequiredField> {
    raw.split(',').filter_map(RequiredField::from_db).collect()
}

/// Limits on the numeric settings, in one place.
pub fn check_invitation_ttl_hours(hours: i32) -> Result<i32, Error> {
    if !(1..=720).contains(&hours) {
        return Err(Error::invalid(
            "invitation_ttl_hours",
            "must be between 1 and 720 hours",
        ));
    }
    Ok(hours)
}

/// The lowest age of majority a practice may set.
pub const MIN_AGE_OF_MAJORITY: i32 = 14;

pub fn check_age_of_majority(age: i32) -> Result<i32, Error> {
    if !(MIN_AGE_OF_MAJORITY..=25).contains(&age) {
        return Err(Error::invalid(
            "age_of_majority",
            "must be between 14 and 25",
        ));
    }
    Ok(age)
}

/// How long a patient's consent to an adult representative lasts, unless the practice says
/// otherwise.
pub const DEFAULT_CONSENT_MONTHS: i32 = 18;

/// Consent lasts from one month to ten years.
pub fn check_consent_months(months: i32) -> Result<i32, Error> {
    if !(1..=120).contains(&months) {
        return Err(Error::invalid(
            "adult_representative_consent_months",
            "must be between 1 and 120 months",
        ));
    }
    Ok(months)
}

/// A phone number shown to blocked patients: digits with the usual punctuation.
pub fn check_contact_phone(raw: &str) -> Result<String, Error> {
    let t = raw.trim();
    let digits = t.chars().filter(char::is_ascii_digit).count();
    if !(3..=20).contains(&digits)
        || t.len() > 32
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().x".contains(c))
    {
        return Err(Error::invalid(
            "contact_phone",
            "must be a phone number, like 555-0100",
        ));
    }
    Ok(t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lower_case_and_dashed() {
        assert_eq!(
            Slug::parse("Smith-Family-Clinic").unwrap().as_str(),
            "smith-family-clinic"
        );
        assert!(Slug::parse("-x").is_err());
        assert!(Slug::parse("a b").is_err());
        assert!(Slug::parse("a").is_err());
    }

    #[test]
    fn required_fields_round_trip() {
        let set: BTreeSet<_> = [RequiredField::PostalCode, RequiredField::Email].into();
        assert_eq!(required_fields_to_db(&set), "email,postal_code");
        assert_eq!(required_fields_from_db("email,postal_code"), set);
        let either: BTreeSet<_> = [RequiredField::EmailOrMobile].into();
        assert_eq!(required_fields_to_db(&either), "email_or_mobile");
        assert_eq!(required_fields_from_db("email_or_mobile"), either);
    }

    #[test]
    fn contact_phone_accepts_common_forms() {
        assert!(check_contact_phone("555-0100").is_ok());
        assert!(check_contact_phone("+1 (555) 010-0100 x12").is_ok());
        assert!(check_contact_phone("call us").is_err());
    }
}
