//! Teen consent by code (issue 11): when a practice requires a teenager's consent before a
//! parent's limited access shows anything of the record, the practice gives the teenager a
//! one-time code ([`issue_code`]), and the teenager gives it to the parent, who submits it
//! while logged in ([`redeem`]). The redeemed code, tied to the parent's access, is the
//! consent; the parent's next token (refresh or login) carries the limited scopes.
//!
//! Codes are short enough to read out (10 characters without look-alikes, about 57 bits),
//! valid for [`CODE_TTL`], single use, stored only as SHA-256. Wrong codes count against the
//! account like wrong passwords and two-step codes (`service::throttle`).

use crate::auth::secrets;
use crate::domain::access::{AccessStatus, Relation};
use crate::domain::representation::Band;
use crate::domain::role::Permission;
use crate::error::{Error, Result};
use crate::service::api_keys::Staff;
use crate::service::patient_auth::PatientPrincipal;
use crate::service::{patients, representation, throttle};
use crate::state::AppState;
use crate::store::access_rows;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{portal_access, teen_consent_code};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
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
    patients::find_in_practice(&txn, staff.practice_id, patient_id).await?;
    let code = secrets::human_code(CODE_LEN);
    let row = teen_consent_code::ActiveModel {
        id: Set(Uuid::now_v7()),
        practice_id: Set(staff.practice_id),
        patient_id: Set(patient_id),
        code_hash: Set(secrets::hash_token(&code)),
        created_by: Set(format!("api_key:{}", staff.key_id)),
        created_at: Set(now),
        expires_at: Set(now + CODE_TTL),
        used_at: Set(None),
        used_by_access_id: Set(None),
    }
    .insert(&txn)
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
    let attempt = throttle::attempt(state, &account.username, meta, now).await?;
    let code = normalise(raw_code);
    let access = portal_access::Entity::find()
        .filter(portal_access::Column::AccountId.eq(account.id))
        .filter(portal_access::Column::PatientId.eq(patient_id))
        .filter(portal_access::Column::PracticeId.eq(principal.practice_id))
        .filter(portal_access::Column::Status.eq(AccessStatus::Active.as_str()))
        .filter(
            portal_access::Column::Relation
                .is_in([Relation::Parent.as_str(), Relation::Guardian.as_str()]),
        )
        .one(&state.db)
        .await?;
    let found = match (&access, code.len() == CODE_LEN) {
        (Some(_), true) => {
            let hash = secrets::hash_token(&code);
            teen_consent_code::Entity::find()
                .filter(teen_consent_code::Column::CodeHash.eq(hash.as_str()))
                .one(&state.db)
                .await?
                .filter(|c| secrets::constant_time_eq(c.code_hash.as_bytes(), hash.as_bytes()))
                .filter(|c| c.patient_id == patient_id && c.practice_id == principal.practice_id)
        }
        _ => None,
    };
    let (Some(access), Some(found)) = (access, found) else {
        attempt.failed(state, meta, now).await?;
        audit::record(
            &state.db,
            meta,
            Event::new("teen_consent.refused", Actor::Account(account.id))
                .practice(principal.practice_id)
                .account(account.id)
                .detail(json!({"reason": "invalid_code"})),
            now,
        )
        .await?;
        return Err(Error::InvalidConsentCode);
    };
    // A real code: not a guess, whatever becomes of it.
    attempt.succeeded(state, now).await?;
    if found.used_at.is_some() {
        return Err(Error::ConsentCodeUsed);
    }
    if found.expires_at <= now {
        return Err(Error::ConsentCodeExpired);
    }
    let txn = state.db.begin().await?;
    // One guarded UPDATE: of concurrent submissions of the same code, exactly one wins.
    let won = teen_consent_code::Entity::update_many()
        .col_expr(teen_consent_code::Column::UsedAt, Expr::value(now))
        .col_expr(
            teen_consent_code::Column::UsedByAccessId,
            Expr::value(access.id),
        )
        .filter(teen_consent_code::Column::Id.eq(found.id))
        .filter(teen_consent_code::Column::UsedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if !won {
        return Err(Error::ConsentCodeUsed);
    }
    audit::record(
        &txn,
        meta,
        Event::new("teen_consent.given", Actor::Account(account.id))
            .practice(principal.practice_id)
            .patient(patient_id)
            .account(account.id)
            .access(access.id)
            .detail(json!({"code_id": found.id})),
        now,
    )
    .await?;
    txn.commit().await?;
    let band = match access_rows::at_practice(&state.db, account.id, principal.practice_id).await? {
        Some(at) => representation::bands(&state.db, &at, now.date_naive())
            .await?
            .remove(&access.id)
            .unwrap_or(Band::Full),
        None => Band::Ended,
    };
    Ok(Consented { patient_id, band })
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
