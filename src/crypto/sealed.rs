//! Secrets encrypted at rest with `PORTICO_KEY_ENCRYPTION_SECRET`: signing keys now, TOTP
//! secrets later (issue 6). Library primitives only: HKDF-SHA256 derives one AES-256-GCM key
//! per purpose from the configured secret, and aws-lc-rs's `RandomizedNonceKey` picks a fresh
//! random nonce for every seal. The record's id is the associated data, so a sealed value
//! copied onto another row does not open.
//!
//! Stored form (text): `v1.` + base64url(nonce ‖ ciphertext ‖ tag). Without a configured
//! secret, values are stored as `plain.` + base64url(bytes) so that the two are never confused.

use anyhow::{Context, anyhow, bail};
use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use aws_lc_rs::hkdf::{HKDF_SHA256, Salt};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

const SEALED_PREFIX: &str = "v1.";
/// The mark of a value stored without encryption (no secret was configured when it was written).
pub const PLAIN_PREFIX: &str = "plain.";
/// Fixed, public domain separation for the HKDF extract step; the secret is the input key.
const HKDF_SALT: &[u8] = b"portico key encryption v1";

/// What a sealed value is for; each purpose gets its own derived key.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    SigningKey,
    /// Issue 6's TOTP seeds.
    TotpSecret,
    /// A practice-API response kept for an `Idempotency-Key` (it may carry a new secret).
    IdempotentResponse,
    /// A webhook subscription's signing secret (it must sign, so it cannot be a hash).
    WebhookSecret,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::SigningKey => b"signing-key",
            Purpose::TotpSecret => b"totp-secret",
            Purpose::IdempotentResponse => b"idempotent-response",
            Purpose::WebhookSecret => b"webhook-secret",
        }
    }
}

/// Seals and opens values for one purpose. `None` secret: values are stored encoded, not
/// encrypted (the operator chose not to configure a secret).
pub struct Sealer {
    key: Option<RandomizedNonceKey>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("encrypting", &self.key.is_some())
            .finish()
    }
}

impl Sealer {
    pub fn new(secret: Option<&str>, purpose: Purpose) -> anyhow::Result<Self> {
        let Some(secret) = secret else {
            return Ok(Self { key: None });
        };
        let prk = Salt::new(HKDF_SHA256, HKDF_SALT).extract(secret.as_bytes());
        let mut key_bytes = [0u8; 32];
        prk.expand(&[purpose.label()], &AES_256_GCM)
            .and_then(|okm| okm.fill(&mut key_bytes))
            .map_err(|_| anyhow!("deriving the key-encryption key"))?;
        let key = RandomizedNonceKey::new(&AES_256_GCM, &key_bytes)
            .map_err(|_| anyhow!("creating the key-encryption key"))?;
        Ok(Self { key: Some(key) })
    }

    /// The stored form of `plaintext`, bound to `record_id`.
    pub fn seal(&self, plaintext: &[u8], record_id: &str) -> anyhow::Result<String> {
        let Some(key) = &self.key else {
            return Ok(format!(
                "{PLAIN_PREFIX}{}",
                URL_SAFE_NO_PAD.encode(plaintext)
            ));
        };
        let mut in_out = plaintext.to_vec();
        let nonce = key
            .seal_in_place_append_tag(Aad::from(record_id.as_bytes()), &mut in_out)
            .map_err(|_| anyhow!("encrypting"))?;
        let mut envelope = Vec::with_capacity(NONCE_LEN + in_out.len());
        envelope.extend_from_slice(nonce.as_ref());
        envelope.extend_from_slice(&in_out);
        Ok(format!(
            "{SEALED_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(envelope)
        ))
    }

    /// The plaintext of a stored value. Errors say what the operator must fix, never the value.
    pub fn open(&self, stored: &str, record_id: &str) -> anyhow::Result<Vec<u8>> {
        if let Some(encoded) = stored.strip_prefix(PLAIN_PREFIX) {
            return URL_SAFE_NO_PAD
                .decode(encoded)
                .context("the stored value is not valid base64");
        }
        let Some(encoded) = stored.strip_prefix(SEALED_PREFIX) else {
            bail!("the stored value has an unknown format");
        };
        let Some(key) = &self.key else {
            bail!("it is encrypted and PORTICO_KEY_ENCRYPTION_SECRET is not set");
        };
        let mut envelope = URL_SAFE_NO_PAD
            .decode(encoded)
            .context("the stored value is not valid base64")?;
        if envelope.len() < NONCE_LEN {
            bail!("the stored value is truncated");
        }
        let nonce = Nonce::try_assume_unique_for_key(&envelope[..NONCE_LEN])
            .map_err(|_| anyhow!("the stored nonce is malformed"))?;
        let plaintext = key
            .open_in_place(
                nonce,
                Aad::from(record_id.as_bytes()),
                &mut envelope[NONCE_LEN..],
            )
            .map_err(|_| {
                anyhow!(
                    "it does not decrypt: PORTICO_KEY_ENCRYPTION_SECRET differs from the one it was encrypted with"
                )
            })?;
        Ok(plaintext.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "an operator's secret of at least 32 characters";

    #[test]
    fn sealed_values_round_trip_and_hide_the_plaintext() {
        let s = Sealer::new(Some(SECRET), Purpose::SigningKey).unwrap();
        let a = s.seal(b"private key bytes", "kid-1").unwrap();
        let b = s.seal(b"private key bytes", "kid-1").unwrap();
        assert!(a.starts_with("v1."));
        assert_ne!(a, b, "every seal uses a fresh nonce");
        assert!(!a.contains(&URL_SAFE_NO_PAD.encode(b"private key bytes")));
        assert_eq!(s.open(&a, "kid-1").unwrap(), b"private key bytes");
    }

    #[test]
    fn another_record_another_purpose_or_another_secret_cannot_open() {
        let s = Sealer::new(Some(SECRET), Purpose::SigningKey).unwrap();
        let sealed = s.seal(b"x", "kid-1").unwrap();
        assert!(s.open(&sealed, "kid-2").is_err());
        let totp = Sealer::new(Some(SECRET), Purpose::TotpSecret).unwrap();
        assert!(totp.open(&sealed, "kid-1").is_err());
        let other = Sealer::new(Some(&format!("{SECRET}!")), Purpose::SigningKey).unwrap();
        let err = other.open(&sealed, "kid-1").unwrap_err().to_string();
        assert!(err.contains("PORTICO_KEY_ENCRYPTION_SECRET"), "{err}");
        let none = Sealer::new(None, Purpose::SigningKey).unwrap();
        assert!(none.open(&sealed, "kid-1").is_err());
    }

    #[test]
    fn without_a_secret_values_are_marked_plain() {
        let s = Sealer::new(None, Purpose::SigningKey).unwrap();
        let stored = s.seal(b"abc", "kid").unwrap();
        assert!(stored.starts_with("plain."));
        assert_eq!(s.open(&stored, "kid").unwrap(), b"abc");
        // A secret configured later still reads values stored before it.
        let later = Sealer::new(Some(SECRET), Purpose::SigningKey).unwrap();
        assert_eq!(later.open(&stored, "kid").unwrap(), b"abc");
    }
}
