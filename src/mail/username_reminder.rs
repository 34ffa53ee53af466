//! The "forgot username" message: every username that uses the address, each with the first
//! names of the patients it is for, so that a household sharing one address (seed 003) can
//! tell them apart. First names only: no practice, date of birth or other detail.

use crate::mail::compose::Email;
use crate::store::outbox::OutgoingMessage;

/// One account on the address, as the reminder lists it.
#[derive(Debug, Clone)]
pub struct UsernameEntry {
    pub username: String,
    /// The first names of the patients the account is for (the account holder's own first
    /// name when it has no portal access yet); may be empty.
    pub first_names: Vec<String>,
}

/// `ann.lee (for Ann)`: a username with its patients' first names.
pub fn line(e: &UsernameEntry) -> String {
    if e.first_names.is_empty() {
        e.username.clone()
    } else {
        format!("{} (for {})", e.username, e.first_names.join(", "))
    }
}

/// The reminder for an address with one or more accounts.
pub fn username_reminder(to: &str, entries: &[UsernameEntry], login_url: &str) -> OutgoingMessage {
    let mut email = Email::new("Your patient portal username")
        .para("Hello,")
        .para("Someone asked for the usernames of the patient portal accounts that use this email address.");
    email = match entries {
        [one] => email.para(format!("Your username is {}.", line(one))),
        many => {
            let mut e = email.para("Several accounts use this address:");
            for entry in many {
                e = e.para(line(entry));
            }
            e
        }
    };
    email
        .action("Log in", login_url)
        .para("If you have forgotten the password too, use \"Forgotten your password?\" on the log-in page. If you did not ask for this, you can ignore this message.")
        .render("username_reminder", to, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_address_lists_each_username_with_its_patients_first_names() {
        let entries = [
            UsernameEntry {
                username: "ann.lee".into(),
                first_names: vec!["Ann".into()],
            },
            UsernameEntry {
                username: "bob.lee".into(),
                first_names: vec!["Sam".into(), "Mia".into()],
            },
            UsernameEntry {
                username: "new.lee".into(),
                first_names: vec![],
            },
        ];
        let msg = username_reminder("lee@example.org", &entries, "https://p.example/login");
        assert!(msg.text.contains("ann.lee (for Ann)"), "{}", msg.text);
        assert!(msg.text.contains("bob.lee (for Sam, Mia)"), "{}", msg.text);
        assert!(msg.text.contains("new.lee"), "{}", msg.text);
    }
}
