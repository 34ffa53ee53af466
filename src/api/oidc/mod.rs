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

use crate::api::edge::labelled;
use poem::{Route, get};

/// The OIDC routes and their methods (for the `Allow` header of a 405).
pub const OIDC_ROUTES: &[(&str, &[&str])] = &[
    ("/.well-known/openid-configuration", &["GET"]),
    ("/.well-known/smart-configuration", &["GET"]),
    ("/oauth2/authorize", &["GET"]),
    ("/oauth2/token", &["POST"]),
    ("/oauth2/userinfo", &["GET", "POST"]),
    ("/oauth2/introspect", &["POST"]),
    ("/oauth2/revoke", &["POST"]),
    ("/oauth2/logout", &["GET", "POST"]),
];

/// Adds the OIDC routes next to `/oauth2/jwks`.
pub fn mount(route: Route, issuer: &str) -> Route {
    route
        .at(
            "/.well-known/openid-configuration",
            labelled("oidc_discovery", get(discovery::endpoint(issuer))),
        )
        .at(
            "/.well-known/smart-configuration",
            labelled("smart_configuration", get(smart::endpoint(issuer))),
        )
        .at(
            "/oauth2/authorize",
            labelled("oauth_authorize", get(authorize::authorize)),
        )
        .at(
            "/oauth2/token",
            labelled("oauth_token", poem::post(token::token)),
        )
        .at(
            "/oauth2/userinfo",
            labelled(
                "oidc_userinfo",
                get(resources::userinfo).post(resources::userinfo),
            ),
        )
        .at(
            "/oauth2/introspect",
            labelled("oauth_introspect", poem::post(resources::introspect)),
        )
        .at(
            "/oauth2/revoke",
            labelled("oauth_revoke", poem::post(resources::revoke)),
        )
        .at(
            "/oauth2/logout",
            labelled("oidc_logout", get(logout::logout).post(logout::logout)),
        )
}
