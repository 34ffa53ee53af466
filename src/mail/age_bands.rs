//! Notices of a change of age band (issue 11), sent once on the birthday from which a parent's
//! or guardian's access is limited: one to the representative, one to the teenager when an
//! email is on their record. Like every message, they name the practice and carry no clinical
//! details (SECURITY L2).

use crate::mail::compose::Email;
use crate::mail::onboarding::Sender;
use crate::store::outbox::OutgoingMessage;

/// To the parent or guardian: what they can still see, and how consent works when required.
pub fn representative_access_limited(
    to: &str,
    practice: Sender<'_>,
    patient_first_name: &str,
    age: i32,
    areas: &[String],
    consent_required: bool,
) -> OutgoingMessage {
    let what = if areas.is_empty() {
        "no part of their record".to_owned()
    } else {
        areas.join(", ")
    };
    let mut email = Email::new(format!(
        "Your portal access for {} at {} has changed",
        patient_first_name, practice.name
    ))
    .para("Hello,")
    .para(format!(
        "{patient_first_name} has turned {age}. From today your portal access to their record at {} as their parent or guardian is limited to: {what}.",
        practice.name
    ));
    if consent_required {
        email = email.para(format!(
            "{} asks for {patient_first_name}'s consent first: {patient_first_name} can get a consent code from the practice and give it to you to enter in the portal.",
            practice.name
        ));
    }
    email
        .para(format!(
            "Questions? Call {} on {}.",
            practice.name, practice.phone
        ))
        .render("representative_access_limited", to, Some(practice.name))
}

/// To the teenager: their parent's access is now limited.
pub fn patient_representation_limited(
    to: &str,
    practice: Sender<'_>,
    patient_first_name: &str,
    age: i32,
    consent_required: bool,
) -> OutgoingMessage {
    let mut email = Email::new(format!(
        "Your parent's portal access at {} has changed",
        practice.name
    ))
    .para(format!("Hello {patient_first_name},"))
    .para(format!(
        "Now that you are {age}, your parent's or guardian's portal access to your record at {} is limited: they no longer see your clinical record.",
        practice.name
    ));
    if consent_required {
        email = email.para(format!(
            "They need your consent even for that: if you agree, ask {} for a consent code and give it to them.",
            practice.name
        ));
    }
    email
        .para(format!(
            "Questions? Call {} on {}.",
            practice.name, practice.phone
        ))
        .render("patient_representation_limited", to, Some(practice.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMITH: Sender<'static> = Sender {
        name: "Smith Family Clinic",
        phone: "555-0100",
    };

    #[test]
    fn the_parent_is_told_what_remains_and_about_consent() {
        let areas = vec!["appointments".to_owned(), "billing".to_owned()];
        let m = representative_access_limited("bea@example.org", SMITH, "Sam", 12, &areas, true);
        assert!(m.text.contains("appointments, billing"), "{}", m.text);
        assert!(m.text.contains("consent code"), "{}", m.text);
        assert_eq!(m.template, "representative_access_limited");
    }
}
