//! Standard Webhooks signatures (standardwebhooks.com): a secret `whsec_` + base64 of 32
//! random bytes, and `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`,
//! several space-separated while a rotated secret is still valid. HMAC from aws-lc-rs.

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;

pub const SECRET_PREFIX: &str = "whsec_";

/// A new signing secret, in the form receivers' Standard Webhooks libraries take.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The key bytes of a secret made by [`new_secret`].
fn key_bytes(secret: &str) -> Option<Vec<u8>> {
    STANDARD.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()
}

/// One `v1,<signature>` for `secret`; `None` when the secret is malformed.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, &key_bytes(secret)?);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(id.as_bytes());
    ctx.update(b".");
    ctx.update(timestamp.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body);
    Some(format!("v1,{}", STANDARD.encode(ctx.sign().as_ref())))
}

/// The `webhook-signature` header value: one signature per secret, space-separated.
pub fn header(secrets: &[String], id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let sigs: Option<Vec<String>> = secrets
        .iter()
        .map(|s| sign(s, id, timestamp, body))
        .collect();
    Some(sigs?.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_reference_vector() {
        // The example from the Standard Webhooks specification's reference libraries.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn new_secrets_sign_and_rotation_gives_two_signatures() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        let h = header(&[a.clone(), b], "evt", 1, b"{}").unwrap();
        assert_eq!(h.split(' ').count(), 2);
        assert!(h.starts_with(&sign(&a, "evt", 1, b"{}").unwrap()));
        assert!(sign("nope", "evt", 1, b"{}").is_none());
    }
}
