//! The messages of a representative's access and the patient's consent: the request to the
//! patient, the notice that someone gained access to their record (issue 11, item 3), and the
//! notices when consent is given, declined, lapses or the patient ends the access. Names and
//! the practice only, never clinical details (SECURITY L2).

use crate::domain::access::Relation;
use crate::mail::compose::Email;
use crate::mail::onboarding::Sender;
use crate::store::outbox::OutgoingMessage;
use chrono::{DateTime, Utc};

/// How a relation reads in a sentence: "as your spouse or partner".
pub fn relation_words(relation: Relation) -> &'static str {
    match relation {
        Relation::Own => "yourself",
        Relation::Parent => "parent",
        Relation::Guardian => "guardian",
        Relation::Spouse => "spouse or partner",
        Relation::Caregiver => "caregiver",
        Relation::Other => "representative",
    }
}

fn until(t: DateTime<Utc>) -> String {
    t.format("%B %-d, %Y").to_string()
}

/// Who asks, for what, and where: what the consent request and the notices name.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub representative_name: &'a str,
    pub relation: Relation,
    pub patient_first_name: &'a str,
}

/// The link and code a patient uses to approve or decline.
#[derive(Debug, Clone, Copy)]
pub struct ConsentLink<'a> {
    pub link: &'a str,
    pub code: &'a str,
    /// The page where the code can be typed.
    pub code_page: &'a str,
    pub expires_at: DateTime<Utc>,
}

/// To the patient: someone asks to act for them; approve or decline.
pub fn consent_request(
    to: &str,
    practice: Sender<'_>,
    who: Who<'_>,
    l: ConsentLink<'_>,
) -> OutgoingMessage {
    // The name is what the requester typed when they set up the access: say so, and keep it
    // out of the subject, so that a made-up name cannot pass for a message from the practice.
    Email::new(format!(
        "Someone asks to see your patient portal record at {}",
        practice.name
    ))
    .para(format!("Hello {},", who.patient_first_name))
    .para(format!(
        "Someone has set up patient portal access to your record at {}, as your {}. Because you are an adult, they can use it only if you agree.",
        practice.name,
        relation_words(who.relation)
    ))
    .para(format!(
        "Name entered by the requester: {} (as they typed it when they set up the access).",
        who.representative_name
    ))
    .para("Please approve or decline their access. If you do nothing, they will not be able to use it.")
    .action("Approve or decline", l.link)
    .para(format!(
        "You can also open {} and type this code: {}",
        l.code_page, l.code
    ))
    .para(format!(
        "The link and code work once, until {}. If you did not expect this, decline, or call {} on {}.",
        until(l.expires_at),
        practice.name,
        practice.phone
    ))
    .render("representative_consent_request", to, Some(practice.name))
}

/// To the patient: someone now has access to their record (any relation), and how to end it.
pub fn access_gained(
    to: &str,
    practice: Sender<'_>,
    who: Who<'_>,
    account_url: &str,
    consent_until: Option<DateTime<Utc>>,
) -> OutgoingMessage {
    let mut email = Email::new(format!(
        "{} now has access to your patient portal record at {}",
        who.representative_name, practice.name
    ))
    .para(format!("Hello {},", who.patient_first_name))
    .para(format!(
        "{} now has patient portal access to your record at {}, as your {}.",
        who.representative_name,
        practice.name,
        relation_words(who.relation)
    ));
    if let Some(t) = consent_until {
        email = email.para(format!(
            "Your consent lasts until {}; you will be asked to renew it then.",
            until(t)
        ));
    }
    email
        .para("You can end their access at any time from your account page. If you did not expect this, end it there or call the practice.")
        .action("Open your account page", account_url)
        .para(format!(
            "Questions? Call {} on {}.",
            practice.name, practice.phone
        ))
        .render("representative_access_granted", to, Some(practice.name))
}

/// To the representative: the patient approved (or renewed) their access.
pub fn consent_given(to: &str, practice: Sender<'_>, patient_first_name: &str) -> OutgoingMessage {
    Email::new(format!(
        "{patient_first_name} approved your portal access at {}",
        practice.name
    ))
    .para("Hello,")
    .para(format!(
        "{patient_first_name} has agreed that you may use the patient portal at {} for them. You can log in now.",
        practice.name
    ))
    .render("representative_consent_given", to, Some(practice.name))
}

/// To the representative: the patient declined.
pub fn consent_declined(
    to: &str,
    practice: Sender<'_>,
    patient_first_name: &str,
) -> OutgoingMessage {
    Email::new(format!(
        "Your portal access for {patient_first_name} at {} was not approved",
        practice.name
    ))
    .para("Hello,")
    .para(format!(
        "{patient_first_name} did not approve your patient portal access to their record at {}, so it has been cancelled.",
        practice.name
    ))
    .para(format!(
        "Questions? Call {} on {}.",
        practice.name, practice.phone
    ))
    .render("representative_consent_declined", to, Some(practice.name))
}

/// To the representative: the patient's consent ran out.
pub fn consent_lapsed_representative(
    to: &str,
    practice: Sender<'_>,
    patient_first_name: &str,
) -> OutgoingMessage {
    Email::new(format!(
        "Your portal access for {patient_first_name} at {} is paused",
        practice.name
    ))
    .para("Hello,")
    .para(format!(
        "{patient_first_name}'s consent to your patient portal access at {} has run out, so you cannot use it for now. Only {patient_first_name} can renew it, from their account page.",
        practice.name
    ))
    .render("representative_consent_lapsed", to, Some(practice.name))
}

/// To the patient: their consent ran out; they can renew it.
pub fn consent_lapsed_patient(
    to: &str,
    practice: Sender<'_>,
    who: Who<'_>,
    account_url: &str,
) -> OutgoingMessage {
    Email::new(format!(
        "Your consent for {} at {} has run out",
        who.representative_name, practice.name
    ))
    .para(format!("Hello {},", who.patient_first_name))
    .para(format!(
        "Your consent to {}'s patient portal access to your record at {}, as your {}, has run out, so they can no longer use it.",
        who.representative_name,
        practice.name,
        relation_words(who.relation)
    ))
    .para("If you want them to keep helping you, renew it from your account page. Otherwise there is nothing to do.")
    .action("Open your account page", account_url)
    .render("patient_consent_lapsed", to, Some(practice.name))
}

/// To the representative: the patient ended their access.
pub fn access_ended_by_patient(
    to: &str,
    practice: Sender<'_>,
    patient_first_name: &str,
) -> OutgoingMessage {
    Email::new(format!(
        "Your portal access for {patient_first_name} at {} has ended",
        practice.name
    ))
    .para("Hello,")
    .para(format!(
        "{patient_first_name} has ended your patient portal access to their record at {}.",
        practice.name
    ))
    .para(format!(
        "Questions? Call {} on {}.",
        practice.name, practice.phone
    ))
    .render(
        "representative_access_ended_by_patient",
        to,
        Some(practice.name),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMITH: Sender<'static> = Sender {
        name: "Smith Family Clinic",
        phone: "555-0100",
    };

    #[test]
    fn the_access_notice_names_who_the_relation_and_the_practice() {
        let who = Who {
            representative_name: "Cal Lee",
            relation: Relation::Spouse,
            patient_first_name: "Ann",
        };
        let m = access_gained("ann@example.org", SMITH, who, "https://p/account", None);
        assert!(
            m.text
                .contains("Cal Lee now has patient portal access to your record at Smith Family Clinic, as your spouse or partner."),
            "{}",
            m.text
        );
        assert!(m.text.contains("https://p/account"));
    }
}
