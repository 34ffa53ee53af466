use crate::api::context::RequestMeta;
use crate::api::json::JsonBody;
use crate::api::security::StaffAuth;
use crate::api::tags::ApiTags;
use crate::domain::access::Relation;
use crate::domain::contact::{EmailAddress, MobileNumber, PersonName};
use crate::domain::invitation::{
    Channel, Delivery, InvitationRequest, InvitationStatus, Recipient,
};
use crate::error::{Error, Result};
use crate::service::access::invitations::{self, InvitationRecord};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;
use uuid::Uuid;

/// The person a representative invitation goes to.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct RecipientBody {
    pub first_name: String,
    pub last_name: String,
    /// Needed for `channel: email`.
    pub email: Option<String>,
    /// E.164, like `+15550100123`; needed for `channel: sms`.
    pub mobile: Option<String>,
}

/// An invitation to send. For the patient themself (`relation: self`) the link goes to the
/// email or mobile on the patient's record; for a representative, give `recipient`.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct NewInvitationBody {
    pub channel: Channel,
    pub relation: Relation,
    /// Required for a representative (parent, guardian, spouse, caregiver, other).
    pub recipient: Option<RecipientBody>,
}

impl NewInvitationBody {
    fn parse(self) -> Result<InvitationRequest> {
        let recipient = self
            .recipient
            .map(|r| -> Result<Recipient> {
                Ok(Recipient {
                    first_name: PersonName::parse("recipient.first_name", &r.first_name)?,
                    last_name: PersonName::parse("recipient.last_name", &r.last_name)?,
                    email: r
                        .email
                        .map(|e| EmailAddress::parse("recipient.email", &e))
                        .transpose()?,
                    mobile: r
                        .mobile
                        .map(|m| MobileNumber::parse("recipient.mobile", &m))
                        .transpose()?,
                })
            })
            .transpose()?;
        InvitationRequest::new(self.channel, self.relation, recipient)
    }
}

/// An invitation as staff see it. The link itself is only ever in the message.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct InvitationView {
    pub id: Uuid,
    /// The portal access this invitation grants when redeemed.
    pub access_id: Uuid,
    pub channel: Channel,
    pub relation: Relation,
    pub status: InvitationStatus,
    /// Where the message carrying the link stands: `pending` (queued or being retried),
    /// `sent`, or `failed` (refused for good: fix the address and send again).
    pub delivery: Option<Delivery>,
    /// Why the last delivery attempt failed, if it did.
    pub delivery_error: Option<String>,
    /// The email address or mobile number the link went to.
    pub sent_to: Option<String>,
    pub recipient_first_name: Option<String>,
    pub recipient_last_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub superseded_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<InvitationRecord> for InvitationView {
    type Error = Error;
    fn try_from(r: InvitationRecord) -> Result<Self> {
        let i = r.invitation;
        let channel = i.channel;
        Ok(Self {
            id: i.id,
            access_id: i.access_id,
            relation: i.relation,
            status: r.status,
            delivery: r.delivery,
            delivery_error: r.delivery_error,
            sent_to: match channel {
                Channel::Email => i.recipient_email,
                Channel::Sms => i.recipient_mobile,
            },
            channel,
            recipient_first_name: i.recipient_first_name,
            recipient_last_name: i.recipient_last_name,
            created_at: i.created_at,
            expires_at: i.expires_at,
            used_at: i.used_at,
            superseded_at: i.superseded_at,
            revoked_at: i.revoked_at,
        })
    }
}

#[derive(ApiResponse)]
pub enum InvitationSent {
    /// The invitation was queued for delivery; earlier links for this patient and relation no
    /// longer work.
    #[oai(status = 201)]
    Created(Json<InvitationView>),
}

#[derive(Default)]
pub struct InvitationsApi;

#[OpenApi(prefix_path = "/api/v1/practice", tag = "ApiTags::Invitations")]
impl InvitationsApi {
    /// Send a portal invitation by email or SMS, to the patient or a representative.
    ///
    /// Sending again for the same patient and relation replaces the earlier link (resend).
    /// Refused with 422 `validation_failed`, naming the field, when what the practice requires
    /// is not on the patient's record. Roles: all.
    #[oai(
        path = "/patients/:id/invitations",
        method = "post",
        operation_id = "sendInvitation"
    )]
    async fn send(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        meta: RequestMeta,
        id: Path<Uuid>,
        body: JsonBody<NewInvitationBody>,
    ) -> Result<InvitationSent> {
        let request = body.0.parse()?;
        let record = invitations::send(
            &state.db,
            &staff.0,
            state.settings.issuer(),
            id.0,
            request,
            &meta,
            state.now(),
        )
        .await?;
        state.outbox_wakeup.notify_one();
        Ok(InvitationSent::Created(Json(record.try_into()?)))
    }

    /// A patient's invitations, newest first, with their status and delivery state.
    ///
    /// Roles: all.
    #[oai(
        path = "/patients/:id/invitations",
        method = "get",
        operation_id = "listInvitations"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        staff: StaffAuth,
        id: Path<Uuid>,
    ) -> Result<Json<Vec<InvitationView>>> {
        let records = invitations::for_patient(&state.db, &staff.0, id.0, state.now()).await?;
        Ok(Json(
            records
                .into_iter()
                .map(InvitationView::try_from)
                .collect::<Result<_>>()?,
        ))
    }
}
