//! OAuth errors (RFC 6749 §5.2, RFC 6750 §3.1): what the token, introspection, revocation
//! and userinfo endpoints answer when they refuse, rendered by `api::oidc`.

use crate::error::Error;

/// An OAuth error (RFC 6749 §5.2, RFC 6750 §3.1), with a human-readable description.
#[derive(Debug)]
pub enum OAuthError {
    InvalidRequest(String),
    /// 401: unknown client, or wrong, missing or unexpected credentials.
    InvalidClient(String),
    InvalidGrant(String),
    UnauthorizedClient(String),
    UnsupportedGrantType(String),
    InvalidScope(String),
    /// RFC 7009 §2.2.1: a token the revocation endpoint cannot revoke.
    UnsupportedTokenType(String),
    /// 401 at resource endpoints (userinfo).
    InvalidToken(String),
    /// 403 at resource endpoints: the token lacks a scope.
    InsufficientScope(String),
    Server(Error),
}

impl OAuthError {
    pub fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::InvalidClient(_) => "invalid_client",
            OAuthError::InvalidGrant(_) => "invalid_grant",
            OAuthError::UnauthorizedClient(_) => "unauthorized_client",
            OAuthError::UnsupportedGrantType(_) => "unsupported_grant_type",
            OAuthError::InvalidScope(_) => "invalid_scope",
            OAuthError::UnsupportedTokenType(_) => "unsupported_token_type",
            OAuthError::InvalidToken(_) => "invalid_token",
            OAuthError::InsufficientScope(_) => "insufficient_scope",
            OAuthError::Server(Error::Unavailable) => "temporarily_unavailable",
            OAuthError::Server(_) => "server_error",
        }
    }

    pub fn description(&self) -> String {
        match self {
            OAuthError::InvalidRequest(d)
            | OAuthError::InvalidClient(d)
            | OAuthError::InvalidGrant(d)
            | OAuthError::UnauthorizedClient(d)
            | OAuthError::UnsupportedGrantType(d)
            | OAuthError::InvalidScope(d)
            | OAuthError::UnsupportedTokenType(d)
            | OAuthError::InvalidToken(d)
            | OAuthError::InsufficientScope(d) => d.clone(),
            OAuthError::Server(e) => e.to_string(),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            OAuthError::InvalidClient(_) | OAuthError::InvalidToken(_) => 401,
            OAuthError::InsufficientScope(_) => 403,
            OAuthError::Server(e) => e.status().as_u16(),
            _ => 400,
        }
    }
}

impl From<Error> for OAuthError {
    fn from(e: Error) -> Self {
        match e {
            Error::InvalidGrant => OAuthError::InvalidGrant(e.to_string()),
            Error::NoAccess => OAuthError::InvalidGrant(e.to_string()),
            e if e.is_practice_refusal() => OAuthError::InvalidGrant(e.to_string()),
            other => OAuthError::Server(other),
        }
    }
}

impl From<sea_orm::DbErr> for OAuthError {
    fn from(e: sea_orm::DbErr) -> Self {
        OAuthError::Server(e.into())
    }
}
