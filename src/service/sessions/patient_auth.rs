//! Who is calling the patient API: an access token, verified, and re-checked against the
//! database so that a block, a revoke, a logout or a password change takes effect at once,
//! not when the token expires (SECURITY I2, G5).

use crate::auth::tokens::{self, AccessClaims, PatientClaim};
use crate::domain::login::PracticeStanding;
use crate::domain::oauth::is_intake_scope;
use crate::error::{Error, Result};
use crate::service::sessions::standing::refusal;
use crate::state::AppState;
use crate::store::access_rows::AtPractice;
use crate::store::account;
use crate::store::direct::sessions as direct_sessions;
use crate::store::sessions as store_sessions;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A patient or representative, authenticated for one practice. Endpoints that act on one
/// patient's record check that `claims.patients` lists it and that its link is still active.
#[derive(Debug, Clone)]
pub struct PatientPrincipal {
    pub account: account::Model,
    pub practice_id: Uuid,
    pub session_id: Uuid,
    pub claims: AccessClaims,
    /// The account's accesses at the practice as they are now (not as the token lists them).
    pub at: AtPractice,
}

impl PatientPrincipal {
    /// The token's patients whose access is still active: what introspection may report.
    pub fn live_patients(&self) -> Vec<PatientClaim> {
        self.claims
            .patients
            .iter()
            .filter(|p| self.at.active().any(|r| r.patient_id == p.id))
            .cloned()
            .collect()
    }
}

/// Verifies the token, then, in one query (`store::sessions::principal`), that its session is
/// live and the account still has an active access at the token's practice (and to the
/// token's `patient`, when it names one). A blocked or revoked patient gets the practice's
/// message (403); anything else wrong is 401. What the token lists is then read through
/// [`PatientPrincipal::live_patients`], never from the claims alone.
pub async fn authenticate(
    state: &AppState,
    token: &str,
    now: DateTime<Utc>,
) -> Result<PatientPrincipal> {
    let claims =
        tokens::verify_access_token(&state.keys, token, state.settings.issuer(), now).await?;
    check_live(state, claims, now).await
}

/// [`authenticate`] for claims already verified (introspection verifies first, to see whose
/// practice the token is for).
pub async fn check_live(
    state: &AppState,
    claims: AccessClaims,
    now: DateTime<Utc>,
) -> Result<PatientPrincipal> {
    // A tablet's intake token is for the intake endpoints only (`service::registration::intake`).
    if is_intake_scope(&claims.scope) {
        return Err(Error::Unauthorized);
    }
    let account_id = claims.account_id()?;
    let practice_id = claims.practice.id;
    let found = match &state.direct {
        Some(direct) => {
            direct_sessions::principal(direct, account_id, claims.sid, practice_id, now)?
        }
        None => {
            store_sessions::principal(&state.db, account_id, claims.sid, practice_id, now).await?
        }
    };
    let Some((account, session_live, at)) = found else {
        return Err(Error::Unauthorized);
    };
    // A token bound to one patient (`patient`, a SMART launch or a sole patient) dies with
    // that patient's access, even when others remain: what it speaks for must be live.
    let context_live = claims
        .patient
        .is_none_or(|id| at.active().any(|r| r.patient_id == id));
    if session_live && context_live && at.active().next().is_some() {
        return Ok(PatientPrincipal {
            account,
            practice_id,
            session_id: claims.sid,
            claims,
            at,
        });
    }
    // Refused: say why when it is the practice's decision, as login does.
    match at.standing() {
        s @ Some(PracticeStanding::Blocked | PracticeStanding::Revoked) => Err(refusal(&at, s)),
        _ => Err(Error::Unauthorized),
    }
}
