//! A client's registered public keys for `private_key_jwt` (RFC 7523, OpenID Connect Core §9):
//! an inline JWKS, checked once at registration and parsed into verification keys when the
//! client is read (the parsed client is cached, so no assertion parses a key).
//!
//! Each key's algorithm is pinned by its `kty`/`crv` (and its `alg` when it names one), so an
//! assertion's header cannot pick a weaker or different algorithm for the key (RFC 8725 §2.1,
//! §3.1): RSA keys (2048 bits or more) verify RS256 or RS384, P-256 keys ES256, P-384 keys
//! ES384, Ed25519 keys EdDSA. No `none`, no HMAC, no private or symmetric key material.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;

/// The assertion algorithms accepted (SMART Backend Services asks for RS384 and ES384).
pub const ASSERTION_ALGS: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// At most this many keys a client (two or three cover a rotation).
const MAX_KEYS: usize = 10;
/// RSA moduli shorter than 2048 bits are refused (RFC 7518 §3.3).
const MIN_RSA_MODULUS_BYTES: usize = 256;
/// Members that carry private or symmetric key material.
const SECRET_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// One registered key: its id, what it may verify and the key itself.
#[derive(Clone)]
pub struct ClientKey {
    pub kid: String,
    pub algs: Vec<Algorithm>,
    key: DecodingKey,
}

/// A client's keys, parsed.
#[derive(Clone, Default)]
pub struct ClientKeys(Vec<ClientKey>);

impl std::fmt::Debug for ClientKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|k| (&k.kid, &k.algs)))
            .finish()
    }
}

/// Why no key verifies an assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRefusal {
    UnknownKid,
    /// The key exists but is pinned to other algorithms.
    AlgMismatch,
}

impl ClientKeys {
    /// Parses and checks a JWKS (`{"keys": [...]}`); the error says what is wrong, for the
    /// client API's validation message.
    pub fn parse(jwks: &Value) -> Result<Self, String> {
        let keys = jwks
            .as_object()
            .and_then(|o| o.get("keys"))
            .and_then(Value::as_array)
            .ok_or("must be a JWK Set: an object with a \"keys\" array")?;
        if keys.is_empty() || keys.len() > MAX_KEYS {
            return Err(format!("must list between 1 and {MAX_KEYS} keys"));
        }
        let mut out: Vec<ClientKey> = Vec::with_capacity(keys.len());
        for raw in keys {
            let key = parse_key(raw)?;
            if out.iter().any(|k| k.kid == key.kid) {
                return Err(format!("lists the kid {:?} twice", key.kid));
            }
            out.push(key);
        }
        Ok(Self(out))
    }

    /// The key that verifies an assertion whose header names `kid` and `alg`.
    pub fn find(&self, kid: &str, alg: Algorithm) -> Result<&DecodingKey, KeyRefusal> {
        let key = self
            .0
            .iter()
            .find(|k| k.kid == kid)
            .ok_or(KeyRefusal::UnknownKid)?;
        if key.algs.contains(&alg) {
            Ok(&key.key)
        } else {
            Err(KeyRefusal::AlgMismatch)
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The name of an algorithm as JOSE spells it.
pub fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::RS256 => "RS256",
        Algorithm::RS384 => "RS384",
        Algorithm::ES256 => "ES256",
        Algorithm::ES384 => "ES384",
        Algorithm::EdDSA => "EdDSA",
        _ => "other",
    }
}

fn parse_key(raw: &Value) -> Result<ClientKey, String> {
    let obj = raw.as_object().ok_or("each key must be a JSON object")?;
    let text = |name: &str| obj.get(name).and_then(Value::as_str);
    let kid = text("kid")
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .ok_or("each key needs a kid (1 to 200 characters)")?
        .to_owned();
    if let Some(m) = SECRET_MEMBERS.iter().find(|m| obj.contains_key(**m)) {
        return Err(format!(
            "key {kid:?} holds private key material ({m:?}): register public keys only"
        ));
    }
    if text("use").is_some_and(|u| u != "sig") {
        return Err(format!(
            "key {kid:?} must be for signatures (\"use\": \"sig\")"
        ));
    }
    // What the key type allows; the key's own `alg`, when given, must be one of them.
    let allowed: &[Algorithm] = match (text("kty"), text("crv")) {
        (Some("RSA"), _) => &[Algorithm::RS256, Algorithm::RS384],
        (Some("EC"), Some("P-256")) => &[Algorithm::ES256],
        (Some("EC"), Some("P-384")) => &[Algorithm::ES384],
        (Some("OKP"), Some("Ed25519")) => &[Algorithm::EdDSA],
        _ => {
            return Err(format!(
                "key {kid:?} must be RSA, EC P-256, EC P-384 or OKP Ed25519"
            ));
        }
    };
    let algs = match text("alg") {
        None => allowed.to_vec(),
        Some(a) => match allowed.iter().find(|x| alg_name(**x) == a) {
            Some(x) => vec![*x],
            None => {
                let names: Vec<&str> = allowed.iter().map(|x| alg_name(*x)).collect();
                return Err(format!(
                    "key {kid:?} has alg {a:?}; its key type allows {}",
                    names.join(" or ")
                ));
            }
        },
    };
    if text("kty") == Some("RSA") {
        let n = text("n")
            .and_then(|n| URL_SAFE_NO_PAD.decode(n).ok())
            .ok_or(format!("key {kid:?} has no valid modulus"))?;
        let bytes = n.iter().skip_while(|b| **b == 0).count();
        if bytes < MIN_RSA_MODULUS_BYTES {
            return Err(format!("key {kid:?} is shorter than 2048 bits"));
        }
    }
    let jwk: Jwk = serde_json::from_value(raw.clone())
        .map_err(|_| format!("key {kid:?} is not a valid JWK"))?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|_| format!("key {kid:?} is not a valid JWK"))?;
    Ok(ClientKey { kid, algs, key })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ed_key(kid: &str, extra: Value) -> Value {
        let mut k = json!({"kty": "OKP", "crv": "Ed25519", "kid": kid,
            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
        for (name, v) in extra.as_object().unwrap() {
            k[name] = v.clone();
        }
        k
    }

    #[test]
    fn an_ed25519_key_verifies_eddsa_only() {
        let keys = ClientKeys::parse(&json!({"keys": [ed_key("a", json!({}))]})).unwrap();
        assert!(keys.find("a", Algorithm::EdDSA).is_ok());
        assert_eq!(
            keys.find("a", Algorithm::RS256).err(),
            Some(KeyRefusal::AlgMismatch)
        );
        assert_eq!(
            keys.find("b", Algorithm::EdDSA).err(),
            Some(KeyRefusal::UnknownKid)
        );
    }

    #[test]
    fn private_symmetric_mismatched_and_duplicate_keys_are_refused() {
        for bad in [
            json!({"keys": [ed_key("a", json!({"d": "secret"}))]}),
            json!({"keys": [{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}]}),
            json!({"keys": [ed_key("a", json!({"alg": "RS256"}))]}),
            json!({"keys": [ed_key("a", json!({"alg": "none"}))]}),
            json!({"keys": [ed_key("a", json!({})), ed_key("a", json!({}))]}),
            json!({"keys": [ed_key("", json!({}))]}),
            json!({"keys": [{"kty": "RSA", "kid": "r", "n": "AQAB", "e": "AQAB"}]}),
            json!({"keys": []}),
            json!([]),
        ] {
            assert!(ClientKeys::parse(&bad).is_err(), "{bad}");
        }
    }
}
