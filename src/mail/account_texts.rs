//! Text messages about the account itself, for accounts whose contact is a mobile number
//! (issue 22, phone-first patients): reset links, username reminders and the notice that a
//! password changed. Short, with the practice's name first (see `compose::sms`), and like the
//! emails they carry links and usernames, never a password, code or clinical detail.

use crate::mail::account_security::ResetLink;
use crate::mail::compose::sms;
use crate::mail::username_reminder::{UsernameEntry, line};
use crate::store::outbox::OutgoingMessage;

/// The reset link(s) for every account on the number, each named by its username.
pub fn password_reset(
    to: &str,
    sender: &str,
    links: &[ResetLink],
    ttl_minutes: i64,
) -> OutgoingMessage {
    let text = match links {
        [one] => format!(
            "reset the portal password of {}: {} (valid {ttl_minutes} minutes, works once). Did not ask? Ignore this.",
            one.username, one.link
        ),
        many => format!(
            "reset links for the portal accounts on this number (valid {ttl_minutes} minutes, each works once): {}. Did not ask? Ignore this.",
            many.iter()
                .map(|l| format!("{}: {}", l.username, l.link))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    sms("password_reset", to, sender, &text)
}

/// Every username on the number, with the first names of the patients each is for.
pub fn username_reminder(
    to: &str,
    sender: &str,
    entries: &[UsernameEntry],
    login_url: &str,
) -> OutgoingMessage {
    let names = entries.iter().map(line).collect::<Vec<_>>().join("; ");
    let text = match entries {
        [_] => format!("your portal username is {names}. Log in: {login_url}"),
        _ => format!("the portal usernames on this number are {names}. Log in: {login_url}"),
    };
    sms("username_reminder", to, sender, &text)
}

/// The password of `username` was changed.
pub fn password_changed(to: &str, sender: &str, username: &str) -> OutgoingMessage {
    sms(
        "password_changed",
        to,
        sender,
        &format!(
            "the password of your portal account {username} was changed. If this was not you, reset it now and call the practice."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_number_gets_each_username_with_its_own_link() {
        let links = [
            ResetLink {
                username: "ann.lee".into(),
                link: "https://p.example/reset-password/aaa".into(),
            },
            ResetLink {
                username: "bob.lee".into(),
                link: "https://p.example/reset-password/bbb".into(),
            },
        ];
        let msg = password_reset("+15550100123", "Smith", &links, 30);
        assert!(msg.text.starts_with("Smith: "), "{}", msg.text);
        assert!(
            msg.text
                .contains("ann.lee: https://p.example/reset-password/aaa, ")
        );
        assert!(
            msg.text
                .contains("bob.lee: https://p.example/reset-password/bbb. ")
        );
        assert!(msg.html.is_none() && msg.subject.is_none());
    }

    #[test]
    fn a_reminder_names_the_patients_by_first_name() {
        let entries = [UsernameEntry {
            username: "pat.lee".into(),
            first_names: vec!["Sam".into(), "Mia".into()],
        }];
        let msg = username_reminder("+15550100123", "Smith", &entries, "https://p.example/login");
        assert_eq!(
            msg.text,
            "Smith: your portal username is pat.lee (for Sam, Mia). Log in: https://p.example/login"
        );
    }
}
