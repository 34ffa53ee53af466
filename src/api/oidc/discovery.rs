//! `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0, RFC 8414): only
//! what works.

use crate::api::oidc::params::json_response;
use crate::domain::oauth::BASE_SCOPES;
use crate::state::AppState;
use poem::http::{StatusCode, header};
use poem::web::Data;
use poem::{Response, handler};
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
];

/// The discovery document for an issuer.
pub fn document(issuer: &str) -> serde_json::Value {
    let mut scopes: Vec<&str> = BASE_SCOPES.to_vec();
    scopes.extend(["patient/*.rs", "patient/*.read"]);
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
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "EdDSA"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
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

#[handler]
pub async fn configuration(state: Data<&AppState>) -> Response {
    let mut resp = json_response(StatusCode::OK, &document(state.settings.issuer()));
    // Public and the same for everyone: caches may keep it a while.
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=300"),
    );
    resp.headers_mut().remove(header::PRAGMA);
    resp
}
