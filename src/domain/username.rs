//! Portal usernames: unique across the deployment, compared case-insensitively, and allowed
//! to be an email address (seed 001: "use the patient's email address as the username").

use crate::error::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let t = raw.trim();
        let len = t.chars().count();
        if !(3..=64).contains(&len) {
            return Err(Error::invalid(
                "username",
                "must be between 3 and 64 characters",
            ));
        }
        if !t
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+'))
        {
            return Err(Error::invalid(
                "username",
                "may contain letters, digits and . _ - @ + only",
            ));
        }
        Ok(Self(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The unique, case-insensitive form (`Ann.Lee` and `ann.lee` are one username).
    pub fn folded(&self) -> String {
        fold(&self.0)
    }
}

/// Folds a login identifier the way usernames are stored, for lookups.
pub fn fold(raw: &str) -> String {
    raw.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_fold_case_and_allow_email_form() {
        assert_eq!(Username::parse("Ann.Lee").unwrap().folded(), "ann.lee");
        assert!(Username::parse("ann@example.org").is_ok());
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("ann lee").is_err());
        assert!(Username::parse("ann;drop").is_err());
    }
}
