use crate::api::context::RequestMeta;
use crate::api::json::JsonBody;
use crate::api::tags::ApiTags;
use crate::domain::access::Relation;
use crate::domain::login::PracticeStanding;
use crate::error::Result;
use crate::service::login::continuation;
use crate::service::login::flow::{self, Credentials, LoginOutcome, PracticeOption};
use crate::service::login::refresh;
use crate::service::login::tokens::IssuedTokens;
use crate::service::sessions::ending;
use crate::state::AppState;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Union};
use serde::Deserialize;
use uuid::Uuid;

/// A username and password, and the practice to log in to.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Case-insensitive.
    pub username: String,
    pub password: String,
    /// The practice's slug, like `smith-family-clinic`. Optional when the account has one
    /// practice with active access; with several, the answer is `practice_required`.
    pub practice: Option<String>,
}

/// The practice the tokens are for.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TokenPractice {
    pub slug: String,
    pub name: String,
}

/// A patient the account may act for at that practice.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TokenPatient {
    pub id: Uuid,
    pub first_name: String,
    /// `self`, or how a representative is related (`parent`, `guardian`, …).
    pub relation: Relation,
    /// Only when the practice's age bands limit a parent's or guardian's access: the portal
    /// areas left for this patient (empty until the teenager consents, when the practice
    /// requires it). Absent: every area.
    pub scopes: Option<Vec<String>>,
}

/// Logged in: tokens for one practice.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TokenResponse {
    /// A JWT (`typ: at+jwt`, EdDSA), to send as `Authorization: Bearer …`. Verify it with the
    /// keys at `/oauth2/jwks`; its audience is `{issuer}/practices/{slug}`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Opaque, single use: exchange it at `POST /api/v1/token/refresh` for a new pair.
    pub refresh_token: String,
    pub practice: TokenPractice,
    /// Only the patients whose access is active: a blocked child is left out.
    pub patients: Vec<TokenPatient>,
}

impl From<IssuedTokens> for TokenResponse {
    fn from(t: IssuedTokens) -> Self {
        Self {
            access_token: t.access_token,
            token_type: "Bearer".into(),
            expires_in: t.expires_in,
            refresh_token: t.refresh_token,
            practice: TokenPractice {
                slug: t.practice.slug,
                name: t.practice.name,
            },
            patients: t
                .patients
                .into_iter()
                .map(|g| TokenPatient {
                    id: g.patient_id,
                    first_name: g.first_name,
                    relation: g.relation,
                    scopes: crate::domain::representation::patient_scopes(
                        crate::auth::tokens::PORTAL_SCOPE,
                        g.scopes.as_deref(),
                    ),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename_all = "snake_case")]
pub enum PracticeRequiredStatus {
    PracticeRequired,
}

#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename_all = "snake_case")]
pub enum PasswordChangeRequiredStatus {
    PasswordChangeRequired,
}

#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename_all = "snake_case")]
pub enum MfaRequiredStatus {
    MfaRequired,
}

#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename_all = "snake_case")]
pub enum MfaEnrolmentRequiredStatus {
    MfaEnrolmentRequired,
}

/// Two-step verification is on: send a code from the authenticator app (or a recovery code)
/// with this token to `POST /api/v1/login/mfa`.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MfaRequired {
    pub status: MfaRequiredStatus,
    /// Single use, bound to this account and practice. Not a bearer token.
    pub mfa_token: String,
    /// Seconds the token stays valid (300).
    pub expires_in: i64,
}

/// The practice requires two-step verification and this account has not set it up: get a
/// secret at `POST /api/v1/login/mfa/enrolment`, then confirm a code at
/// `POST /api/v1/login/mfa/enrolment/confirm`, which finishes the login.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MfaEnrolmentRequired {
    pub status: MfaEnrolmentRequiredStatus,
    /// Allows only the enrolment; single use.
    pub mfa_enrolment_token: String,
    /// Seconds the token stays valid.
    pub expires_in: i64,
}

/// A practice the account may choose, with where it stands there.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PracticeChoiceView {
    pub slug: String,
    pub name: String,
    /// `blocked` and `revoked` practices are listed so the page can show their message.
    pub status: PracticeStanding,
}

impl From<PracticeOption> for PracticeChoiceView {
    fn from(p: PracticeOption) -> Self {
        Self {
            slug: p.slug,
            name: p.name,
            status: p.standing,
        }
    }
}

/// The account has several practices: log in again with `practice` set to one slug.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PracticeRequired {
    pub status: PracticeRequiredStatus,
    pub practices: Vec<PracticeChoiceView>,
}

/// A staff-created account must choose its own password before it gets tokens: send the
/// token and the new password to `POST /api/v1/login/password-change`.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PasswordChangeRequired {
    pub status: PasswordChangeRequiredStatus,
    /// Single use, bound to this account and practice.
    pub password_change_token: String,
    /// Seconds the token stays valid.
    pub expires_in: i64,
}

