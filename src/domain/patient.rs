//! Rules about a patient's record.

use crate::error::Error;
use chrono::{Datelike, NaiveDate};

/// A date of birth: not in the future, not before 1900.
pub fn check_date_of_birth(
    field: &str,
    dob: NaiveDate,
    today: NaiveDate,
) -> Result<NaiveDate, Error> {
    if dob > today {
        return Err(Error::invalid(field, "must not be in the future"));
    }
    if dob.year() < 1900 {
        return Err(Error::invalid(field, "must be after 1900"));
    }
    Ok(dob)
}

/// A postal address line: 1 to 200 printable characters, trimmed.
pub fn check_address(field: &str, raw: &str) -> Result<String, Error> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > 200 || t.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            "must be between 1 and 200 printable characters",
        ));
    }
    Ok(t.to_owned())
}

/// Age in whole years on `today` (a birthday on 29 February counts on 1 March in other years).
pub fn age_on(dob: NaiveDate, today: NaiveDate) -> i32 {
    let mut age = today.year() - dob.year();
    if (today.month(), today.day()) < (dob.month(), dob.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn age_turns_on_the_birthday() {
        assert_eq!(age_on(d("2008-11-23"), d("2026-11-22")), 17);
        assert_eq!(age_on(d("2008-11-23"), d("2026-11-23")), 18);
        assert_eq!(age_on(d("2008-02-29"), d("2026-02-28")), 17);
        assert_eq!(age_on(d("2008-02-29"), d("2026-03-01")), 18);
    }

    #[test]
    fn future_birth_dates_are_refused() {
        assert!(check_date_of_birth("dob", d("2030-01-01"), d("2026-11-23")).is_err());
        assert!(check_date_of_birth("dob", d("1850-01-01"), d("2026-11-23")).is_err());
    }
}
