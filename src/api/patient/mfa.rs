//! Two-step verification: the code step of a login, enrolment required by a practice, and the
//! signed-in account's own set-up, confirmation and removal.

use crate::api::context::RequestMeta;
use crate::api::json::JsonBody;
use crate::api::patient::TokenResponse;
use crate::api::security::PatientAuth;
use crate::api::tags::ApiTags;
use crate::error::Result;
use crate::service::login::continuation;
use crate::service::login::mfa::{self, Enrolment};
use crate::state::AppState;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;

/// The `mfa_token` of an `mfa_required` answer and a code.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct MfaLoginBody {
    pub mfa_token: String,
    /// Six digits from the authenticator app, or one recovery code (`xxxxx-xxxxx`).
    #[oai(write_only)]
    pub code: String,
}

/// The token of an `mfa_enrolment_required` answer.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentTokenBody {
    pub mfa_enrolment_token: String,
}

/// The enrolment token and the first code from the app.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentConfirmBody {
    pub mfa_enrolment_token: String,
    #[oai(write_only)]
    pub code: String,
}

/// A code from the app.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    #[oai(write_only)]
    pub code: String,
}

/// The account's current password, to set up two-step verification.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct StartTotpBody {
    #[oai(write_only)]
    pub current_password: String,
}

/// The account's current password and a code from the app (or a recovery code), to turn
/// two-step verification off.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct DisableTotpBody {
    #[oai(write_only)]
    pub current_password: String,
    /// Six digits from the authenticator app, or one recovery code (`xxxxx-xxxxx`).
    #[oai(write_only)]
    pub code: String,
}

/// A new authenticator secret, shown once. Two-step verification is on only after a code is
/// confirmed.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TotpEnrolmentView {
    /// Base32, to type into the app.
    pub secret: String,
    /// `otpauth://totp/…`.
    pub otpauth_uri: String,
    /// The URI as a QR code: an SVG image as a `data:image/svg+xml;base64,…` URI.
    pub qr_code: String,
}

impl From<Enrolment> for TotpEnrolmentView {
    fn from(e: Enrolment) -> Self {
        Self {
            secret: e.secret,
            otpauth_uri: e.otpauth_uri,
            qr_code: e.qr_code,
        }
    }
}

/// Two-step verification is on. Keep these codes somewhere safe: each works once, in place of
/// a code from the app. They are not shown again.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RecoveryCodesView {
    pub recovery_codes: Vec<String>,
}

/// Enrolled during login: the recovery codes, and the login's tokens.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EnrolledLoginView {
    pub recovery_codes: Vec<String>,
    pub tokens: TokenResponse,
}

#[derive(ApiResponse)]
pub enum MfaDisabled {
    /// Two-step verification is off; the recovery codes no longer work.
    #[oai(status = 204)]
    Disabled,
}

#[derive(Default)]
pub struct MfaApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Login")]
impl MfaApi {
    /// Finish a login with a two-step verification code.
    ///
    /// Takes the `mfa_token` of an `mfa_required` answer (single use, 5 minutes) and a code
    /// from the app (±30 seconds) or a recovery code. Each code works once: a wrong, expired
    /// or reused code is `401 invalid_mfa_code` (a reused one is also reported to the
    /// account's email). An unknown, used or expired token is `400 invalid_grant`.
    #[oai(path = "/login/mfa", method = "post", operation_id = "loginMfa")]
    async fn login_mfa(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        body: JsonBody<MfaLoginBody>,
    ) -> Result<Json<TokenResponse>> {
        let tokens =
            continuation::complete_mfa(&state, &body.0.mfa_token, &body.0.code, &meta, state.now())
                .await?;
        Ok(Json(tokens.into()))
    }

    /// Start the two-step verification set-up a practice requires, during login.
    #[oai(
        path = "/login/mfa/enrolment",
        method = "post",
        operation_id = "loginMfaEnrolment"
    )]
    async fn login_enrolment(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        body: JsonBody<EnrolmentTokenBody>,
    ) -> Result<Json<TotpEnrolmentView>> {
        let e =
            continuation::start_enrolment(&state, &body.0.mfa_enrolment_token, &meta, state.now())
                .await?;
        Ok(Json(e.into()))
    }

    /// Confirm the set-up with a code from the app and finish the login.
    ///
    /// A wrong code is `401 invalid_mfa_code` and the token stays usable.
    #[oai(
        path = "/login/mfa/enrolment/confirm",
        method = "post",
        operation_id = "loginMfaEnrolmentConfirm"
    )]
    async fn login_enrolment_confirm(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        body: JsonBody<EnrolmentConfirmBody>,
    ) -> Result<Json<EnrolledLoginView>> {
        let (codes, tokens) = continuation::complete_enrolment(
            &state,
            &body.0.mfa_enrolment_token,
            &body.0.code,
            &meta,
            state.now(),
        )
        .await?;
        Ok(Json(EnrolledLoginView {
            recovery_codes: codes,
            tokens: tokens.into(),
        }))
    }

    /// Set up an authenticator app: a new secret, its otpauth URI and QR code.
    ///
    /// Needs the current password (a wrong one is `401 invalid_credentials`, throttled like a
    /// login). Two-step verification is not on until `POST /api/v1/me/mfa/totp/confirm`.
    /// While it is on, this is `409 conflict`.
    #[oai(
        path = "/me/mfa/totp",
        method = "post",
        operation_id = "startTotpEnrolment"
    )]
    async fn start(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        patient: PatientAuth,
        body: JsonBody<StartTotpBody>,
    ) -> Result<Json<TotpEnrolmentView>> {
        let e = mfa::start_own_enrolment(
            &state,
            &(&patient.0).into(),
            &body.0.current_password,
            &meta,
            state.now(),
        )
        .await?;
        Ok(Json(e.into()))
    }

    /// Confirm the set-up with a code from the app: turns two-step verification on and
    /// returns 10 single-use recovery codes.
    ///
    /// A wrong code is `401 invalid_mfa_code` and it stays off.
    #[oai(
        path = "/me/mfa/totp/confirm",
        method = "post",
        operation_id = "confirmTotpEnrolment"
    )]
    async fn confirm(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        patient: PatientAuth,
        body: JsonBody<CodeBody>,
    ) -> Result<Json<RecoveryCodesView>> {
        let codes =
            mfa::confirm_enrolment(&state, &patient.0.account, &body.0.code, &meta, state.now())
                .await?;
        Ok(Json(RecoveryCodesView {
            recovery_codes: codes,
        }))
    }

    /// Turn two-step verification off, with the current password and a code from the app or
    /// a recovery code.
    ///
    /// A wrong password is `401 invalid_credentials`, a wrong code `401 invalid_mfa_code`;
    /// both are throttled like a login (`429 rate_limited`). Ends every other session of the
    /// account, and the account's email is told.
    #[oai(
        path = "/me/mfa/totp/disable",
        method = "post",
        operation_id = "disableTotp"
    )]
    async fn disable(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        patient: PatientAuth,
        body: JsonBody<DisableTotpBody>,
    ) -> Result<MfaDisabled> {
        mfa::disable(
            &state,
            &(&patient.0).into(),
            &body.0.current_password,
            &body.0.code,
            &meta,
            state.now(),
        )
        .await?;
        Ok(MfaDisabled::Disabled)
    }
}
