//! Forgotten passwords: the emailed reset link (`{public_url}/reset-password/{token}`).

use crate::api::context::RequestMeta;
use crate::api::json::JsonBody;
use crate::api::tags::ApiTags;
use crate::error::Result;
use crate::service::login::{passwords, reset_requests};
use crate::state::AppState;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;

/// Whose password to reset.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    /// A username, an email address (every account using it gets a link) or a mobile number
    /// in international form, `+15550100123` (every account whose contact it is gets a link,
    /// by text message).
    pub username_or_email: String,
}

/// Always the same, whether or not an account matched.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PasswordResetAccepted {
    pub message: String,
}

#[derive(ApiResponse)]
pub enum ResetRequested {
    /// Accepted. If an account matched, a link is on its way to its email address or mobile
    /// number.
    #[oai(status = 202)]
    Accepted(Json<PasswordResetAccepted>),
}

/// The new password.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetBody {
    /// At least 15 characters (8 when two-step verification is on); not a common password,
    /// nor containing the username, email or practice name.
    #[oai(write_only)]
    pub new_password: String,
}

#[derive(ApiResponse)]
pub enum ResetDone {
    /// The password is changed; every session of the account has ended. Log in with it (two-step
    /// verification, when on, is still asked for).
    #[oai(status = 204)]
    Done,
}

#[derive(Default)]
pub struct PasswordResetsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Login")]
impl PasswordResetsApi {
    /// Ask for a password reset link.
    ///
    /// Always `202` with the same body, whether or not the username or address is known (the
    /// work is done after the answer). Each matching account gets a single-use link, valid 30
    /// minutes, at its email address, or by text message at its mobile number when it has no
    /// email (or when the request named the number); accounts sharing an address or number get
    /// one message naming each username with its own link. At most 3 links an hour per account.
    #[oai(
        path = "/password-resets",
        method = "post",
        operation_id = "requestPasswordReset"
    )]
    async fn request(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        body: JsonBody<PasswordResetRequest>,
    ) -> Result<ResetRequested> {
        reset_requests::request(&state, body.0.username_or_email, meta);
        Ok(ResetRequested::Accepted(Json(PasswordResetAccepted {
            message: "If an account matches, a link to reset its password has been sent to its email address or mobile number.".into(),
        })))
    }

    /// Set a new password with the token from a reset link.
    ///
    /// A password the policy refuses is `422 weak_password` and the link stays usable; an
    /// unknown, used or expired link is `410 token_invalid`. Ends every session of the account
    /// and sends a notice (by email, or by text to an account with only a mobile number).
    #[oai(
        path = "/password-resets/:token",
        method = "post",
        operation_id = "completePasswordReset"
    )]
    async fn complete(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        token: Path<String>,
        body: JsonBody<PasswordResetBody>,
    ) -> Result<ResetDone> {
        passwords::complete_reset(&state, &token.0, &body.0.new_password, &meta, state.now())
            .await?;
        Ok(ResetDone::Done)
    }
}
