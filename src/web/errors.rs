//! Error pages in plain language: what happened and what to do, never a code or a trace. Used
//! by page handlers for errors they do not handle on the form itself, and by the edge for any
//! error on a request that wants HTML (an unknown page, a form that is too large).

use crate::api::problem::log_if_internal;
use crate::error::Error;
use crate::web::page::Page;
use poem::http::{HeaderValue, StatusCode, header};
use serde::Serialize;

#[derive(Serialize)]
struct Action<'a> {
    href: &'a str,
    label: &'a str,
}

/// The page for an error.
pub fn error_page(err: &Error, request_id: Option<&str>) -> Page {
    log_if_internal(err, request_id);
    let (heading, paragraphs): (&str, Vec<String>) = match err {
        Error::NotFound
        | Error::InvitationInvalid
        | Error::InvitationExpired
        | Error::InvitationUsed
        | Error::TokenInvalid => (
            "Page not found",
            vec![
                "We could not find this page.".into(),
                "If you typed the address, check it is correct. If you followed a link from an \
                 email or a text message, make sure you opened the whole link."
                    .into(),
            ],
        ),
        Error::AccessBlocked { .. }
        | Error::AccessRevoked { .. }
        | Error::ConsentPending { .. }
        | Error::ConsentExpired { .. }
        | Error::EmailUnconfirmed { .. } => {
            ("Your portal access is not available", vec![err.to_string()])
        }
        Error::RateLimited { .. } => ("Too many attempts", vec![err.to_string()]),
        Error::BelowMinimumAge { .. } => ("A parent or guardian can help", vec![err.to_string()]),
        Error::PayloadTooLarge { .. } => (
            "That was too much to send",
            vec!["Please go back, shorten what you typed, and try again.".into()],
        ),
        Error::Unavailable => (
            "The portal is busy",
            vec!["Please try again in a few minutes.".into()],
        ),
        Error::Internal(_) => (
            "Sorry, something went wrong",
            vec![
                "Please try again later.".into(),
                "If it keeps happening, please contact your practice.".into(),
            ],
        ),
        Error::InvalidCredentials
        | Error::InvalidMfaCode
        | Error::MfaRequired
        | Error::NoAccess
        | Error::UsernameTaken
        | Error::WeakPassword(_)
        | Error::InvalidConsentCode
        | Error::ConsentCodeExpired
        | Error::ConsentCodeUsed
        | Error::Validation { .. }
        | Error::UnknownQueryParameter(_)
        | Error::IdempotencyKeyReused
        | Error::DestinationRefused { .. }
        | Error::Conflict(_)
        | Error::AccessNotInvitable { .. }
        | Error::MalformedRequest(_)
        | Error::Unauthorized
        | Error::Forbidden
        | Error::PolicyDenied(_)
        | Error::MethodNotAllowed { .. }
        | Error::UnsupportedMediaType { .. }
        | Error::InvalidGrant => (
            "Sorry, that did not work",
            vec!["Please go back and try again.".into()],
        ),
    };
    let page =
        Page::new("error.html", minijinja::context! { heading, paragraphs }).status(err.status());
    match err {
        Error::RateLimited { retry_after_secs } => {
            page.header(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs))
        }
        Error::MethodNotAllowed { allow, .. } => match HeaderValue::from_str(&allow.join(", ")) {
            Ok(v) => page.header(header::ALLOW, v),
            Err(_) => page,
        },
        _ => page,
    }
}

/// A form whose CSRF token is missing or wrong: 403, and a way back to a fresh form.
pub fn form_expired(retry: &str) -> Page {
    Page::new(
        "error.html",
        minijinja::context! {
            heading => "Your form expired, please try again",
            paragraphs => vec![
                "For your safety, a form only works for the browser it was opened in, and stops \
                 working after you log in or out. Nothing you typed was saved.",
                "Please open the page again and fill in the form once more. If this keeps \
                 happening, check that your browser allows cookies from this site.",
            ],
            action => minijinja::value::Serde(Action { href: retry, label: "Try again" }),
        },
    )
    .status(StatusCode::FORBIDDEN)
}
