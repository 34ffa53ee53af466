//! What a client registration may say: its name, URIs and scopes, and how it authenticates at
//! the token endpoint (none, a secret, or `private_key_jwt` with an inline JWKS), and whether
//! it is a SMART backend service.

use crate::auth::client_keys::ClientKeys;
use crate::domain::oauth::{Scope, redirect_uri_problem};
use crate::error::{Error, Result};
use serde_json::Value;

const MAX_URIS: usize = 20;

/// The algorithm a client's ID tokens are signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdTokenAlg {
    /// RS256: what OpenID Connect requires every provider to support; the default.
    Rs256,
    EdDsa,
}

impl IdTokenAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            IdTokenAlg::Rs256 => "RS256",
            IdTokenAlg::EdDsa => "EdDSA",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "RS256" => Some(IdTokenAlg::Rs256),
            "EdDSA" => Some(IdTokenAlg::EdDsa),
            _ => None,
        }
    }
}

/// How a client authenticates at the token, introspection and revocation endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// A public client: no credentials, PKCE only.
    None,
    /// `client_secret_basic` or `client_secret_post` (either is accepted).
    ClientSecret,
    /// `private_key_jwt`: an assertion signed with one of the client's registered keys.
    PrivateKeyJwt,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::None => "none",
            AuthMethod::ClientSecret => "client_secret_basic",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "none" => Some(AuthMethod::None),
            "client_secret_basic" | "client_secret_post" => Some(AuthMethod::ClientSecret),
            "private_key_jwt" => Some(AuthMethod::PrivateKeyJwt),
            _ => None,
        }
    }
}

/// How a new client authenticates, checked: its method and (for `private_key_jwt`) its JWKS
/// as stored.
#[derive(Debug, Clone)]
pub struct Authentication {
    pub method: AuthMethod,
    pub jwks: Option<String>,
}

pub fn check_alg(raw: &str) -> Result<IdTokenAlg> {
    IdTokenAlg::parse(raw).ok_or_else(|| {
        Error::invalid(
            "id_token_signed_response_alg",
            "must be \"RS256\" or \"EdDSA\"",
        )
    })
}

pub fn check_name(raw: &str) -> Result<String> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > 100 || t.chars().any(char::is_control) {
        return Err(Error::invalid(
            "name",
            "must be between 1 and 100 printable characters",
        ));
    }
    Ok(t.to_owned())
}

pub fn check_uris(field: &str, uris: &[String], at_least_one: bool) -> Result<()> {
    if at_least_one && uris.is_empty() {
        return Err(Error::invalid(field, "must list at least one URI"));
    }
    if uris.len() > MAX_URIS {
        return Err(Error::invalid(field, "may list at most 20 URIs"));
    }
    for uri in uris {
        if let Some(problem) = redirect_uri_problem(uri) {
            return Err(Error::invalid(field, format!("{uri:?} {problem}")));
        }
    }
    Ok(())
}

/// A backend service registers `system/` scopes only; any other client none of them.
pub fn check_scopes(scopes: &[String], backend_service: bool) -> Result<()> {
    if scopes.is_empty() {
        return Err(Error::invalid("scopes", "must list at least one scope"));
    }
    for raw in scopes {
        let Ok(scope) = Scope::parse(raw) else {
            return Err(Error::invalid(
                "scopes",
                format!("{raw:?} is not a scope Portico knows"),
            ));
        };
        if scope.is_system() != backend_service {
            let why = if backend_service {
                "a backend service may list system/<Resource>.<permissions> scopes only"
            } else {
                "is a system scope: only a backend service (backend_service: true) may list it"
            };
            return Err(Error::invalid("scopes", format!("{raw:?}: {why}")));
        }
    }
    Ok(())
}

/// The JWKS, checked and as stored.
pub fn check_jwks(jwks: &Value) -> Result<String> {
    ClientKeys::parse(jwks).map_err(|why| Error::invalid("jwks", why))?;
    serde_json::to_string(jwks).map_err(Error::internal)
}

/// How a new client authenticates. A public client uses `none`; a confidential one a secret
/// (the default) or `private_key_jwt` with a JWKS; a backend service `private_key_jwt` (SMART
/// Backend Services asks for asymmetric keys). A JWKS goes with `private_key_jwt` only.
pub fn check_authentication(
    public: bool,
    method: Option<&str>,
    jwks: Option<&Value>,
    backend_service: bool,
) -> Result<Authentication> {
    const FIELD: &str = "token_endpoint_auth_method";
    let method = match method {
        Some(raw) => AuthMethod::parse(raw).ok_or_else(|| {
            Error::invalid(
                FIELD,
                "must be none, client_secret_basic, client_secret_post or private_key_jwt",
            )
        })?,
        None if public => AuthMethod::None,
        None if backend_service || jwks.is_some() => AuthMethod::PrivateKeyJwt,
        None => AuthMethod::ClientSecret,
    };
    if public != (method == AuthMethod::None) {
        return Err(Error::invalid(
            FIELD,
            "is none for a public client, and only for one",
        ));
    }
    if backend_service && method != AuthMethod::PrivateKeyJwt {
        return Err(Error::invalid(
            FIELD,
            "must be private_key_jwt for a backend service",
        ));
    }
    let jwks = match (method, jwks) {
        (AuthMethod::PrivateKeyJwt, Some(j)) => Some(check_jwks(j)?),
        (AuthMethod::PrivateKeyJwt, None) => {
            return Err(Error::invalid("jwks", "is required with private_key_jwt"));
        }
        (_, Some(_)) => {
            return Err(Error::invalid(
                "jwks",
                "is only for private_key_jwt clients",
            ));
        }
        (_, None) => None,
    };
    Ok(Authentication { method, jwks })
}
