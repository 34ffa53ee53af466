//! The OpenID Connect provider's endpoints (outside the OpenAPI document): discovery,
//! SMART configuration, authorize, token, userinfo, introspection, revocation and logout. JWKS is `api::jwks`.
//!
//! `/oauth2/token`, `/oauth2/introspect` and `/oauth2/revoke` answer errors in RFC 6749 form
//! (`{"error", "error_description"}`), which stock clients parse; `/oauth2/authorize` shows a
//! page when the client or redirect URI is wrong and otherwise sends errors back to the client.

pub mod authorize;
pub mod client_auth;
pub mod discovery;
pub mod logout;
pub mod params;
pub mod resources;
pub mod smart;
pub mod token;

use crate::api::route_table::{RouteTable, get, post};

/// Mounts the OIDC routes next to `/oauth2/jwks`; the table then knows their methods (for the
/// `Allow` header of a 405).
pub fn mount(table: RouteTable, issuer: &str) -> RouteTable {
    table
        .at(
            "/.well-known/openid-configuration",
            "oidc_discovery",
            get(discovery::endpoint(issuer)),
        )
        .at(
            "/.well-known/smart-configuration",
            "smart_configuration",
            get(smart::endpoint(issuer)),
        )
        .at(
            "/oauth2/authorize",
            "oauth_authorize",
            get(authorize::authorize),
        )
        .at("/oauth2/token", "oauth_token", post(token::token))
        .at(
            "/oauth2/userinfo",
            "oidc_userinfo",
            get(resources::userinfo).post(resources::userinfo),
        )
        .at(
            "/oauth2/introspect",
            "oauth_introspect",
            post(resources::introspect),
        )
        .at("/oauth2/revoke", "oauth_revoke", post(resources::revoke))
        .at(
            "/oauth2/logout",
            "oidc_logout",
            get(logout::logout).post(logout::logout),
        )
}
