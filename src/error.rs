//! The one error type. Each variant has a stable machine-readable `code` (DESIGN.md lists them)
//! and an HTTP status; `api::problem` renders it as RFC 9457 problem details.
//!
//! What the client reads (`detail`), what the log gets (the cause chain of `Internal`) and what
//! the audit trail records are kept apart: nothing here carries a secret.

use crate::domain::access_status::AccessStatus;
use poem::http::StatusCode;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("The username or password is incorrect.")]
    InvalidCredentials,
    #[error("Your portal access to {practice} is blocked. Please contact the practice on {phone}.")]
    AccessBlocked {
        practice: String,
        slug: String,
        phone: String,
    },
    #[error(
        "Your portal access to {practice} has been deactivated. Please contact the practice on {phone}."
    )]
    AccessRevoked {
        practice: String,
        slug: String,
        phone: String,
    },
    /// An adult representative's access waits for the patient's consent (shown, like a block,
    /// only after a correct password).
    #[error(
        "Your portal access at {practice} is waiting for the patient's consent. We have asked them to approve it; once they do, you can log in. Questions? Call the practice on {phone}."
    )]
    ConsentPending {
        practice: String,
        slug: String,
        phone: String,
    },
    /// The patient's consent to an adult representative ran out; only the patient can renew it.
    #[error(
        "The patient's consent to your portal access at {practice} has run out. The patient can renew it from their account; until then you cannot log in there. Questions? Call the practice on {phone}."
    )]
    ConsentExpired {
        practice: String,
        slug: String,
        phone: String,
    },
    /// A sign-up waits for its emailed confirmation link (shown, like a block, only after a
    /// correct password); `POST /api/v1/email-verifications/resend` sends it again.
    #[error(
        "Your portal access at {practice} starts when you confirm your email address: please follow the link in the email we sent you. No email? Ask for a new link (POST /api/v1/email-verifications/resend, or \"Send the link again\" on the login page). Questions? Call the practice on {phone}."
    )]
    EmailUnconfirmed {
        practice: String,
        slug: String,
        phone: String,
    },
    /// A two-step verification code (TOTP or recovery code) that is wrong, outside the ±1 step
    /// window, or already used. One code for all, like `invalid_credentials`.
    #[error("The verification code is not valid. Please try again with a new code.")]
    InvalidMfaCode,
    /// The password was right and the account has two-step verification on: send a code from
    /// the app (or a recovery code) with it.
    #[error(
        "This account uses two-step verification. Send a code from the authenticator app (or a recovery code) with the password."
    )]
    MfaRequired,
    #[error("This account has no portal access at that practice.")]
    NoAccess,
    /// A refresh token or login-step token that is unknown, expired, already used or whose
    /// session has ended. One code for all, so the answer reveals nothing about which.
    #[error("Your session has ended. Please log in again.")]
    InvalidGrant,
    #[error("This invitation link is not valid.")]
    InvitationInvalid,
    #[error("This invitation link has expired. Please ask the practice to send a new one.")]
    InvitationExpired,
    #[error("This invitation link has already been used or replaced by a newer one.")]
    InvitationUsed,
    #[error("This link is not valid or has expired.")]
    TokenInvalid,
    #[error("That username is already taken.")]
    UsernameTaken,
    #[error("{0}")]
    WeakPassword(String),
    /// Self sign-up or a patient's own invitation for someone younger than the practice allows.
    #[error(
        "Patients under {min_age} cannot have a portal account of their own at this practice. A parent or guardian can register as the patient's representative instead: please ask the practice for a representative invitation."
    )]
    BelowMinimumAge { min_age: i32 },
    /// A teen consent code that is unknown, or not for this patient. One code for both.
    #[error("This consent code is not valid. Please check it and try again.")]
    InvalidConsentCode,
    #[error("This consent code has expired. Please ask the practice for a new one.")]
    ConsentCodeExpired,
    #[error("This consent code has already been used.")]
    ConsentCodeUsed,
    #[error("{message}")]
    Validation { field: String, message: String },
    /// A query parameter the operation does not declare (`api::known_params`).
    #[error("`{0}` is not a query parameter of this operation.")]
    UnknownQueryParameter(String),
    /// An `Idempotency-Key` already used for a different request (`api::idempotency`).
    #[error("This Idempotency-Key was used for a different request; use a new key.")]
    IdempotencyKeyReused,
    /// An invitation for an access only the front desk's own action may change: a blocked one
    /// (for every role: unblocking is its own action) or, for a key that may not revoke, a
    /// revoked one. Code `access_blocked` or `access_revoked`, with the access and its state.
    #[error("{}", not_invitable_detail(*.status))]
    AccessNotInvitable {
        access_id: uuid::Uuid,
        status: AccessStatus,
    },
    /// A URL Portico would call (a webhook) that is not https or does not resolve to public
    /// addresses (`domain::destination`); the code names which.
    #[error("{message}")]
    DestinationRefused { code: &'static str, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    MalformedRequest(String),
    #[error("Authentication is required, or the credentials given are not valid.")]
    Unauthorized,
    #[error("Your key's role does not allow this action.")]
    Forbidden,
    #[error("{0}")]
    PolicyDenied(String),
    #[error("Not found.")]
    NotFound,
    #[error("The method {method} is not allowed here.")]
    MethodNotAllowed { method: String, allow: Vec<String> },
    #[error("Too many attempts. Please wait {retry_after_secs} seconds and try again.")]
    RateLimited { retry_after_secs: u64 },
    #[error("The request body is larger than {limit} bytes.")]
    PayloadTooLarge { limit: usize },
    #[error("The request body must be {expected}.")]
    UnsupportedMediaType { expected: &'static str },
    #[error("The service is temporarily unavailable. Please try again shortly.")]
    Unavailable,
    #[error("Something went wrong on our side. Please try again later.")]
    Internal(#[from] anyhow::Error),
}

fn not_invitable_detail(status: AccessStatus) -> &'static str {
    match status {
        AccessStatus::Blocked => {
            "This patient's portal access is blocked; an invitation does not lift a block. Unblock the access first (an admin or reception key), and the person can log in again without a new invitation."
        }
        _ => {
            "This patient's portal access was revoked; only an admin or reception key can grant it again with a new invitation."
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The stable machine-readable code clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidCredentials => "invalid_credentials",
            Error::AccessBlocked { .. } => "access_blocked",
            Error::AccessRevoked { .. } => "access_revoked",
            Error::ConsentPending { .. } => "consent_pending",
            Error::ConsentExpired { .. } => "consent_expired",
            Error::EmailUnconfirmed { .. } => "email_unconfirmed",
            Error::InvalidMfaCode => "invalid_mfa_code",
            Error::MfaRequired => "mfa_required",
            Error::NoAccess => "no_access",
            Error::InvalidGrant => "invalid_grant",
            Error::InvitationInvalid => "invitation_invalid",
            Error::InvitationExpired => "invitation_expired",
            Error::InvitationUsed => "invitation_used",
            Error::TokenInvalid => "token_invalid",
            Error::UsernameTaken => "username_taken",
            Error::WeakPassword(_) => "weak_password",
            Error::BelowMinimumAge { .. } => "below_minimum_age",
            Error::InvalidConsentCode => "invalid_consent_code",
            Error::ConsentCodeExpired => "consent_code_expired",
            Error::ConsentCodeUsed => "consent_code_used",
            Error::Validation { .. } | Error::UnknownQueryParameter(_) => "validation_failed",
            Error::IdempotencyKeyReused => "idempotency_key_reused",
            Error::AccessNotInvitable { status, .. } => match status {
                AccessStatus::Blocked => "access_blocked",
                _ => "access_revoked",
            },
            Error::DestinationRefused { code, .. } => code,
            Error::Conflict(_) => "conflict",
            Error::MalformedRequest(_) => "malformed_request",
            Error::Unauthorized => "unauthorized",
            Error::Forbidden => "forbidden",
            Error::PolicyDenied(_) => "not_allowed",
            Error::NotFound => "not_found",
            Error::MethodNotAllowed { .. } => "method_not_allowed",
            Error::RateLimited { .. } => "rate_limited",
            Error::PayloadTooLarge { .. } => "payload_too_large",
            Error::UnsupportedMediaType { .. } => "unsupported_media_type",
            Error::Unavailable => "temporarily_unavailable",
            Error::Internal(_) => "internal_error",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::InvalidCredentials
            | Error::InvalidMfaCode
            | Error::MfaRequired
            | Error::Unauthorized => StatusCode::UNAUTHORIZED,
            Error::AccessBlocked { .. }
            | Error::AccessRevoked { .. }
            | Error::ConsentPending { .. }
            | Error::ConsentExpired { .. }
            | Error::EmailUnconfirmed { .. }
            | Error::NoAccess
            | Error::Forbidden
            | Error::PolicyDenied(_) => StatusCode::FORBIDDEN,
            Error::InvitationInvalid | Error::NotFound => StatusCode::NOT_FOUND,
            Error::InvitationExpired | Error::InvitationUsed | Error::TokenInvalid => {
                StatusCode::GONE
            }
            Error::UsernameTaken | Error::Conflict(_) | Error::AccessNotInvitable { .. } => {
                StatusCode::CONFLICT
            }
            Error::WeakPassword(_) | Error::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Error::BelowMinimumAge { .. } | Error::InvalidConsentCode => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Error::ConsentCodeExpired | Error::ConsentCodeUsed => StatusCode::GONE,
            Error::MalformedRequest(_) | Error::InvalidGrant => StatusCode::BAD_REQUEST,
            Error::UnknownQueryParameter(_) => StatusCode::BAD_REQUEST,
            Error::IdempotencyKeyReused | Error::DestinationRefused { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Error::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The practice's answer at login or refresh, shown after a correct password with its
    /// name and phone: blocked, deactivated, or (an adult representative) waiting for or past
    /// the patient's consent.
    pub fn is_practice_refusal(&self) -> bool {
        matches!(
            self,
            Error::AccessBlocked { .. }
                | Error::AccessRevoked { .. }
                | Error::ConsentPending { .. }
                | Error::ConsentExpired { .. }
                | Error::EmailUnconfirmed { .. }
        )
    }

    /// A validation failure naming the offending field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Wraps any unexpected failure; its cause is logged, never shown.
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Error::Internal(err.into())
    }
}

impl From<crate::domain::destination::Refusal> for Error {
    fn from(r: crate::domain::destination::Refusal) -> Self {
        Error::DestinationRefused {
            code: r.code(),
            message: r.message(),
        }
    }
}

impl From<sea_orm::DbErr> for Error {
    fn from(err: sea_orm::DbErr) -> Self {
        if crate::db::is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            Error::Unavailable
        } else {
            Error::Internal(err.into())
        }
    }
}

impl<E: Into<Error> + std::fmt::Display + std::fmt::Debug> From<sea_orm::TransactionError<E>>
    for Error
{
    fn from(err: sea_orm::TransactionError<E>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(inner) => inner.into(),
        }
    }
}
