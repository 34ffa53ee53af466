//! Messages about a held sign-up (issue 11, item 6): received, linked, rejected. They name the
//! practice and greet by first name; they never say that a matching record exists.

use crate::mail::compose::Email;
use crate::mail::onboarding::Sender;
use crate::store::outbox::OutgoingMessage;

/// The sign-up was received and waits for the practice.
pub fn received(to: &str, practice: Sender<'_>, first_name: &str) -> OutgoingMessage {
    Email::new(format!("Your sign-up at {}", practice.name))
        .para(format!("Hello {first_name},"))
        .para(format!(
            "Thank you for signing up for the patient portal of {}. Before your access starts, the practice will check your details and contact you. You do not need to do anything now.",
            practice.name
        ))
        .para(format!(
            "If you did not sign up, you can ignore this message. Questions? Call {} on {}.",
            practice.name, practice.phone
        ))
        .render("registration_held", to, Some(practice.name))
}

/// The practice linked the sign-up and its access is on.
pub fn access_on(
    to: &str,
    practice: Sender<'_>,
    first_name: &str,
    login_url: &str,
) -> OutgoingMessage {
    Email::new(format!("Your portal access at {} is on", practice.name))
        .para(format!("Hello {first_name},"))
        .para(format!(
            "{} has checked your sign-up and turned on your patient portal access. Log in with the username and password you chose.",
            practice.name
        ))
        .action("Log in", login_url)
        .render("registration_linked", to, Some(practice.name))
}

/// The practice did not accept the sign-up.
pub fn rejected(to: &str, practice: Sender<'_>, first_name: &str, reason: &str) -> OutgoingMessage {
    Email::new(format!("Your sign-up at {}", practice.name))
        .para(format!("Hello {first_name},"))
        .para(format!(
            "{} could not complete your patient portal sign-up. The practice says: {reason}",
            practice.name
        ))
        .para(format!(
            "Please call {} on {} if you have questions.",
            practice.name, practice.phone
        ))
        .render("registration_rejected", to, Some(practice.name))
}
