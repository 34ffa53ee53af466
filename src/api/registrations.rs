//! Self sign-up and the emailed confirmation link (`{public_url}/verify-email/{token}`).

use crate::api::context::RequestMeta;
use crate::api::invitations::PracticeRef;
use crate::api::json::JsonBody;
use crate::api::tags::ApiTags;
use crate::domain::access::AccessStatus;
use crate::domain::contact::{EmailAddress, MobileNumber, PersonName, PostalCode};
use crate::domain::patient::check_date_of_birth;
use crate::domain::username::Username;
use crate::error::Result;
use crate::service::registration::sign_up::{self, Registration};
use crate::service::registration::{confirmation, confirmation_resend};
use crate::state::AppState;
use chrono::NaiveDate;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use serde::Deserialize;

/// A sign-up at a practice. Give the details the practice requires (see its
/// `required_fields`: email, and perhaps postal code and mobile).
#[derive(Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct RegistrationBody {
    /// The practice's slug, like `smith-family-clinic`.
    pub practice: String,
    pub first_name: String,
    pub last_name: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: NaiveDate,
    /// Where the confirmation link goes. Several people may share one address.
    pub email: Option<String>,
    /// E.164, like `+15550100123`.
    pub mobile: Option<String>,
    pub postal_code: Option<String>,
    pub username: String,
    /// At least 15 characters; any characters, no composition rules.
    #[oai(write_only)]
    pub password: String,
}

impl RegistrationBody {
    fn parse(self, today: NaiveDate) -> Result<Registration> {
        Ok(Registration {
            practice: self.practice,
            first_name: PersonName::parse("first_name", &self.first_name)?,
            last_name: PersonName::parse("last_name", &self.last_name)?,
            date_of_birth: check_date_of_birth("date_of_birth", self.date_of_birth, today)?,
            email: EmailAddress::parse_opt("email", self.email.as_deref())?,
            mobile: MobileNumber::parse_opt("mobile", self.mobile.as_deref())?,
            postal_code: PostalCode::parse_opt("postal_code", self.postal_code.as_deref())?,
            username: Username::parse(&self.username)?,
            password: self.password,
        })
    }
}

/// A new sign-up. `pending_verification`: the next step is in the email sent to you (a link
/// to confirm your address, or word that the practice will check your details first).
/// `active`: you can log in now.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RegisteredView {
    pub username: String,
    pub status: AccessStatus,
    pub practice: PracticeRef,
    /// What to do next, in words for the person signing up.
    pub message: String,
}

/// What a sign-up is told, from its status alone.
///
/// A sign-up that probably matches an existing patient is held for the practice
/// (`service::registration::held`) and reads `pending_verification`, exactly as an ordinary
/// sign-up at a `verify_email` practice does, with this same message: the answer must not tell
/// a stranger who typed someone's name and birth date whether that person is a patient here.
/// So both say the same neutral thing ("the next step is in your email; the practice reviews
/// online sign-ups and may contact you") and the difference is only in the mailbox of the
/// address given. At an `auto_activate` practice an ordinary sign-up is `active` at once, which
/// a held one cannot be; that difference is the price of never giving a stranger access to
/// an existing record without the practice's check (see README, "Self sign-up").
fn registered_message(status: AccessStatus) -> &'static str {
    match status {
        AccessStatus::Active => {
            "Your portal access is on: you can log in now. The practice reviews online sign-ups \
             and may contact you."
        }
        _ => {
            "Check your email: the next step has been sent to the address you gave. The \
             practice reviews online sign-ups and may contact you."
        }
    }
}

#[derive(ApiResponse)]
pub enum RegistrationCreated {
    /// Signed up.
    #[oai(status = 201)]
    Created(Json<RegisteredView>),
}

/// The token from a confirmation link.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct EmailVerificationBody {
    pub token: String,
}

/// A confirmed email address, and where the access it turned on stands.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EmailVerifiedView {
    pub status: AccessStatus,
    pub practice: PracticeRef,
}

/// Whose confirmation link to send again.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct ConfirmationResendBody {
    /// The username, or the email address the sign-up gave.
    pub username_or_email: String,
}

/// Always the same, whether or not an account matched.
#[derive(Debug, Object)]
pub struct ConfirmationResendAccepted {
    pub message: String,
}

#[derive(ApiResponse)]
pub enum ConfirmationResent {
    /// Accepted. If an account matched and waits for its confirmation, a new link is on its
    /// way to its email address.
    #[oai(status = 202)]
    Accepted(Json<ConfirmationResendAccepted>),
}

/// What every resend request is told.
pub const RESEND_ACCEPTED: &str = "If an account matches and waits for its email address to be confirmed, a new confirmation link has been sent there.";

#[derive(Default)]
pub struct RegistrationsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Registration")]
impl RegistrationsApi {
    /// Sign up at a practice that allows it.
    ///
    /// `verify_email` practices: access stays off until the emailed link is followed.
    /// `auto_activate`: on at once. `off`: 403 `not_allowed` with the practice's phone number.
    /// The new patient record is marked `self_registered` for the practice to review.
    #[oai(path = "/registrations", method = "post", operation_id = "register")]
    async fn register(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        body: JsonBody<RegistrationBody>,
    ) -> Result<RegistrationCreated> {
        let now = state.now();
        let reg = body.0.parse(now.date_naive())?;
        let r = sign_up::register(
            &state.db,
            &state.hasher,
            state.settings.issuer(),
            reg,
            &meta,
            now,
        )
        .await?;
        state.outbox_wakeup.notify_one();
        Ok(RegistrationCreated::Created(Json(RegisteredView {
            username: r.account.username,
            message: registered_message(r.status).into(),
            status: r.status,
            practice: PracticeRef::from(&r.practice),
        })))
    }

    /// Confirm an email address with the token from the emailed link.
    ///
    /// Turns on the sign-up's access. 410 `token_invalid` if unknown, used or expired (24 h).
    #[oai(
        path = "/email-verifications",
        method = "post",
        operation_id = "verifyEmail"
    )]
    async fn verify(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        body: JsonBody<EmailVerificationBody>,
    ) -> Result<Json<EmailVerifiedView>> {
        let v = confirmation::verify_email(&state.db, &body.0.token, &meta, state.now()).await?;
        Ok(Json(EmailVerifiedView {
            status: v.access.status,
            practice: PracticeRef::from(&v.practice),
        }))
    }

    /// Send a sign-up's confirmation link again.
    ///
    /// For a login answered `403 email_unconfirmed`. Always `202` with the same body, whether
    /// or not the username or address is known or waits for a confirmation (the work is done
    /// after the answer). Each waiting access gets a new link, valid 24 hours; older links stop
    /// working. At most 3 an hour per account.
    #[oai(
        path = "/email-verifications/resend",
        method = "post",
        operation_id = "resendEmailVerification"
    )]
    async fn resend(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        body: JsonBody<ConfirmationResendBody>,
    ) -> Result<ConfirmationResent> {
        confirmation_resend::request(&state, body.0.username_or_email, meta);
        Ok(ConfirmationResent::Accepted(Json(
            ConfirmationResendAccepted {
                message: RESEND_ACCEPTED.into(),
            },
        )))
    }
}