/// Tokens, or the next step of the login (the `status` member says which).
#[derive(Debug, Union)]
#[oai(one_of)]
pub enum LoginResponse {
    Tokens(TokenResponse),
    PracticeRequired(PracticeRequired),
    PasswordChangeRequired(PasswordChangeRequired),
    MfaRequired(MfaRequired),
    MfaEnrolmentRequired(MfaEnrolmentRequired),
}

impl From<LoginOutcome> for LoginResponse {
    fn from(o: LoginOutcome) -> Self {
        match o {
            LoginOutcome::Tokens(t) => LoginResponse::Tokens(t.into()),
            LoginOutcome::PracticeRequired(ps) => {
                LoginResponse::PracticeRequired(PracticeRequired {
                    status: PracticeRequiredStatus::PracticeRequired,
                    practices: ps.into_iter().map(Into::into).collect(),
                })
            }
            LoginOutcome::PasswordChangeRequired { token, expires_in } => {
                LoginResponse::PasswordChangeRequired(PasswordChangeRequired {
                    status: PasswordChangeRequiredStatus::PasswordChangeRequired,
                    password_change_token: token,
                    expires_in,
                })
            }
            LoginOutcome::MfaRequired { token, expires_in } => {
                LoginResponse::MfaRequired(MfaRequired {
                    status: MfaRequiredStatus::MfaRequired,
                    mfa_token: token,
                    expires_in,
                })
            }
            LoginOutcome::MfaEnrolmentRequired { token, expires_in } => {
                LoginResponse::MfaEnrolmentRequired(MfaEnrolmentRequired {
                    status: MfaEnrolmentRequiredStatus::MfaEnrolmentRequired,
                    mfa_enrolment_token: token,
                    expires_in,
                })
            }
        }
    }
}

/// The token from `password_change_required` and the password to use from now on.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeRequest {
    pub password_change_token: String,
    /// At least 15 characters; not the username, email or practice name.
    pub new_password: String,
}

/// A refresh token.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(ApiResponse)]
pub enum LoggedOut {
    /// The session has ended (or had already).
    #[oai(status = 204)]
    Ended,
}

#[derive(Default)]
pub struct LoginApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Login")]
impl LoginApi {
    /// Log in to a practice with a username and password.
    ///
    /// Answers tokens, or `practice_required` (several practices: log in again naming one),
    /// or `password_change_required` (a staff-created account chooses its password first), or
    /// `mfa_required` (send a code to `/api/v1/login/mfa`), or `mfa_enrolment_required` (the
    /// practice requires two-step verification: set it up first). A
    /// wrong username or password is `401 invalid_credentials`, the same for both. After a
    /// correct password only: `403 access_blocked` or `access_revoked` with the practice's
    /// name and phone, or `403 no_access`.
    #[oai(path = "/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        body: JsonBody<LoginRequest>,
    ) -> Result<Json<LoginResponse>> {
        let creds = Credentials {
            username: body.0.username,
            password: body.0.password,
            practice: body.0.practice,
        };
        let outcome = flow::login(&state, creds, &meta, state.now()).await?;
        Ok(Json(outcome.into()))
    }

    /// Choose a new password when the login asked for one, and finish logging in.
    ///
    /// Takes the `password_change_token` of a `password_change_required` answer (single use,
    /// 10 minutes). A password the policy refuses is `422 weak_password` and the token stays
    /// usable; an unknown, used or expired token is `400 invalid_grant`. The change ends every
    /// other session of the account.
    #[oai(
        path = "/login/password-change",
        method = "post",
        operation_id = "changePasswordAtLogin"
    )]
    async fn password_change(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        body: JsonBody<PasswordChangeRequest>,
    ) -> Result<Json<LoginResponse>> {
        let outcome = continuation::change_password_and_continue(
            &state,
            &body.0.password_change_token,
            &body.0.new_password,
            &meta,
            state.now(),
        )
        .await?;
        Ok(Json(outcome.into()))
    }

    /// Exchange a refresh token for a new access token and refresh token.
    ///
    /// The presented token is spent. Presenting a spent token ends the whole session (someone
    /// has a copy). An unknown, spent or expired token, or an ended session, is
    /// `400 invalid_grant`; a blocked or revoked access answers as login does.
    #[oai(
        path = "/token/refresh",
        method = "post",
        operation_id = "refreshToken"
    )]
    async fn refresh(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        body: JsonBody<RefreshRequest>,
    ) -> Result<Json<TokenResponse>> {
        let tokens = refresh::refresh(&state, &body.0.refresh_token, &meta, state.now()).await?;
        Ok(Json(tokens.into()))
    }

    /// End the session of a refresh token; its access tokens stop working at once.
    #[oai(path = "/logout", method = "post", operation_id = "logout")]
    async fn logout(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        body: JsonBody<RefreshRequest>,
    ) -> Result<LoggedOut> {
        ending::logout(&state, &body.0.refresh_token, &meta, state.now()).await?;
        Ok(LoggedOut::Ended)
    }
}
