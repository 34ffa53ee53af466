//! How callers prove who they are: practice systems with a staff API key, patients and
//! representatives with an access token from `POST /api/v1/login`. Both are bearer tokens.

use crate::api::context::state_of;
use crate::service::practice::api_keys::{self, Staff};
use crate::service::registration::intake::{self, IntakePrincipal};
use crate::service::sessions::patient_auth::{self, PatientPrincipal};
use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;

/// A practice's staff API key: `Authorization: Bearer ptc_…`. The key belongs to one
/// practice and has one role (admin, reception or scheduling).
#[derive(SecurityScheme)]
#[oai(ty = "bearer", rename = "StaffApiKey", checker = "check_staff_key")]
pub struct StaffAuth(pub Staff);

async fn check_staff_key(req: &Request, bearer: Bearer) -> poem::Result<Staff> {
    let state = state_of(req)?;
    Ok(api_keys::authenticate(&state.db, &bearer.token, state.now()).await?)
}

/// A patient's access token (a JWT, `typ: at+jwt`) for one practice:
/// `Authorization: Bearer eyJ…`. Checked on every call: signature, issuer, audience, expiry,
/// and that the session is live and the access to that practice still active.
#[derive(SecurityScheme)]
#[oai(
    ty = "bearer",
    bearer_format = "JWT",
    rename = "PatientAccessToken",
    checker = "check_patient_token"
)]
pub struct PatientAuth(pub PatientPrincipal);

async fn check_patient_token(req: &Request, bearer: Bearer) -> poem::Result<PatientPrincipal> {
    let state = state_of(req)?;
    let principal = patient_auth::authenticate(state, &bearer.token, state.now()).await?;
    // The patient API is for tokens with the portal scope (Portico's own login). Tokens that
    // OpenID Connect clients got carry only the scopes they were granted.
    let portal = principal
        .claims
        .scope
        .split(' ')
        .any(|s| s == crate::auth::tokens::PORTAL_SCOPE);
    if !portal {
        return Err(crate::error::Error::Unauthorized.into());
    }
    Ok(principal)
}

/// A tablet's intake token (scope `intake`) from `POST /api/v1/intake-sessions/{code}`:
/// `Authorization: Bearer eyJ…`. Accepted only by the intake endpoints, and only while its
/// session is neither finished nor past its end.
#[derive(SecurityScheme)]
#[oai(
    ty = "bearer",
    bearer_format = "JWT",
    rename = "IntakeToken",
    checker = "check_intake_token"
)]
pub struct IntakeAuth(pub IntakePrincipal);

async fn check_intake_token(req: &Request, bearer: Bearer) -> poem::Result<IntakePrincipal> {
    let state = state_of(req)?;
    Ok(intake::authenticate(state, &bearer.token, state.now()).await?)
}
