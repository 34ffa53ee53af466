//! `GET /.well-known/smart-configuration` (SMART App Launch 2.x, "Conformance"): the
//! authorization endpoints an app needs and the capabilities Portico has. It agrees with the
//! OpenID Connect discovery document (shared lists in `discovery`), and names a capability only
//! once an end-to-end test shows it working (`tests/api/oidc_smart.rs` lists which).

use crate::api::oidc::discovery::{
    GRANT_TYPES, TOKEN_AUTH_METHODS, TOKEN_AUTH_SIGNING_ALGS, fixed_json, scopes_supported,
};
use poem::{Endpoint, Response};
use serde_json::json;

/// What works, each with the test that shows it:
/// - `launch-standalone`, `client-confidential-symmetric`, `sso-openid-connect`: the code flow
///   with a stock relying party (`tests/api/oidc.rs`);
/// - `client-public`: a public client with PKCE and no secret (`tests/api/oidc_features.rs`);
/// - `context-standalone-patient`: the patient chooser (`tests/api/oidc_features.rs`);
/// - `permission-offline`: `offline_access` refresh tokens (`tests/api/oidc.rs`);
/// - `permission-patient`, `permission-v1`, `permission-v2`: `patient/…` scopes, `.read` as in
///   SMART v1, `cruds` subsets and narrower grants as in v2 (`tests/api/oidc_smart.rs`).
/// - `launch-ehr`, `context-ehr-patient`, `context-ehr-encounter`: a launch context from the
///   practice API bound by the `launch` scope (`tests/api/oidc_ehr_launch.rs`).
/// - `client-confidential-asymmetric`: `private_key_jwt` with a registered JWKS
///   (`tests/api/oidc_private_key_jwt.rs`); SMART Backend Services (`client_credentials`,
///   `system/` scopes: `tests/api/oidc_backend.rs`) have no capability of their own and show
///   in `grant_types_supported` and `scopes_supported`.
pub const CAPABILITIES: &[&str] = &[
    "launch-ehr",
    "launch-standalone",
    "client-public",
    "client-confidential-symmetric",
    "client-confidential-asymmetric",
    "sso-openid-connect",
    "context-standalone-patient",
    "context-ehr-patient",
    "context-ehr-encounter",
    "permission-offline",
    "permission-patient",
    "permission-v1",
    "permission-v2",
];

/// The SMART configuration document for an issuer.
pub fn document(issuer: &str) -> serde_json::Value {
    json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/oauth2/jwks"),
        "authorization_endpoint": format!("{issuer}/oauth2/authorize"),
        "token_endpoint": format!("{issuer}/oauth2/token"),
        "introspection_endpoint": format!("{issuer}/oauth2/introspect"),
        "revocation_endpoint": format!("{issuer}/oauth2/revoke"),
        "userinfo_endpoint": format!("{issuer}/oauth2/userinfo"),
        "grant_types_supported": GRANT_TYPES,
        "scopes_supported": scopes_supported(),
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": TOKEN_AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": TOKEN_AUTH_SIGNING_ALGS,
        "capabilities": CAPABILITIES,
    })
}

/// The endpoint (the document is fixed at start-up, like discovery).
pub fn endpoint(issuer: &str) -> impl Endpoint<Output = Response> + use<> {
    fixed_json(&document(issuer))
}
