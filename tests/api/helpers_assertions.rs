//! Helpers for `private_key_jwt` and backend services: keys the test makes (aws-lc-rs, which
//! Portico already uses), their public JWKs (jsonwebtoken) and assertions signed with them
//! (jsonwebtoken), as a client's own library would.

use crate::helpers::TestApp;
use crate::helpers_oidc::ISSUER;
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair,
    RsaKeyPair,
};
use base64::Engine;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use std::sync::OnceLock;
use uuid::Uuid;

/// `client_assertion_type` for a JWT assertion.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The five assertion algorithms Portico accepts.
pub const ALGS: [Algorithm; 5] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// A key pair a client holds: its private half signs, its public JWK is registered.
pub struct TestKey {
    pub kid: String,
    pub alg: Algorithm,
    encoding: EncodingKey,
    /// The public JWK (with `kid`, `alg` and `use`).
    pub jwk: Value,
}

/// One RSA key for the whole test binary: generating one costs far more than using it.
fn rsa_pem() -> &'static str {
    static PEM: OnceLock<String> = OnceLock::new();
    PEM.get_or_init(|| {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let der = AsDer::<Pkcs8V1Der>::as_der(&pair).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            lines.join("\n")
        )
    })
}

impl TestKey {
    /// A new key for `alg` (RSA keys are shared by the test binary, under their own kid).
    pub fn generate(alg: Algorithm, kid: &str) -> Self {
        let encoding = match alg {
            Algorithm::RS256 | Algorithm::RS384 => {
                EncodingKey::from_rsa_pem(rsa_pem().as_bytes()).unwrap()
            }
            Algorithm::ES256 | Algorithm::ES384 => {
                let curve = if alg == Algorithm::ES256 {
                    &ECDSA_P256_SHA256_FIXED_SIGNING
                } else {
                    &ECDSA_P384_SHA384_FIXED_SIGNING
                };
                let pair = EcdsaKeyPair::generate(curve).unwrap();
                EncodingKey::from_ec_der(pair.to_pkcs8v1().unwrap().as_ref())
            }
            Algorithm::EdDSA => {
                let pair = Ed25519KeyPair::generate().unwrap();
                EncodingKey::from_ed_der(pair.to_pkcs8v1().unwrap().as_ref())
            }
            other => panic!("no test keys for {other:?}"),
        };
        let mut jwk =
            serde_json::to_value(Jwk::from_encoding_key(&encoding, alg).unwrap()).unwrap();
        jwk["kid"] = json!(kid);
        jwk["use"] = json!("sig");
        Self {
            kid: kid.to_owned(),
            alg,
            encoding,
            jwk,
        }
    }

    /// Signs `claims` with this key, with `kid` and `alg` in the header.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".into());
        self.sign_with(header, claims)
    }

    /// Signs with a header the test chose (another kid or alg).
    pub fn sign_with(&self, header: Header, claims: &Value) -> String {
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }
}

/// A JWK Set of these keys' public halves.
pub fn jwks(keys: &[&TestKey]) -> Value {
    json!({"keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>()})
}

/// The token endpoint URL, the `aud` an assertion names.
pub fn token_endpoint() -> String {
    format!("{ISSUER}/oauth2/token")
}

impl TestApp {
    /// Good assertion claims for `client_id` at the server's clock: 4 minutes to live, a fresh
    /// `jti`.
    pub fn assertion_claims(&self, client_id: &str) -> Value {
        let now = self.clock_now().timestamp();
        json!({
            "iss": client_id,
            "sub": client_id,
            "aud": token_endpoint(),
            "exp": now + 240,
            "iat": now,
            "jti": Uuid::new_v4().to_string(),
        })
    }

    /// `POST /oauth2/{endpoint}` authenticated by `assertion`, with `form` besides.
    pub async fn post_with_assertion(
        &self,
        endpoint: &str,
        assertion: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut all: Vec<(&str, &str)> = form.to_vec();
        all.push(("client_assertion_type", JWT_BEARER));
        all.push(("client_assertion", assertion));
        self.oauth_post(endpoint, None, &all).await
    }

    /// Registers a backend service for the practice of `admin` with these keys and scopes;
    /// its client id.
    pub async fn register_backend(
        &self,
        admin: &str,
        keys: &[&TestKey],
        scopes: &[&str],
    ) -> String {
        let r = self
            .post(
                "/api/v1/practice/clients",
                admin,
                json!({
                    "name": "Lab results sync",
                    "backend_service": true,
                    "redirect_uris": [],
                    "scopes": scopes,
                    "jwks": jwks(keys),
                }),
            )
            .await;
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["token_endpoint_auth_method"], "private_key_jwt");
        assert!(body.get("client_secret").is_none(), "{body}");
        body["client_id"].as_str().unwrap().to_owned()
    }
}
