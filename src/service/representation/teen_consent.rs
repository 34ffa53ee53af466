//! Teen consent by code (issue 11): when a practice requires a teenager's consent before a
//! parent's limited access shows anything of the record, the practice gives the teenager a
//! one-time code ([`issue_code`]), and the teenager gives it to the parent, who submits it
//! while logged in ([`redeem`]). The redeemed code, tied to the parent's access, is the
//! consent; the parent's next token (refresh or login) carries the limited scopes.
//!
//! Codes are short enough to read out (10 characters without look-alikes, about 57 bits),
//! valid for [`CODE_TTL`], single use, stored only as SHA-256. Wrong codes count against the
//! account like wrong passwords and two-step codes (`service::sessions::throttle`).

use crate::crypto::secrets;
use crate::domain::representation::Band;
use crate::domain::role::Permission;
use crate::error::{Error, Result};
use crate::service::practice::api_keys::Staff;
use crate::service::sessions::patient_auth::PatientPrincipal;
use crate::service::{patients::records, representation::bands, sessions::throttle};
use crate::state::AppState;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{access, access_rows, teen_consent_code, teen_consent_codes};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

/// How long a consent code works.
pub const CODE_TTL: TimeDelta = TimeDelta::days(7);
/// Characters in a consent code.
const CODE_LEN: usize = 10;

/// A code just issued: shown once.
#[derive(Debug, Clone)]
pub struct IssuedCode {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// Issues a consent code for a patient of the caller's practice.
pub async fn issue_code(
    db: &DatabaseConnection,
    staff: &Staff,
    patient_id: Uuid,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<IssuedCode> {
    staff.require(Permission::ManageRepresentation)?;
    let txn = db.begin().await?;
    records::find_in_practice(&txn, staff.practice_id, patient_id).await?;
    let code = secrets::human_code(CODE_LEN);
    let row = teen_consent_codes::insert(
        &txn,
        teen_consent_code::Model {
            id: Uuid::now_v7(),
            practice_id: staff.practice_id,
            patient_id,
            code_hash: secrets::hash_token(&code),
            created_by: format!("api_key:{}", staff.key_id),
            created_at: now,
            expires_at: now + CODE_TTL,
            used_at: None,
            used_by_access_id: None,
        },
    )
    .await?;
    audit::record(
        &txn,
        meta,
        Event::new("teen_consent.code_issued", staff.actor())
            .practice(staff.practice_id)
            .patient(patient_id)
            .detail(json!({"code_id": row.id, "expires_at": row.expires_at})),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(IssuedCode {
        id: row.id,
        patient_id,
        code,
        expires_at: row.expires_at,
    })
}

/// The parent's access after consent: its band and the scopes it leaves.
#[derive(Debug, Clone)]
pub struct Consented {
    pub patient_id: Uuid,
    pub band: Band,
}

/// What people type: spaces and dashes are only for reading the code out.
fn normalise(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

/// Submits a consent code as the logged-in parent or guardian of `patient_id` at the token's
/// practice. Unknown codes, codes for another patient and callers who are not that patient's
/// parent or guardian all get `invalid_consent_code` (and count as failures).
pub async fn redeem(
    state: &AppState,
    principal: &PatientPrincipal,
    patient_id: Uuid,
    raw_code: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Consented> {
    let account = &principal.account;
    let practice_id = principal.practice_id;
    let attempt = throttle::attempt(state, &account.username, meta, now).await?;
    let code = normalise(raw_code);
    let access =
        access::active_minor_representation(&state.db, account.id, patient_id, practice_id).await?;
    let (Some(access), true) = (access, code.len() == CODE_LEN) else {
        return refused(state, principal, attempt, meta, now).await;
    };
    let hash = secrets::hash_token(&code);
    let txn = state.db.begin().await?;
    // One guarded UPDATE: of concurrent submissions of the same code exactly one spends it,
    // and the consent commits with its audit event.
    let Some(spent) =
        teen_consent_codes::spend(&txn, &hash, patient_id, practice_id, access.id, now).await?
    else {
        // Released before the throttle and the audit trail write outside it.
        txn.rollback().await?;
        // A real code for this patient here, used or expired, is told apart from a guess.
        let Some(found) = teen_consent_codes::find_by_hash(&state.db, &hash)
            .await?
            .filter(|c| secrets::constant_time_eq(c.code_hash.as_bytes(), hash.as_bytes()))
            .filter(|c| c.patient_id == patient_id && c.practice_id == practice_id)
        else {
            return refused(state, principal, attempt, meta, now).await;
        };
        // A real code: not a guess, whatever becomes of it.
        attempt.succeeded(state, now).await?;
        return Err(if found.used_at.is_none() && found.expires_at <= now {
            Error::ConsentCodeExpired
        } else {
            Error::ConsentCodeUsed
        });
    };
    audit::record(
        &txn,
        meta,
        Event::new("teen_consent.given", Actor::Account(account.id))
            .practice(practice_id)
            .patient(patient_id)
            .account(account.id)
            .access(access.id)
            .detail(json!({"code_id": spent.id})),
        now,
    )
    .await?;
    txn.commit().await?;
    attempt.succeeded(state, now).await?;
    let band = match access_rows::at_practice(&state.db, account.id, principal.practice_id).await? {
        Some(at) => bands::bands(&state.db, &at, now.date_naive())
            .await?
            .remove(&access.id)
            .unwrap_or(Band::Full),
        None => Band::Ended,
    };
    Ok(Consented { patient_id, band })
}

/// A code that is no real one for this caller: counted against the account like a wrong
/// password, audited, and `invalid_consent_code`.
async fn refused(
    state: &AppState,
    principal: &PatientPrincipal,
    attempt: throttle::Attempt,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Consented> {
    let account_id = principal.account.id;
    attempt.failed(state, meta, now).await?;
    audit::record(
        &state.db,
        meta,
        Event::new("teen_consent.refused", Actor::Account(account_id))
            .practice(principal.practice_id)
            .account(account_id)
            .detail(json!({"reason": "invalid_code"})),
        now,
    )
    .await?;
    Err(Error::InvalidConsentCode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_may_be_typed_with_spaces_and_dashes() {
        assert_eq!(normalise(" abcde-FGHJK "), "abcdeFGHJK");
        assert_eq!(normalise("abcde fghjk"), "abcdefghjk");
    }
}
