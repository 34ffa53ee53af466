//! The codes of two-step verification: TOTP (RFC 6238 through totp-rs: SHA-1, 6 digits,
//! 30-second steps, ±1 step of skew, server clock only) and recovery codes (`xxxxx-xxxxx`,
//! about 50 bits, compared without separators or case). `mfa` decides when they are asked for
//! and spends them.

use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use rand::Rng;
use totp_rs::{Builder, Secret, Totp};

/// The issuer shown in authenticator apps.
const ISSUER: &str = "Portico";
/// TOTP step length in seconds (totp-rs's default; the tests count steps with it).
#[cfg(test)]
const STEP_SECS: i64 = 30;

/// A TOTP for `secret`, labelled with the username in authenticator apps.
pub(super) fn totp(secret: Vec<u8>, username: &str) -> Result<Totp> {
    Builder::new()
        .with_secret(Secret::from(secret))
        .with_issuer(Some(ISSUER))
        .with_account_name(username.replace(':', "_"))
        .build()
        .map_err(|e| Error::internal(anyhow::anyhow!("building the TOTP: {e}")))
}

/// The step a 6-digit code matches within ±1 step of `now`, if any.
pub(super) fn matching_step(t: &Totp, code: &str, now: DateTime<Utc>) -> Option<i64> {
    let code = code.trim().replace(' ', "");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let time = u64::try_from(now.timestamp()).ok()?;
    t.check(&code, time).and_then(|s| i64::try_from(s).ok())
}

/// A recovery code as shown: `xxxxx-xxxxx`, lower case, no look-alike characters.
pub(super) fn new_recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    let chars: String = (0..10)
        .map(|_| {
            loop {
                let b = (rng.next_u32() & 0x1f) as usize;
                if b < ALPHABET.len() {
                    break ALPHABET[b] as char;
                }
            }
        })
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// How a typed recovery code is compared: without separators or spaces, in lower case.
pub(super) fn normalise_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The TOTP step of an instant.
#[cfg(test)]
fn step_of(now: DateTime<Utc>) -> i64 {
    now.timestamp().div_euclid(STEP_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_ten_characters_and_compare_loosely() {
        let c = new_recovery_code();
        assert_eq!(c.len(), 11);
        assert_eq!(
            normalise_recovery(&c.to_uppercase()),
            normalise_recovery(&c)
        );
        assert_eq!(normalise_recovery(&c).len(), 10);
    }

    #[test]
    fn codes_match_within_one_step_only() {
        let t = totp(vec![7u8; 20], "ann.lee").unwrap();
        let now = DateTime::from_timestamp(1_800_000_015, 0).unwrap();
        let at = |secs: i64| {
            t.generate(u64::try_from(now.timestamp() + secs).unwrap())
                .to_string()
        };
        assert_eq!(matching_step(&t, &at(0), now), Some(step_of(now)));
        assert_eq!(matching_step(&t, &at(-30), now), Some(step_of(now) - 1));
        assert_eq!(matching_step(&t, &at(30), now), Some(step_of(now) + 1));
        assert_eq!(matching_step(&t, &at(-60), now), None);
        assert_eq!(matching_step(&t, &at(60), now), None);
        assert_eq!(matching_step(&t, "12345", now), None);
    }
}
