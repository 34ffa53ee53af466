//! Notices about a patient's record and access: the outcome of a demographic change request,
//! and a representative's access ending when the patient comes of age. Like every message,
//! they name the practice and carry no clinical details (SECURITY L2).

use crate::mail::compose::Email;
use crate::mail::onboarding::Sender;
use crate::store::outbox::OutgoingMessage;

/// The practice accepted the changes a patient (or representative) asked for.
pub fn demographic_change_accepted(
    to: &str,
    practice: Sender<'_>,
    patient_first_name: &str,
) -> OutgoingMessage {
    Email::new(format!("Your details at {} were updated", practice.name))
        .para("Hello,")
        .para(format!(
            "{} reviewed the changes you asked for to {}'s details and accepted them. The record now shows them.",
            practice.name, patient_first_name
        ))
        .para(format!(
            "Questions? Call {} on {}.",
            practice.name, practice.phone
        ))
        .render("demographic_change_accepted", to, Some(practice.name))
}

/// The practice declined the changes, with its reason.
pub fn demographic_change_declined(
    to: &str,
    practice: Sender<'_>,
    patient_first_name: &str,
    reason: &str,
) -> OutgoingMessage {
    Email::new(format!(
        "Your change request at {} was declined",
        practice.name
    ))
    .para("Hello,")
    .para(format!(
        "{} reviewed the changes you asked for to {}'s details and did not make them.",
        practice.name, patient_first_name
    ))
    .para(format!("The practice's reason: {reason}"))
    .para(format!(
        "Questions? Call {} on {}.",
        practice.name, practice.phone
    ))
    .render("demographic_change_declined", to, Some(practice.name))
}

/// A parent's or guardian's access ended because the patient reached the age of majority.
pub fn representative_access_ended(
    to: &str,
    practice: Sender<'_>,
    patient_first_name: &str,
    age_of_majority: i32,
) -> OutgoingMessage {
    Email::new(format!(
        "Your portal access for {} at {} has ended",
        patient_first_name, practice.name
    ))
    .para("Hello,")
    .para(format!(
        "{patient_first_name} has turned {age_of_majority}, so your portal access to their record at {} as their parent or guardian has ended. {patient_first_name} can now have portal access of their own.",
        practice.name
    ))
    .para(format!(
        "If {patient_first_name} wants you to keep helping with their care, they can ask {} to give you access again. Questions? Call {} on {}.",
        practice.name, practice.name, practice.phone
    ))
    .render("representative_access_ended", to, Some(practice.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMITH: Sender<'static> = Sender {
        name: "Smith Family Clinic",
        phone: "555-0100",
    };

    #[test]
    fn a_decline_gives_the_reason() {
        let m = demographic_change_declined("bea@example.org", SMITH, "Sam", "Please bring ID.");
        assert!(m.text.contains("Please bring ID."), "{}", m.text);
        assert!(m.text.contains("555-0100"));
    }

    #[test]
    fn the_age_out_notice_names_the_age() {
        let m = representative_access_ended("bea@example.org", SMITH, "Sam", 18);
        assert!(m.text.contains("Sam has turned 18"), "{}", m.text);
        assert_eq!(m.template, "representative_access_ended");
    }
}
