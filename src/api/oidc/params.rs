//! OAuth request parameters and error responses. Parameters come from the query string or an
//! `application/x-www-form-urlencoded` body; one sent twice is an error (RFC 6749 §3.1, §3.2).

use crate::service::oauth::errors::OAuthError;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Body, Request, Response};
use std::collections::HashMap;

/// Parameters by name, each at most once; empty values count as absent (RFC 6749 §3.1).
#[derive(Debug, Clone, Default)]
pub struct Params(HashMap<String, String>);

impl Params {
    /// Parses `a=1&b=2`; a repeated parameter is `invalid_request`.
    pub fn parse(raw: &str) -> Result<Self, OAuthError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw).map_err(|_| {
            OAuthError::InvalidRequest("The parameters are not form-encoded.".into())
        })?;
        let mut map = HashMap::new();
        for (k, v) in pairs {
            if v.is_empty() {
                continue;
            }
            if map.insert(k.clone(), v).is_some() {
                return Err(OAuthError::InvalidRequest(format!(
                    "The parameter {k:?} was sent more than once."
                )));
            }
        }
        Ok(Self(map))
    }

    /// The query string's parameters.
    pub fn from_query(req: &Request) -> Result<Self, OAuthError> {
        Self::parse(req.uri().query().unwrap_or(""))
    }

    /// A form body's parameters; any other content type is `invalid_request`.
    pub async fn from_form(req: &Request, body: Body) -> Result<Self, OAuthError> {
        let form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|t| t.trim() == "application/x-www-form-urlencoded")
            });
        if !form {
            return Err(OAuthError::InvalidRequest(
                "The body must be application/x-www-form-urlencoded.".into(),
            ));
        }
        let bytes = body.into_bytes().await.map_err(|_| {
            OAuthError::InvalidRequest("The request body could not be read.".into())
        })?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| OAuthError::InvalidRequest("The body is not UTF-8.".into()))?;
        Self::parse(text)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A required parameter, or `invalid_request` naming it.
    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::InvalidRequest(format!("{name} is required.")))
    }
}

/// A JSON response with `Cache-Control: no-store` (RFC 6749 §5.1).
pub fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::PRAGMA, "no-cache")
        .body(bytes)
}

/// An error in RFC 6749 §5.2 form. `invalid_client` over Basic authentication carries a
/// `WWW-Authenticate` challenge (RFC 6749 §5.2); resource errors carry a Bearer one (RFC 6750).
pub fn error_response(err: &OAuthError, request_id: Option<&str>) -> Response {
    if let OAuthError::Server(e) = err {
        crate::api::problem::log_if_internal(e, request_id);
    }
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut resp = json_response(
        status,
        &serde_json::json!({"error": err.code(), "error_description": err.description()}),
    );
    let challenge = match err {
        OAuthError::InvalidClient(_) => Some("Basic realm=\"portico\"".to_owned()),
        OAuthError::InvalidToken(_) | OAuthError::InsufficientScope(_) => Some(format!(
            "Bearer realm=\"portico\", error=\"{}\"",
            err.code()
        )),
        _ => None,
    };
    if let Some(v) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

/// The request id the edge gave this request, for logs.
pub fn request_id(req: &Request) -> Option<String> {
    req.extensions()
        .get::<crate::api::context::RequestId>()
        .map(|r| r.0.clone())
}
