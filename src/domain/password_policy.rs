//! The one password rule, used wherever a password is chosen: sign-up, invitation
//! redemption, staff-created accounts, change and reset (NIST SP 800-63B-4 §3.1.1.2).
//!
//! Length is counted in Unicode code points, as typed; there are no composition rules.

use crate::error::Error;

/// The shortest password allowed when every login of the account also needs a second factor.
pub const MIN_LENGTH_WITH_MFA: usize = 8;
/// The shortest password allowed for a password-only account.
pub const MIN_LENGTH: usize = 15;
/// The longest password accepted; longer ones are refused before any hashing.
pub const MAX_LENGTH: usize = 128;

/// What a password must not contain: who it belongs to and where it is used.
#[derive(Debug, Clone, Default)]
pub struct PasswordContext<'a> {
    pub username: Option<&'a str>,
    pub email: Option<&'a str>,
    pub practice_name: Option<&'a str>,
    /// Every login of this account needs a TOTP code as well.
    pub mfa: bool,
}

/// Accepts or refuses a new password, saying why (422 `weak_password`).
pub fn check(password: &str, ctx: &PasswordContext<'_>) -> Result<(), Error> {
    let len = password.chars().count();
    let min = if ctx.mfa {
        MIN_LENGTH_WITH_MFA
    } else {
        MIN_LENGTH
    };
    if len < min {
        return Err(Error::WeakPassword(format!(
            "The password must be at least {min} characters long."
        )));
    }
    if len > MAX_LENGTH {
        return Err(Error::WeakPassword(format!(
            "The password must be at most {MAX_LENGTH} characters long."
        )));
    }
    if password.chars().any(char::is_control) {
        return Err(Error::WeakPassword(
            "The password must not contain control characters.".into(),
        ));
    }
    let lowered = password.to_lowercase();
    let email_local = ctx.email.and_then(|e| e.split('@').next());
    for (word, what) in [
        (ctx.username, "your username"),
        (email_local, "your email address"),
        (ctx.practice_name, "the practice's name"),
    ] {
        if let Some(w) = word
            .map(str::to_lowercase)
            .filter(|w| w.chars().count() >= 3)
            && lowered.contains(&w)
        {
            return Err(Error::WeakPassword(format!(
                "The password must not contain {what}."
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> PasswordContext<'static> {
        PasswordContext {
            username: Some("ann.lee"),
            email: Some("ann.lee@example.org"),
            practice_name: Some("Smith Clinic"),
            mfa: false,
        }
    }

    #[test]
    fn length_is_counted_in_code_points() {
        assert!(check(&"a".repeat(14), &ctx()).is_err());
        assert!(check(&"a".repeat(15), &ctx()).is_ok());
        assert!(check(&"😀".repeat(15), &ctx()).is_ok());
        assert!(check(&"a".repeat(128), &ctx()).is_ok());
        assert!(check(&"a".repeat(129), &ctx()).is_err());
        assert!(check("eight ch", &PasswordContext { mfa: true, ..ctx() }).is_ok());
    }

    #[test]
    fn context_words_are_refused() {
        for pw in ["ann.lee-is-my-password", "my smith clinic password"] {
            assert!(
                matches!(check(pw, &ctx()), Err(Error::WeakPassword(_))),
                "{pw}"
            );
        }
    }
}
