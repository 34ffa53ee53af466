//! The patient's side of a consent request (`{public_url}/representative-consent/{token}`):
//! who asks, and approving or declining. No authentication: the link (or the code from the
//! same email, which works in its place) is the credential, and it works once.

use crate::api::context::RequestMeta;
use crate::api::invitations::PracticeRef;
use crate::api::tags::ApiTags;
use crate::domain::access::{AccessStatus, ConsentDecision, Relation};
use crate::error::Result;
use crate::service::representation::consent_requests::{self, Decided};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

/// Who asks to act for the patient: their name, relation and the practice, and nothing from
/// the patient's record.
#[derive(Debug, Object)]
pub struct ConsentRequestView {
    /// The representative's name, as they gave it.
    pub representative_name: String,
    pub relation: Relation,
    pub practice: PracticeRef,
    /// The link and code stop working then.
    pub expires_at: DateTime<Utc>,
}

/// The access after the patient's decision.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ConsentDecisionView {
    pub access_id: Uuid,
    /// `active` after approval, `revoked` after a decline.
    pub status: AccessStatus,
    /// When the consent runs out (after approval).
    pub consent_expires_at: Option<DateTime<Utc>>,
    pub practice: PracticeRef,
}

impl From<Decided> for ConsentDecisionView {
    fn from(d: Decided) -> Self {
        Self {
            access_id: d.access.id,
            status: d.access.status,
            consent_expires_at: d.access.consent_expires_at,
            practice: PracticeRef::from(&d.practice),
        }
    }
}

#[derive(Default)]
pub struct RepresentativeConsentsApi;

#[OpenApi(
    prefix_path = "/api/v1/representative-consents",
    tag = "ApiTags::Invitations"
)]
impl RepresentativeConsentsApi {
    /// Who asks to act for the patient: `token` is the link's token or the emailed code.
    ///
    /// An unknown, used, replaced or expired link is `410 token_invalid`.
    #[oai(
        path = "/:token",
        method = "get",
        operation_id = "getRepresentativeConsent"
    )]
    async fn preview(
        &self,
        state: Data<&AppState>,
        token: Path<String>,
    ) -> Result<Json<ConsentRequestView>> {
        let p = consent_requests::preview(&state.db, &token.0, state.now()).await?;
        Ok(Json(ConsentRequestView {
            representative_name: p.representative_name,
            relation: p.relation,
            practice: PracticeRef::from(&p.practice),
            expires_at: p.expires_at,
        }))
    }

    /// Approve: the representative's access becomes active for the practice's
    /// `adult_representative_consent_months`. The link is used up.
    #[oai(
        path = "/:token/approve",
        method = "post",
        operation_id = "approveRepresentativeConsent"
    )]
    async fn approve(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        token: Path<String>,
    ) -> Result<Json<ConsentDecisionView>> {
        let d = consent_requests::decide(
            &state,
            &token.0,
            ConsentDecision::Approve,
            &meta,
            state.now(),
        )
        .await?;
        Ok(Json(d.into()))
    }

    /// Decline: the representative's access is cancelled (`revoked`) and they are told. The
    /// link is used up.
    #[oai(
        path = "/:token/decline",
        method = "post",
        operation_id = "declineRepresentativeConsent"
    )]
    async fn decline(
        &self,
        state: Data<&AppState>,
        meta: RequestMeta,
        token: Path<String>,
    ) -> Result<Json<ConsentDecisionView>> {
        let d = consent_requests::decide(
            &state,
            &token.0,
            ConsentDecision::Decline,
            &meta,
            state.now(),
        )
        .await?;
        Ok(Json(d.into()))
    }
}
