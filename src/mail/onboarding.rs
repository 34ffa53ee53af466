//! The messages of getting portal access: invitations (email and SMS), the sign-up
//! confirmation link, and the notice to an old address when staff change it. Each carries the
//! practice's name and, where there is one, a link built from the configured public URL; none
//! carries clinical details (SECURITY L2).

use crate::domain::access::Relation;
use crate::mail::compose::{Email, sms};
use crate::store::outbox::OutgoingMessage;
use chrono::{DateTime, Utc};

/// The practice as a message names it.
#[derive(Debug, Clone, Copy)]
pub struct Sender<'a> {
    pub name: &'a str,
    pub phone: &'a str,
}

fn until(t: DateTime<Utc>) -> String {
    t.format("%B %-d, %Y at %H:%M UTC").to_string()
}

/// What an invitation says: who it is for and how long the link works.
#[derive(Debug, Clone, Copy)]
pub struct InvitationText<'a> {
    /// The person the message greets: the patient, or the representative.
    pub greet: &'a str,
    pub relation: Relation,
    /// The patient's first name, for a representative ("… for Sam").
    pub patient_first_name: &'a str,
    pub link: &'a str,
    pub ttl_hours: i32,
    pub expires_at: DateTime<Utc>,
}

/// The invitation email (seed 004: "the registration link is only valid for 72 hours").
pub fn invitation_email(to: &str, practice: Sender<'_>, t: InvitationText<'_>) -> OutgoingMessage {
    let invited = if t.relation.is_representative() {
        format!(
            "{} has invited you to set up patient portal access for {}, as their {}.",
            practice.name,
            t.patient_first_name,
            t.relation.as_str()
        )
    } else {
        format!(
            "{} has invited you to set up your patient portal account.",
            practice.name
        )
    };
    let whose = if t.relation.is_representative() {
        format!("{}'s", t.patient_first_name)
    } else {
        "your".to_owned()
    };
    Email::new(format!("Your patient portal invitation from {}", practice.name))
        .para(format!("Hello {},", t.greet))
        .para(invited)
        .para(format!("You will be asked to confirm {whose} date of birth, then to choose a username and password or to sign in with the portal account you already have."))
        .action("Set up portal access", t.link)
        .para(format!(
            "This link is valid for {} hours, until {}, and works once. If it has expired, please ask {} to send a new one.",
            t.ttl_hours,
            until(t.expires_at),
            practice.name
        ))
        .para(format!(
            "If you did not expect this message, you can ignore it. Questions? Call {} on {}.",
            practice.name, practice.phone
        ))
        .render("invitation", to, Some(practice.name))
}

/// The invitation text message: short, the practice's name first, the link and its lifetime.
pub fn invitation_sms(to: &str, practice: Sender<'_>, t: InvitationText<'_>) -> OutgoingMessage {
    let what = if t.relation.is_representative() {
        format!("set up portal access for {}", t.patient_first_name)
    } else {
        "set up your patient portal".to_owned()
    };
    sms(
        "invitation",
        to,
        practice.name,
        &format!("{what}: {} (valid {} hours)", t.link, t.ttl_hours),
    )
}

/// The confirmation link of a self sign-up (seed 003: access is enabled "when the patient
/// verifies his or her email address by clicking on the link").
pub fn verify_email(
    to: &str,
    practice: Sender<'_>,
    first_name: &str,
    link: &str,
    ttl_hours: i64,
) -> OutgoingMessage {
    Email::new(format!("Confirm your email for {}", practice.name))
        .para(format!("Hello {first_name},"))
        .para(format!(
            "Thank you for signing up for the patient portal of {}. Please confirm your email address to turn on your access.",
            practice.name
        ))
        .action("Confirm my email address", link)
        .para(format!("This link is valid for {ttl_hours} hours and works once."))
        .para(format!(
            "If you did not sign up, you can ignore this message. Questions? Call {} on {}.",
            practice.name, practice.phone
        ))
        .render("email_verification", to, Some(practice.name))
}

/// Seed 003's privacy note: when staff change the email on a record with active portal access,
/// the old address hears of it, so a change made by someone else does not go unnoticed. The
/// new address is not named.
pub fn email_changed_notice(to: &str, practice: Sender<'_>) -> OutgoingMessage {
    Email::new(format!(
        "Your email address at {} was changed",
        practice.name
    ))
    .para("Hello,")
    .para(format!(
        "The email address on your patient record at {} was changed. Portal messages will no longer be sent to this address, and any portal invitation sent to it no longer works.",
        practice.name
    ))
    .para(format!(
        "If you did not ask for this change, please call {} on {} right away.",
        practice.name, practice.phone
    ))
    .render("email_changed", to, Some(practice.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn text(relation: Relation) -> InvitationText<'static> {
        InvitationText {
            greet: "Bea",
            relation,
            patient_first_name: "Sam",
            link: "https://portal.example/invite/tok",
            ttl_hours: 72,
            expires_at: Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap(),
        }
    }

    const SMITH: Sender<'static> = Sender {
        name: "Smith Family Clinic",
        phone: "555-0100",
    };

    #[test]
    fn invitation_email_states_lifetime_and_practice() {
        let m = invitation_email("bea@example.org", SMITH, text(Relation::Parent));
        assert!(m.text.contains("for Sam, as their parent"), "{}", m.text);
        assert!(m.text.contains("confirm Sam's date of birth"), "{}", m.text);
        assert!(
            m.text
                .contains("valid for 72 hours, until November 26, 2026 at 09:00 UTC")
        );
        assert!(m.text.contains("https://portal.example/invite/tok"));
        assert!(m.html.unwrap().contains("Smith Family Clinic"));
        assert_eq!(
            m.subject.as_deref(),
            Some("Your patient portal invitation from Smith Family Clinic")
        );
    }

    #[test]
    fn invitation_sms_is_short() {
        let m = invitation_sms("+15550100123", SMITH, text(Relation::Own));
        assert_eq!(
            m.text,
            "Smith Family Clinic: set up your patient portal: https://portal.example/invite/tok (valid 72 hours)"
        );
        assert!(m.text.chars().count() < 160);
    }
}
