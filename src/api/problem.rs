//! RFC 9457 problem details: the body of every error response.
//!
//! Handlers return `Result<_, Error>`; poem and poem-openapi report their own failures (bad
//! JSON, wrong content type, unknown route, wrong method) as `poem::Error`. Both arrive at
//! the edge middleware, which calls [`from_poem_error`] and [`render`] once for all routes.

use crate::domain::access::AccessStatus;
use crate::error::Error;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Response};
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::{ApiResponse, Object, types::Type};
use serde::Serialize;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The practice whose contact details a blocked or deactivated patient is shown.
///
/// Published as `PracticeContact`: `ProblemPractice` is the name generators such as
/// openapi-python-client give `Problem.practice`'s own model.
#[derive(Debug, Clone, Serialize, Object)]
#[oai(skip_serializing_if_is_none, rename = "PracticeContact")]
pub struct ProblemPractice {
    pub slug: String,
    pub name: String,
    pub phone: String,
}

/// An error, as RFC 9457 problem details with a stable machine-readable `code`.
#[derive(Debug, Clone, Serialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[oai(rename = "Problem")]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:portico:problem:{code}`.
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong, in words a person can act on.
    pub detail: String,
    /// This occurrence: `urn:uuid:{request_id}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Stable code to branch on: `access_blocked`, `validation_failed`, …
    pub code: String,
    /// Quote this when asking for help; it is in the server's logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// For `validation_failed`: the request field at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `access_blocked`, `access_revoked`, `consent_pending`, `consent_expired` and
    /// `email_unconfirmed`: whom to contact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub practice: Option<ProblemPractice>,
    /// For an invitation refused with `access_blocked` or `access_revoked` (409): the access
    /// that stopped it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_id: Option<String>,
    /// With `access_id`: that access's state (`blocked` or `revoked`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_status: Option<AccessStatus>,
    /// For `rate_limited`: seconds to wait (also in `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

fn title(err: &Error) -> &'static str {
    match err {
        Error::InvalidCredentials => "Invalid credentials",
        Error::InvalidMfaCode => "Invalid verification code",
        Error::MfaRequired => "Verification code required",
        Error::AccessBlocked { .. } => "Access blocked",
        Error::AccessRevoked { .. } => "Access deactivated",
        Error::ConsentPending { .. } => "Waiting for the patient's consent",
        Error::ConsentExpired { .. } => "Patient's consent expired",
        Error::EmailUnconfirmed { .. } => "Email address not confirmed",
        Error::NoAccess => "No access",
        Error::InvalidGrant => "Session ended",
        Error::InvitationInvalid => "Invitation not valid",
        Error::InvitationExpired => "Invitation expired",
        Error::InvitationUsed => "Invitation already used",
        Error::TokenInvalid => "Link not valid",
        Error::UsernameTaken => "Username taken",
        Error::WeakPassword(_) => "Password not accepted",
        Error::BelowMinimumAge { .. } => "Below the minimum age",
        Error::InvalidConsentCode => "Consent code not valid",
        Error::ConsentCodeExpired => "Consent code expired",
        Error::ConsentCodeUsed => "Consent code already used",
        Error::Validation { .. } | Error::UnknownQueryParameter(_) => "Validation failed",
        Error::IdempotencyKeyReused => "Idempotency key reused",
        Error::AccessNotInvitable { status, .. } => match status {
            AccessStatus::Blocked => "Access blocked",
            _ => "Access deactivated",
        },
        Error::DestinationRefused { .. } => "Destination not allowed",
        Error::Conflict(_) => "Conflict",
        Error::MalformedRequest(_) => "Malformed request",
        Error::Unauthorized => "Unauthorized",
        Error::Forbidden => "Forbidden",
        Error::PolicyDenied(_) => "Not allowed",
        Error::NotFound => "Not found",
        Error::MethodNotAllowed { .. } => "Method not allowed",
        Error::RateLimited { .. } => "Too many requests",
        Error::PayloadTooLarge { .. } => "Payload too large",
        Error::UnsupportedMediaType { .. } => "Unsupported media type",
        Error::Unavailable => "Service unavailable",
        Error::Internal(_) => "Internal error",
    }
}

impl Problem {
    pub fn from_error(err: &Error, request_id: Option<&str>) -> Self {
        let code = err.code();
        let practice = match err {
            Error::AccessBlocked {
                practice,
                slug,
                phone,
            }
            | Error::AccessRevoked {
                practice,
                slug,
                phone,
            }
            | Error::ConsentPending {
                practice,
                slug,
                phone,
            }
            | Error::ConsentExpired {
                practice,
                slug,
                phone,
            }
            | Error::EmailUnconfirmed {
                practice,
                slug,
                phone,
            } => Some(ProblemPractice {
                slug: slug.clone(),
                name: practice.clone(),
                phone: phone.clone(),
            }),
            _ => None,
        };
        Self {
            kind: format!("urn:portico:problem:{code}"),
            title: title(err).to_owned(),
            status: err.status().as_u16(),
            detail: err.to_string(),
            instance: request_id.map(|id| format!("urn:uuid:{id}")),
            code: code.to_owned(),
            request_id: request_id.map(str::to_owned),
            field: match err {
                Error::Validation { field, .. } => Some(field.clone()),
                Error::UnknownQueryParameter(name) => Some(name.clone()),
                _ => None,
            },
            practice,
            access_id: match err {
                Error::AccessNotInvitable { access_id, .. } => Some(access_id.to_string()),
                _ => None,
            },
            access_status: match err {
                Error::AccessNotInvitable { status, .. } => Some(*status),
                _ => None,
            },
            retry_after: match err {
                Error::RateLimited { retry_after_secs } => Some(*retry_after_secs),
                _ => None,
            },
        }
    }
}

