//! The patient side of an invitation link (`{public_url}/invite/{token}`): what it is for,
//! and redeeming it. No authentication: the link is the credential.

use crate::api::context::RequestMeta;
use crate::api::json::JsonBody;
use crate::api::tags::ApiTags;
use crate::domain::access::{AccessStatus, Relation};
use crate::domain::contact::PersonName;
use crate::domain::invitation::AccountMode;
use crate::domain::patient::check_date_of_birth;
use crate::error::Result;
use crate::service::registration::redemption::{self, Redemption, Representative};
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;
use uuid::Uuid;

/// A practice, as a patient sees it.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PracticeRef {
    pub slug: String,
    pub name: String,
}

impl From<&crate::service::practice::practices::Practice> for PracticeRef {
    fn from(p: &crate::service::practice::practices::Practice) -> Self {
        Self {
            slug: p.slug.clone(),
            name: p.name.clone(),
        }
    }
}

/// What an invitation link is for, and nothing more.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct InvitationPreview {
    pub practice: PracticeRef,
    pub patient_first_name: String,
    /// `self`: the patient's own access; otherwise the representative's relation to them.
    pub relation: Relation,
    /// For a representative invitation: whom it was sent to.
    pub recipient_first_name: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// How the link may be redeemed: with a new account, or one the person already has.
    pub account_modes: Vec<AccountMode>,
}

/// A representative's own details.
#[derive(Debug, Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct RepresentativeBody {
    pub first_name: String,
    pub last_name: String,
    /// `YYYY-MM-DD`: the representative's own date of birth.
    pub date_of_birth: NaiveDate,
}

/// Redeeming a link. `date_of_birth` is the patient's, as a confirmation of identity.
#[derive(Object, Deserialize)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct RedeemBody {
    /// `new`: create an account with this username and password. `existing`: sign in with
    /// the account you already have (after a revoke, the same credentials work again).
    pub account: AccountMode,
    pub username: String,
    /// At least 15 characters for a new account; any characters, no composition rules.
    #[oai(write_only)]
    pub password: String,
    /// `YYYY-MM-DD`: the patient's date of birth.
    pub date_of_birth: NaiveDate,
    /// Required for a representative's invitation: your own name and date of birth.
    pub representative: Option<RepresentativeBody>,
    /// With `existing`, when that account has two-step verification on: a code from the
    /// authenticator app or a recovery code. Without it the answer is `401 mfa_required`.
    #[oai(write_only)]
    pub code: Option<String>,
}

impl RedeemBody {
    pub fn parse(self, today: NaiveDate) -> Result<Redemption> {
        Ok(Redemption {
            account: self.account,
            username: self.username,
            password: self.password,
            date_of_birth: self.date_of_birth,
            code: self.code,
            representative: self
                .representative
                .map(|r| -> Result<Representative> {
                    Ok(Representative {
                        first_name: PersonName::parse("representative.first_name", &r.first_name)?,
                        last_name: PersonName::parse("representative.last_name", &r.last_name)?,
                        date_of_birth: check_date_of_birth(
                            "representative.date_of_birth",
                            r.date_of_birth,
                            today,
                        )?,
                    })
                })
                .transpose()?,
        })
    }
}

/// The access a redeemed link granted.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RedeemedInvitation {
    pub account_id: Uuid,
    pub username: String,
    pub access_id: Uuid,
    pub relation: Relation,
    pub status: AccessStatus,
    pub practice: PracticeRef,
    pub patient_first_name: String,
}

#[derive(ApiResponse)]
pub enum RedeemOutcome {
    /// A new account was created and holds the access.
    #[oai(status = 201)]
    Created(Json<RedeemedInvitation>),
    /// The existing account now holds the access.
    #[oai(status = 200)]
    Linked(Json<RedeemedInvitation>),
}

#[derive(Default)]
pub struct PatientInvitationsApi;

#[OpenApi(prefix_path = "/api/v1/invitations", tag = "ApiTags::Invitations")]
impl PatientInvitationsApi {
    /// What an invitation link is for: practice, patient's first name, relation, expiry.
    ///
    /// 404 `invitation_invalid` if unknown; 410 `invitation_expired` or `invitation_used`
    /// (also when replaced by a newer link or revoked).
    #[oai(path = "/:token", method = "get", operation_id = "getInvitation")]
    async fn preview(
        &self,
        state: Data<&AppState>,
        token: Path<String>,
    ) -> Result<Json<InvitationPreview>> {
        let p = redemption::preview(&state.db, &token.0, state.now()).await?;
        Ok(Json(InvitationPreview {
            practice: PracticeRef::from(&p.practice),
            patient_first_name: p.patient_first_name,
            relation: p.relation,
            recipient_first_name: p.recipient_first_name,
            expires_at: p.expires_at,
            account_modes: vec![AccountMode::New, AccountMode::Existing],
        }))
    }

    /// Redeem an invitation with a new account or an existing one.
    ///
    /// The patient's date of birth confirms identity; a mismatch is 422 and the link keeps
    /// working (up to 10 wrong attempts). A representative gives their own name and date of
    /// birth. Exactly one of several parallel redemptions succeeds. An existing account signs
    /// in as at login: the same throttle (`429 rate_limited`), and when it has two-step
    /// verification on, a `code` (`401 mfa_required` without one, `401 invalid_mfa_code` for
    /// a wrong one).
    #[oai(
        path = "/:token/redeem",
        method = "post",
        operation_id = "redeemInvitation"
    )]
    async fn redeem(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        token: Path<String>,
        body: JsonBody<RedeemBody>,
    ) -> Result<RedeemOutcome> {
        let now = state.now();
        let redemption = body.0.parse(now.date_naive())?;
        let r = redemption::redeem(&state, &token.0, redemption, &meta, now).await?;
        state.outbox_wakeup.notify_one();
        let view = RedeemedInvitation {
            account_id: r.account.id,
            username: r.account.username,
            access_id: r.access.id,
            relation: r.access.relation,
            status: r.access.status,
            practice: PracticeRef::from(&r.practice),
            patient_first_name: r.patient_first_name,
        };
        Ok(if r.created {
            RedeemOutcome::Created(Json(view))
        } else {
            RedeemOutcome::Linked(Json(view))
        })
    }
}
