//! Forgotten usernames: the usernames using an address, emailed to it.

use crate::api::context::RequestMeta;
use crate::api::json::JsonBody;
use crate::api::tags::ApiTags;
use crate::domain::contact::MobileNumber;
use crate::error::{Error, Result};
use crate::service::login::username_reminders;
use crate::state::AppState;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;

/// The address or number to send the reminder to: one of the two.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct UsernameReminderRequest {
    /// The email address of the portal account(s).
    pub email: Option<String>,
    /// Or the mobile number of the portal account(s), in international form (`+15550100123`):
    /// the reminder is texted to it.
    pub mobile: Option<String>,
}

/// Always the same, whether or not an account uses the address.
#[derive(Debug, Object)]
pub struct UsernameReminderAccepted {
    pub message: String,
}

#[derive(ApiResponse)]
pub enum ReminderRequested {
    /// Accepted. If accounts use the address, a message listing their usernames is on its way.
    #[oai(status = 202)]
    Accepted(Json<UsernameReminderAccepted>),
}

/// What every reminder request is told.
pub const ACCEPTED_MESSAGE: &str = "If any portal account uses this email address or mobile number, its username has been sent there.";

#[derive(Default)]
pub struct UsernameRemindersApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Login")]
impl UsernameRemindersApi {
    /// Ask for a reminder of the usernames that use an email address or mobile number.
    ///
    /// Always `202` with the same body, whether or not the address or number is known (the
    /// work is done after the answer). The message (a text message for a mobile number) lists
    /// every username using it, each with the first names of the patients it is for, so that a
    /// household sharing one address can tell them apart. At most 3 reminders an hour per
    /// account. Neither `email` nor `mobile`, or a mobile number not in international form, is
    /// `422 validation_failed`.
    #[oai(
        path = "/username-reminders",
        method = "post",
        operation_id = "requestUsernameReminder"
    )]
    async fn request(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        body: JsonBody<UsernameReminderRequest>,
    ) -> Result<ReminderRequested> {
        let contact = match (body.0.email, body.0.mobile) {
            (Some(email), _) => email,
            (None, Some(mobile)) => MobileNumber::parse("mobile", &mobile)?.as_str().to_owned(),
            (None, None) => {
                return Err(Error::invalid(
                    "email",
                    "is required (or `mobile`): where to send the reminder",
                ));
            }
        };
        username_reminders::request(&state, contact, meta);
        Ok(ReminderRequested::Accepted(Json(
            UsernameReminderAccepted {
                message: ACCEPTED_MESSAGE.into(),
            },
        )))
    }
}
