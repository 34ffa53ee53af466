//! Messages about the account's own security: password reset links, notices that a password,
//! an email address or two-step verification changed, and a warning when a used code came
//! back. They carry links and usernames, never a password, code or clinical detail.

use crate::mail::compose::Email;
use crate::store::outbox::OutgoingMessage;

/// One account's reset link.
#[derive(Debug, Clone)]
pub struct ResetLink {
    pub username: String,
    pub link: String,
}

/// The reset link(s) for everyone using this address: several accounts may share one email
/// (seed 003), so the message names each username with its own link.
pub fn password_reset(to: &str, links: &[ResetLink], ttl_minutes: i64) -> OutgoingMessage {
    let mut email = Email::new("Reset your patient portal password")
        .para("Hello,")
        .para("Someone asked to reset the password of the patient portal account using this email address.");
    match links {
        [one] => {
            email = email
                .para(format!("Your username is {}.", one.username))
                .action("Choose a new password", &one.link);
        }
        many => {
            email = email.para(
                "Several accounts use this address. Each has its own link: use the one for the username you want to reset.",
            );
            for l in many {
                email = email.para(format!("{}: {}", l.username, l.link));
            }
        }
    }
    email
        .para(format!(
            "Each link is valid for {ttl_minutes} minutes and works once. If you did not ask for this, you can ignore this message: your password stays as it is."
        ))
        .render("password_reset", to, None)
}

/// The password of `username` was changed (by a reset or by the person signed in).
pub fn password_changed(to: &str, username: &str, by_reset: bool) -> OutgoingMessage {
    let how = if by_reset {
        "with a reset link"
    } else {
        "from the account's settings"
    };
    Email::new("Your patient portal password was changed")
        .para("Hello,")
        .para(format!(
            "The password of the patient portal account {username} was changed {how}. Every other session of the account has been signed out."
        ))
        .para("If you did not make this change, reset your password at once and contact your practice.")
        .render("password_changed", to, None)
}

/// Two-step verification was turned on or off.
pub fn mfa_changed(to: &str, username: &str, enabled: bool) -> OutgoingMessage {
    let (subject, what) = if enabled {
        ("Two-step verification turned on", "turned on")
    } else {
        ("Two-step verification removed", "removed")
    };
    Email::new(subject)
        .para("Hello,")
        .para(format!(
            "Two-step verification was {what} for the patient portal account {username}."
        ))
        .para("If you did not make this change, reset your password at once and contact your practice.")
        .render("mfa_changed", to, None)
}

/// A verification code that had already been used was sent again: someone may have seen it.
pub fn mfa_code_replayed(to: &str, username: &str) -> OutgoingMessage {
    Email::new("A used sign-in code was tried again")
        .para("Hello,")
        .para(format!(
            "A two-step verification code of the patient portal account {username} was used a second time, and refused. This can happen when someone else has your password and saw the code."
        ))
        .para("If this was not you, change your password now.")
        .render("mfa_code_replayed", to, None)
}

/// The link that confirms a new address before it replaces the old one.
pub fn confirm_new_email(to: &str, username: &str, link: &str, ttl_hours: i64) -> OutgoingMessage {
    Email::new("Confirm your new email address")
        .para("Hello,")
        .para(format!(
            "The patient portal account {username} asked to use this email address from now on. It takes effect when you confirm it."
        ))
        .action("Confirm this email address", link)
        .para(format!(
            "This link is valid for {ttl_hours} hours and works once. If you did not ask for this, ignore this message."
        ))
        .render("email_change_confirm", to, None)
}

/// The old address hears that the account asked to change it (so a change made by someone
/// else does not go unnoticed). The new address is not named.
pub fn email_change_requested(to: &str, username: &str) -> OutgoingMessage {
    Email::new("Your patient portal email address is being changed")
        .para("Hello,")
        .para(format!(
            "The patient portal account {username} asked to change its email address. The change takes effect once the new address is confirmed; messages will then go there."
        ))
        .para("If you did not ask for this, reset your password at once and contact your practice.")
        .render("email_change_notice", to, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_address_gets_each_username_with_its_own_link() {
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
        let msg = password_reset("lee@example.org", &links, 30);
        assert!(
            msg.text
                .contains("ann.lee: https://p.example/reset-password/aaa")
        );
        assert!(
            msg.text
                .contains("bob.lee: https://p.example/reset-password/bbb")
        );
        assert!(msg.text.contains("30 minutes"));
    }
}
