//! A self sign-up, parsed at the edge (seed 003's electronic registration form).

use crate::domain::contact::{EmailAddress, MobileNumber, PersonName, PostalCode};
use crate::domain::username::Username;
use chrono::NaiveDate;

/// A sign-up, parsed.
pub struct Registration {
    pub practice: String,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub date_of_birth: NaiveDate,
    pub email: Option<EmailAddress>,
    pub mobile: Option<MobileNumber>,
    pub postal_code: Option<PostalCode>,
    pub username: Username,
    pub password: String,
}