/// The response for an error. Internal causes are logged here, with the request id, and
/// never sent.
pub fn render(err: &Error, request_id: Option<&str>) -> Response {
    log_if_internal(err, request_id);
    let problem = Problem::from_error(err, request_id);
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut resp = Response::builder()
        .status(err.status())
        .header(header::CONTENT_TYPE, PROBLEM_JSON)
        .body(body);
    match err {
        Error::RateLimited { retry_after_secs } => {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        Error::MethodNotAllowed { allow, .. } => {
            if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
                resp.headers_mut().insert(header::ALLOW, v);
            }
        }
        Error::InvalidCredentials | Error::Unauthorized => {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        _ => {}
    }
    resp
}

/// Logs the cause of an internal error with the request id (the client never sees it).
pub fn log_if_internal(err: &Error, request_id: Option<&str>) {
    if let Error::Internal(cause) = err {
        tracing::error!(request_id, error = format!("{cause:#}"), "internal error");
    }
}

/// Turns poem's and poem-openapi's own errors into ours.
pub fn from_poem_error(
    err: poem::Error,
    method: &str,
    allow: impl FnOnce() -> Vec<String>,
    max_body_bytes: usize,
) -> Error {
    use poem_openapi::error::{
        AuthorizationError, ContentTypeError, ParseParamError, ParsePathError,
        ParseRequestPayloadError,
    };
    let err = match err.downcast::<Error>() {
        Ok(ours) => return ours,
        Err(e) => e,
    };
    if let Some(e) = err.downcast_ref::<ParseRequestPayloadError>() {
        return payload_error(&e.reason);
    }
    if let Some(e) = err.downcast_ref::<ParseParamError>() {
        return Error::invalid(e.name, format!("is not valid: {}", e.reason));
    }
    if err.is::<ParsePathError>() {
        // `/patients/not-a-uuid` names nothing that exists.
        return Error::NotFound;
    }
    if err.is::<ContentTypeError>() {
        return Error::UnsupportedMediaType {
            expected: "application/json",
        };
    }
    if err.is::<AuthorizationError>() {
        return Error::Unauthorized;
    }
    match err.status() {
        StatusCode::NOT_FOUND => Error::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => Error::MethodNotAllowed {
            method: method.to_owned(),
            allow: allow(),
        },
        StatusCode::UNAUTHORIZED => Error::Unauthorized,
        StatusCode::FORBIDDEN => Error::Forbidden,
        // poem's own limit is the one the edge applies: `max_body_bytes`.
        StatusCode::PAYLOAD_TOO_LARGE => Error::PayloadTooLarge {
            limit: max_body_bytes,
        },
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Error::UnsupportedMediaType {
            expected: "application/json",
        },
        s if s.is_client_error() => Error::MalformedRequest(err.to_string()),
        _ => Error::Internal(anyhow::anyhow!("{err}")),
    }
}

/// A body that is not JSON at all is 400; JSON of the wrong shape is 422 naming the field.
fn payload_error(reason: &str) -> Error {
    // serde_json's syntax errors end in "at line L column C"; poem-openapi's type errors
    // name the field instead.
    let syntax = reason.contains(" at line ") && reason.contains(" column ");
    if syntax || reason.contains("EOF while parsing") {
        return Error::MalformedRequest(format!("The request body is not valid JSON: {reason}"));
    }
    let field = field_in(reason).unwrap_or_else(|| "body".into());
    Error::invalid(field, reason.to_owned())
}

/// Pulls the field name out of poem-openapi's messages: `failed to parse "X": field `name` is
/// required`, `failed to parse field `name`: …`, or `… "name" …`.
fn field_in(reason: &str) -> Option<String> {
    for marker in ["field `", "property `"] {
        if let Some(start) = reason.find(marker) {
            let rest = &reason[start + marker.len()..];
            if let Some(end) = rest.find('`') {
                return Some(rest[..end].to_owned());
            }
        }
    }
    None
}

/// Documents the problem response as the `default` response of every operation.
impl ApiResponse for Error {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "A problem (RFC 9457): every error, with a stable `code`.",
                status: None,
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: PROBLEM_JSON,
                    schema: Problem::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        Problem::register(registry);
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        render(&self, None)
    }
}

impl poem::error::ResponseError for Error {
    fn status(&self) -> StatusCode {
        Error::status(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_problem_carries_practice_contact() {
        let err = Error::AccessBlocked {
            practice: "Smith Family Clinic".into(),
            slug: "smith-family-clinic".into(),
            phone: "555-0100".into(),
        };
        let p = Problem::from_error(&err, Some("abc"));
        assert_eq!(p.code, "access_blocked");
        assert_eq!(p.status, 403);
        assert_eq!(
            p.detail,
            "Your portal access to Smith Family Clinic is blocked. Please contact the practice on 555-0100."
        );
        assert_eq!(p.practice.unwrap().phone, "555-0100");
    }

    #[test]
    fn a_body_over_poems_limit_reports_the_configured_limit() {
        let err = poem::Error::from_status(StatusCode::PAYLOAD_TOO_LARGE);
        let e = from_poem_error(err, "POST", Vec::new, 65536);
        assert!(
            matches!(e, Error::PayloadTooLarge { limit: 65536 }),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "The request body is larger than 65536 bytes."
        );
    }

    #[test]
    fn payload_errors_split_syntax_from_shape() {
        assert_eq!(
            payload_error("expected value at line 1 column 2").code(),
            "malformed_request"
        );
        let e = payload_error("failed to parse \"NewPatient\": field `first_name` is required");
        assert!(
            matches!(e, Error::Validation { ref field, .. } if field == "first_name"),
            "{e:?}"
        );
    }
}
