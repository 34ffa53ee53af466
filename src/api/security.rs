//! How callers prove who they are: practice systems with a staff API key as a bearer token.

use crate::api::context::state_of;
use crate::service::api_keys::{self, Staff};
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
