//! Who is calling the patient API: an access token, verified, and re-checked against the
//! database so that a block, a revoke, a logout or a password change takes effect at once,
//! not when the token expires (SECURITY I2, G5).

use crate::auth::tokens::{self, AccessClaims};
use crate::domain::access::AccessStatus;
use crate::domain::login::PracticeStanding;
use crate::error::{Error, Result};
use crate::service::intake;
use crate::service::sessions::refusal;
use crate::state::AppState;
use crate::store::access_rows;
use crate::store::{account, portal_access, session};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, ExprTrait, JoinType, QueryFilter, QuerySelect};
use uuid::Uuid;

/// A patient or representative, authenticated for one practice. Endpoints that act on one
/// patient's record check that `claims.patients` lists it and that its link is still active.
#[derive(Debug, Clone)]
pub struct PatientPrincipal {
    pub account: account::Model,
    pub practice_id: Uuid,
    pub session_id: Uuid,
    pub claims: AccessClaims,
}

/// Verifies the token, then, in one indexed query, that its session is live and the account
/// still has an active access at the token's practice. A blocked or revoked patient gets the
/// practice's message (403); anything else wrong is 401.
pub async fn authenticate(
    state: &AppState,
    token: &str,
    now: DateTime<Utc>,
) -> Result<PatientPrincipal> {
    let claims =
        tokens::verify_access_token(&state.keys, token, state.settings.issuer(), now).await?;
    // A tablet's intake token is for the intake endpoints only (`service::intake`).
    if intake::is_intake_scope(&claims.scope) {
        return Err(Error::Unauthorized);
    }
    let account_id = claims.account_id()?;
    let practice_id = claims.practice.id;
    let active_access = Query::select()
        .expr(Expr::val(1))
        .from(portal_access::Entity)
        .and_where(
            Expr::col((portal_access::Entity, portal_access::Column::AccountId)).eq(account_id),
        )
        .and_where(
            Expr::col((portal_access::Entity, portal_access::Column::PracticeId)).eq(practice_id),
        )
        .and_where(
            Expr::col((portal_access::Entity, portal_access::Column::Status))
                .eq(AccessStatus::Active.as_str()),
        )
        // A consent that has run out ends the access at once, before the lapse job marks it.
        .cond_where(portal_access::consent_current(now))
        .to_owned();
    let found = account::Entity::find()
        .join(
            JoinType::InnerJoin,
            account::Entity::belongs_to(session::Entity)
                .from(account::Column::Id)
                .to(session::Column::AccountId)
                .into(),
        )
        .filter(account::Column::Id.eq(account_id))
        .filter(session::Column::Id.eq(claims.sid))
        .filter(session::Column::PracticeId.eq(practice_id))
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::ExpiresAt.gt(now))
        .filter(
            Condition::any()
                .add(account::Column::SessionsValidAfter.is_null())
                .add(
                    Expr::col((session::Entity, session::Column::CreatedAt)).gte(Expr::col((
                        account::Entity,
                        account::Column::SessionsValidAfter,
                    ))),
                ),
        )
        .filter(Expr::exists(active_access))
        .one(&state.db)
        .await?;
    if let Some(account) = found {
        return Ok(PatientPrincipal {
            account,
            practice_id,
            session_id: claims.sid,
            claims,
        });
    }
    // Refused: say why when it is the practice's decision, as login does.
    match access_rows::at_practice(&state.db, account_id, practice_id).await? {
        Some(at) => match at.standing() {
            s @ Some(PracticeStanding::Blocked | PracticeStanding::Revoked) => Err(refusal(&at, s)),
            _ => Err(Error::Unauthorized),
        },
        None => Err(Error::Unauthorized),
    }
}
