//! Email addresses, mobile numbers, postal codes and person names.

use crate::error::Error;
use std::str::FromStr;

/// An email address as lettre's typed builder will accept it: no CR, LF or other header
/// injection can get through (SECURITY L1). Stored as typed; compared folded to lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses an optional field: absent stays absent.
    pub fn parse_opt(field: &str, raw: Option<&str>) -> Result<Option<Self>, Error> {
        raw.map(|r| Self::parse(field, r)).transpose()
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, Error> {
        let trimmed = raw.trim();
        if trimmed.len() > 254 || trimmed.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(Error::invalid(field, "must be a valid email address"));
        }
        lettre::Address::from_str(trimmed)
            .map_err(|_| Error::invalid(field, "must be a valid email address"))?;
        Ok(Self(trimmed.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn folded(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A mobile number in E.164 form (`+15550100123`). Spaces, dashes, dots and brackets typed by
/// staff are removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MobileNumber(String);

impl MobileNumber {
    /// Parses an optional field: absent stays absent.
    pub fn parse_opt(field: &str, raw: Option<&str>) -> Result<Option<Self>, Error> {
        raw.map(|r| Self::parse(field, r)).transpose()
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, Error> {
        let cleaned: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
            .collect();
        let digits = cleaned.strip_prefix('+').unwrap_or(&cleaned);
        if !cleaned.starts_with('+')
            || !(7..=15).contains(&digits.len())
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(Error::invalid(
                field,
                "must be a mobile number in international form, like +15550100123",
            ));
        }
        Ok(Self(cleaned))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A postal or zip code: letters, digits, spaces and dashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostalCode(String);

impl PostalCode {
    /// Parses an optional field: absent stays absent.
    pub fn parse_opt(field: &str, raw: Option<&str>) -> Result<Option<Self>, Error> {
        raw.map(|r| Self::parse(field, r)).transpose()
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, Error> {
        let t = raw.trim();
        if t.is_empty()
            || t.len() > 16
            || !t
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        {
            return Err(Error::invalid(
                field,
                "must be a postal code of up to 16 letters and digits",
            ));
        }
        Ok(Self(t.to_uppercase()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A given or family name: 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(field: &str, raw: &str) -> Result<Self, Error> {
        let t = raw.trim();
        if t.is_empty() || t.chars().count() > 100 {
            return Err(Error::invalid(
                field,
                "must be between 1 and 100 characters",
            ));
        }
        if t.chars().any(char::is_control) {
            return Err(Error::invalid(field, "must not contain control characters"));
        }
        Ok(Self(t.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Lower-cased for case-insensitive search.
    pub fn folded(&self) -> String {
        self.0.to_lowercase()
    }
}

/// Free text from a practice's own system (the EHR's id, a practitioner's reference).
pub fn parse_reference(field: &str, raw: &str) -> Result<String, Error> {
    let t = raw.trim();
    if t.is_empty() || t.len() > 64 || t.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            "must be between 1 and 64 printable characters",
        ));
    }
    Ok(t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_header_injection_is_refused() {
        assert!(EmailAddress::parse("email", "a@b.c\r\nBcc: x@y.z").is_err());
        assert!(EmailAddress::parse("email", "not-an-email").is_err());
        assert_eq!(
            EmailAddress::parse("email", " Ann@Example.org ")
                .unwrap()
                .folded(),
            "ann@example.org"
        );
    }

    #[test]
    fn mobile_numbers_are_normalised_to_e164() {
        assert_eq!(
            MobileNumber::parse("m", "+1 (555) 010-0123")
                .unwrap()
                .as_str(),
            "+15550100123"
        );
        assert!(MobileNumber::parse("m", "5550100").is_err());
        assert!(MobileNumber::parse("m", "+12ab").is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(PersonName::parse("n", "  Ann ").unwrap().as_str(), "Ann");
        assert!(PersonName::parse("n", "   ").is_err());
        assert!(PersonName::parse("n", &"x".repeat(101)).is_err());
        assert!(PersonName::parse("n", "a\u{0}b").is_err());
    }
}
