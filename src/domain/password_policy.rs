//! The one password rule, used wherever a password is chosen: sign-up, invitation
//! redemption, staff-created accounts, change and reset (NIST SP 800-63B-4 §3.1.1.2).
//!
//! Length is counted in Unicode code points, as typed; there are no composition rules. The
//! 10,000 most common passwords (`common_passwords.txt`, with its source and licence) are
//! refused, also with digits or symbols appended or the same word repeated ("password1234567",
//! "monkeymonkeymonkey"), and so are passwords containing the username, the email's local
//! part, the practice's name or the product's name, and so are passwords known from breaches
//! (`breached_passwords`: over four million, checked offline).

use crate::domain::breached_passwords;
use crate::error::Error;
use std::collections::HashSet;
use std::sync::LazyLock;

/// The bundled list, parsed once.
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// The product's own name, which people put in passwords for it.
const PRODUCT_NAME: &str = "portico";

/// Whether the password is a common one, or a common one padded with trailing digits and
/// symbols, or one repeated. Compared in lower case (the list is).
pub fn is_common(password: &str) -> bool {
    let lowered = password.to_lowercase();
    if COMMON.contains(lowered.as_str()) {
        return true;
    }
    let stem = lowered.trim_end_matches(|c: char| !c.is_alphabetic());
    if stem.chars().count() >= 4 && COMMON.contains(stem) {
        return true;
    }
    // The same listed word (or digits) repeated: "monkeymonkeymonkey", "123456123456123".
    let chars: Vec<char> = lowered.chars().collect();
    (1..=chars.len() / 2).any(|n| {
        let unit: String = chars[..n].iter().collect();
        chars
            .chunks(n)
            .all(|c| unit.starts_with(&c.iter().collect::<String>()))
            && (COMMON.contains(unit.as_str())
                || (n <= 2 && unit.chars().all(|c| c.is_ascii_alphanumeric())))
    })
}

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
    if is_common(password) {
        return Err(Error::WeakPassword(
            "This password is one of the most commonly used passwords: please choose another."
                .into(),
        ));
    }
    if breached_passwords::active().contains(password) {
        return Err(Error::WeakPassword(
            "This password has appeared in a data breach, so attackers try it early: please choose another."
                .into(),
        ));
    }
    let lowered = password.to_lowercase();
    let email_local = ctx.email.and_then(|e| e.split('@').next());
    for (word, what) in [
        (ctx.username, "your username"),
        (email_local, "your email address"),
        (ctx.practice_name, "the practice's name"),
        (Some(PRODUCT_NAME), "the name of this service"),
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
        // Letters in a non-repeating order, so only the length decides.
        let typed = |n: usize| -> String {
            (0..n)
                .map(|i| char::from(b'a' + u8::try_from((i * 7 + i / 26) % 26).unwrap()))
                .collect()
        };
        assert!(check(&typed(14), &ctx()).is_err());
        assert!(check(&typed(15), &ctx()).is_ok());
        assert!(check(&"😀".repeat(15), &ctx()).is_ok());
        assert!(check(&typed(64), &ctx()).is_ok());
        assert!(check(&typed(128), &ctx()).is_ok());
        assert!(check(&typed(129), &ctx()).is_err());
        assert!(check("eight ch", &PasswordContext { mfa: true, ..ctx() }).is_ok());
    }

    #[test]
    fn breached_passwords_are_refused_even_when_long_and_uncommon() {
        let err = check("princessTheeleQuick", &ctx()).unwrap_err();
        assert!(format!("{err:?}").contains("data breach"), "{err:?}");
        assert!(check("princess theele quick river", &ctx()).is_ok());
    }

    #[test]
    fn the_bundled_list_has_ten_thousand_entries() {
        assert_eq!(COMMON.len(), 10_000);
        assert!(COMMON.contains("password") && COMMON.contains("123456"));
    }

    #[test]
    fn common_passwords_are_refused_also_padded_or_repeated() {
        let mfa = PasswordContext { mfa: true, ..ctx() };
        for pw in [
            "password",
            "Password",
            "baseball",
            "password1234567",
            "Password!!!!!!!!",
            "monkeymonkeymonkey",
            "123456123456123456",
            "aaaaaaaaaaaaaaaa",
            "abababababababab",
        ] {
            let err = check(pw, &mfa).expect_err(pw);
            assert!(err.to_string().contains("commonly used"), "{pw}: {err}");
        }
        for pw in [
            "correct horse battery staple",
            "my own long passphrase 2026",
        ] {
            assert!(check(pw, &ctx()).is_ok(), "{pw}");
        }
    }

    #[test]
    fn context_words_are_refused() {
        for pw in [
            "ann.lee-is-my-password",
            "my smith clinic password",
            "my portico passphrase here",
        ] {
            assert!(
                matches!(check(pw, &ctx()), Err(Error::WeakPassword(_))),
                "{pw}"
            );
        }
    }
}
