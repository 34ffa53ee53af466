//! High-entropy opaque secrets (invitation, reset, verification and refresh tokens, API keys):
//! 256 bits from a CSPRNG, shown once, stored only as SHA-256. Because they carry full entropy a
//! fast hash is enough, and lookups are by equality on an indexed column.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Prefix that makes a leaked API key recognisable to secret scanners.
pub const API_KEY_PREFIX: &str = "ptc_";

/// A new random token: 32 bytes, base64url without padding (43 characters).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A new staff API key.
pub fn new_api_key() -> String {
    format!("{API_KEY_PREFIX}{}", new_token())
}

/// The at-rest form of a token: lower-case hex SHA-256.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two secrets without leaking where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Whether a presented token is shaped like one of ours; anything else is refused before any
/// database work.
pub fn looks_like_token(raw: &str) -> bool {
    raw.len() == 43
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Random characters from an alphabet without look-alikes (no 0/O, 1/l/I), for temporary
/// passwords and recovery codes that people type.
pub fn human_code(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| {
            // Rejection sampling keeps the distribution uniform.
            loop {
                let b = (rng.next_u32() & 0x3f) as usize;
                if b < ALPHABET.len() {
                    return ALPHABET[b] as char;
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_and_distinct() {
        let a = new_token();
        let b = new_token();
        assert_eq!(a.len(), 43);
        assert!(looks_like_token(&a));
        assert_ne!(a, b);
    }

    #[test]
    fn hash_is_hex_sha256() {
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn human_codes_avoid_look_alikes() {
        let c = human_code(200);
        assert!(!c.contains(['0', 'O', '1', 'l', 'I']));
    }
}
