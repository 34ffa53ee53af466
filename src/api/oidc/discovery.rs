//! `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0, RFC 8414): only
//! what works.

use crate::domain::oauth::BASE_SCOPES;
use bytes::Bytes;
use poem::http::{StatusCode, header};
use poem::{Endpoint, Response};
use serde_json::json;

/// The claims userinfo and ID tokens may carry.
const CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "amr",
    "at_hash",
    "azp",
    "sid",
    "name",
    "given_name",
    "family_name",
    "email",
    "email_verified",
    "practice",
    "patients",
    "patient",
    "act",
    "fhirUser",
];

/// The scopes both discovery documents list: the fixed ones and examples of the SMART
/// patient and (backend services) system scopes (any `patient/<Resource>.<cruds>` or
/// `system/<Resource>.<cruds>` is accepted; see `domain::oauth_scope`).
pub fn scopes_supported() -> Vec<&'static str> {
    let mut scopes: Vec<&str> = BASE_SCOPES.to_vec();
    scopes.extend([
        "patient/*.rs",
        "patient/*.read",
        "system/*.rs",
        "system/*.read",
    ]);
    scopes
}

/// Token endpoint client authentication methods, in both discovery documents.
pub const TOKEN_AUTH_METHODS: &[&str] = &[
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "none",
];

/// The algorithms a `private_key_jwt` assertion may be signed with
/// (`auth::client_keys::ASSERTION_ALGS`), in both discovery documents.
pub const TOKEN_AUTH_SIGNING_ALGS: &[&str] = &["RS256", "RS384", "ES256", "ES384", "EdDSA"];

/// Grant types, in both discovery documents.
pub const GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token", "client_credentials"];

/// The discovery document for an issuer.
pub fn document(issuer: &str) -> serde_json::Value {
    let scopes = scopes_supported();
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth2/authorize"),
        "token_endpoint": format!("{issuer}/oauth2/token"),
        "userinfo_endpoint": format!("{issuer}/oauth2/userinfo"),
        "jwks_uri": format!("{issuer}/oauth2/jwks"),
        "introspection_endpoint": format!("{issuer}/oauth2/introspect"),
        "revocation_endpoint": format!("{issuer}/oauth2/revoke"),
        "end_session_endpoint": format!("{issuer}/oauth2/logout"),
        "scopes_supported": scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": GRANT_TYPES,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "EdDSA"],
        "token_endpoint_auth_methods_supported": TOKEN_AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": TOKEN_AUTH_SIGNING_ALGS,
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "introspection_endpoint_auth_signing_alg_values_supported": TOKEN_AUTH_SIGNING_ALGS,
        "revocation_endpoint_auth_methods_supported": TOKEN_AUTH_METHODS,
        "revocation_endpoint_auth_signing_alg_values_supported": TOKEN_AUTH_SIGNING_ALGS,
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["none", "login"],
        "claims_supported": CLAIMS,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "ui_locales_supported": ["en"],
    })
}

/// The endpoint: the document depends only on the issuer, so it is serialised once when the
/// routes are built, not on every request (as the JWKS is).
pub fn endpoint(issuer: &str) -> impl Endpoint<Output = Response> + use<> {
    fixed_json(&document(issuer))
}

/// An endpoint answering a document fixed at start-up (this one, and the SMART one).
pub fn fixed_json(doc: &serde_json::Value) -> impl Endpoint<Output = Response> + use<> {
    let body = Bytes::from(serde_json::to_vec(doc).unwrap_or_default());
    poem::endpoint::make_sync(move |_| {
        Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json")
            // Public and the same for everyone: caches may keep it a while.
            .header(header::CACHE_CONTROL, "public, max-age=300")
            .body(body.clone())
    })
}
