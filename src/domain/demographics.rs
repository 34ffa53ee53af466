//! Demographic change requests (seed 004: "Any demographic information the patient completes
//! on their portal will transfer to the EHR for you to review and accept or reject"): what a
//! patient may ask to change, and the states a request goes through.

use crate::domain::contact::{EmailAddress, MobileNumber, PersonName, PostalCode};
use crate::domain::patient::{check_address, check_date_of_birth};
use crate::error::Error;
use chrono::NaiveDate;
use sea_orm::{DeriveActiveEnum, EnumIter, prelude::StringLen};
use serde::{Deserialize, Serialize};

/// Where a request stands. Only `pending` ones can be decided, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, EnumIter, DeriveActiveEnum)]
#[serde(rename_all = "snake_case")]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "snake_case"
)]
pub enum ChangeStatus {
    Pending,
    Accepted,
    Declined,
}

impl ChangeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeStatus::Pending => "pending",
            ChangeStatus::Accepted => "accepted",
            ChangeStatus::Declined => "declined",
        }
    }
}

/// The new values a patient asks for; absent fields stay as they are. Stored as JSON in
/// `demographic_changes.changes` after validation, so a stored request always applies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestedChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
}

impl RequestedChanges {
    /// Checks every given value as a practice's own edit would be checked, and normalises it
    /// (trimmed names, E.164 mobile). At least one field must be given.
    pub fn validate(self, today: NaiveDate) -> Result<Self, Error> {
        let out = Self {
            first_name: self
                .first_name
                .map(|v| PersonName::parse("changes.first_name", &v).map(|n| n.as_str().to_owned()))
                .transpose()?,
            last_name: self
                .last_name
                .map(|v| PersonName::parse("changes.last_name", &v).map(|n| n.as_str().to_owned()))
                .transpose()?,
            date_of_birth: self
                .date_of_birth
                .map(|d| check_date_of_birth("changes.date_of_birth", d, today))
                .transpose()?,
            email: self
                .email
                .map(|v| EmailAddress::parse("changes.email", &v).map(|e| e.as_str().to_owned()))
                .transpose()?,
            mobile: self
                .mobile
                .map(|v| MobileNumber::parse("changes.mobile", &v).map(|m| m.as_str().to_owned()))
                .transpose()?,
            address: self
                .address
                .map(|v| check_address("changes.address", &v))
                .transpose()?,
            postal_code: self
                .postal_code
                .map(|v| {
                    PostalCode::parse("changes.postal_code", &v).map(|p| p.as_str().to_owned())
                })
                .transpose()?,
        };
        if out.fields().is_empty() {
            return Err(Error::invalid("changes", "must change at least one field"));
        }
        Ok(out)
    }

    /// Names of the fields asked for (audited without their values).
    pub fn fields(&self) -> Vec<&'static str> {
        [
            ("first_name", self.first_name.is_some()),
            ("last_name", self.last_name.is_some()),
            ("date_of_birth", self.date_of_birth.is_some()),
            ("email", self.email.is_some()),
            ("mobile", self.mobile.is_some()),
            ("address", self.address.is_some()),
            ("postal_code", self.postal_code.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    #[test]
    fn only_given_fields_are_kept_and_normalised() {
        let c = RequestedChanges {
            last_name: Some("  Rivera ".into()),
            mobile: Some("+1 555 010 0199".into()),
            ..Default::default()
        }
        .validate(today())
        .unwrap();
        assert_eq!(c.last_name.as_deref(), Some("Rivera"));
        assert_eq!(c.mobile.as_deref(), Some("+15550100199"));
        assert_eq!(c.fields(), vec!["last_name", "mobile"]);
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"last_name":"Rivera","mobile":"+15550100199"}"#
        );
    }

    #[test]
    fn an_empty_or_invalid_request_is_refused() {
        assert!(RequestedChanges::default().validate(today()).is_err());
        let bad = RequestedChanges {
            email: Some("not an email".into()),
            ..Default::default()
        };
        assert!(bad.validate(today()).is_err());
        let future = RequestedChanges {
            date_of_birth: NaiveDate::from_ymd_opt(2030, 1, 1),
            ..Default::default()
        };
        assert!(future.validate(today()).is_err());
    }
}
