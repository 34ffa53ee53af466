//! Turning a service's `Error` into words on the form: which field it belongs to and what to
//! say. The rules stay in the services; this only names fields the way the page does and
//! phrases the message as a sentence ("Username must be between 3 and 64 characters.").

use crate::error::Error;
use crate::web::form::{FormData, FormErrors};

/// One field of a page's form: its input name, the name the service uses for it in
/// `Error::Validation { field }`, how to call it in a sentence, and what to say when it was
/// left empty.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub input: &'static str,
    pub service: &'static str,
    pub label: String,
    pub missing: String,
    pub date: bool,
}

impl FieldSpec {
    pub fn text(
        input: &'static str,
        service: &'static str,
        label: impl Into<String>,
        missing: impl Into<String>,
    ) -> Self {
        Self {
            input,
            service,
            label: label.into(),
            missing: missing.into(),
            date: false,
        }
    }

    pub fn date(
        input: &'static str,
        service: &'static str,
        label: impl Into<String>,
        missing: impl Into<String>,
    ) -> Self {
        Self {
            date: true,
            ..Self::text(input, service, label, missing)
        }
    }

    fn left_empty(&self, form: &FormData) -> bool {
        if self.date {
            ["day", "month", "year"]
                .iter()
                .all(|p| form.is_blank(&format!("{}_{p}", self.input)))
        } else {
            form.is_blank(self.input)
        }
    }
}

/// A message as a sentence about a field: the services phrase field messages as the end of
/// one ("must be …"), and whole sentences as such.
pub fn sentence(label: &str, message: &str) -> String {
    let message = message.trim();
    let mut s = if message.starts_with(|c: char| c.is_lowercase()) {
        format!("{label} {message}")
    } else {
        message.to_owned()
    };
    if !s.ends_with(['.', '!', '?']) {
        s.push('.');
    }
    s
}

/// Records a service error on the form when it is about what was typed; gives it back when it
/// is not (an expired link, the database down), for the caller to turn into a page.
pub fn on_form(
    err: Error,
    specs: &[FieldSpec],
    form: &FormData,
    errors: &mut FormErrors,
) -> Result<(), Error> {
    match err {
        Error::Validation { field, message } => match specs.iter().find(|s| s.service == field) {
            Some(spec) if spec.left_empty(form) => errors.add(spec.input, spec.missing.clone()),
            Some(spec) => errors.add(spec.input, sentence(&spec.label, &message)),
            None => errors.alert = Some(sentence("This form", &message)),
        },
        Error::WeakPassword(message) => errors.add("password", sentence("The password", &message)),
        Error::UsernameTaken => errors.add(
            "username",
            "That username is already taken. Please choose another.",
        ),
        Error::InvalidCredentials => errors.add(
            "password",
            "The username or password is not right. Please check them and try again.",
        ),
        Error::Conflict(message) => errors.alert = Some(sentence("This", &message)),
        e @ (Error::RateLimited { .. } | Error::BelowMinimumAge { .. }) => {
            errors.alert = Some(e.to_string())
        }
        other => return Err(other),
    }
    Ok(())
}

/// The value of a parse at the edge (`PersonName::parse`, `Username::parse`, …), or `None`
/// with its error recorded on the form.
pub fn parsed<T>(
    result: Result<T, Error>,
    specs: &[FieldSpec],
    form: &FormData,
    errors: &mut FormErrors,
) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            if let Err(other) = on_form(e, specs, form, errors) {
                // Parsing only ever fails with `Validation`; say something all the same.
                errors.alert = Some(sentence("This form", &other.to_string()));
            }
            None
        }
    }
}

/// Checks the boxes of a date for the page (the service checks what the date means).
pub fn check_date(
    form: &FormData,
    spec: &FieldSpec,
    errors: &mut FormErrors,
) -> Option<chrono::NaiveDate> {
    use crate::web::form::DateInput;
    match form.date(spec.input) {
        DateInput::Date(d) => Some(d),
        DateInput::Missing => {
            errors.add(spec.input, spec.missing.clone());
            None
        }
        DateInput::Invalid => {
            errors.add(
                spec.input,
                format!(
                    "{} must be a real date, with the year in 4 digits, for example 27 3 2007.",
                    spec.label
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_become_sentences_about_the_field() {
        assert_eq!(
            sentence("Username", "must be between 3 and 64 characters"),
            "Username must be between 3 and 64 characters."
        );
        assert_eq!(
            sentence("Date of birth", "The details do not match our records."),
            "The details do not match our records."
        );
    }

    #[test]
    fn an_empty_field_is_asked_for_whatever_the_service_said() {
        let specs = [FieldSpec::text(
            "postal_code",
            "postal_code",
            "Postal code",
            "Enter your home postal code.",
        )];
        let mut errors = FormErrors::default();
        on_form(
            Error::invalid("postal_code", "must be on the patient's record"),
            &specs,
            &FormData::default(),
            &mut errors,
        )
        .unwrap();
        let ctx = errors.context(&["postal_code"]);
        assert_eq!(
            ctx.get_attr("errors")
                .unwrap()
                .get_attr("postal_code")
                .unwrap()
                .to_string(),
            "Enter your home postal code."
        );
        assert!(
            on_form(
                Error::Unavailable,
                &specs,
                &FormData::default(),
                &mut errors
            )
            .is_err()
        );
    }
}
