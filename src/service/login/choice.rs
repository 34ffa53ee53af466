//! Steps 2 and 3 of a login: which practice (the requested one, or the only active one; a
//! blocked or revoked practice refused with its name and phone, seeds 000, 001, 004), then
//! what remains there (a forced password change, two-step verification or its enrolment).

use crate::domain::access::AccessStatus;
use crate::domain::login::{PracticeChoice, PracticeStanding, choose_practice};
use crate::error::{Error, Result};
use crate::service::sessions::standing::refusal;
use crate::state::AppState;
use crate::store::access_rows::AtPractice;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{account, account_tokens};
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use serde_json::json;

use crate::service::login::steps::*;

pub(super) enum Chosen {
    One(AtPractice),
    Several(Vec<PracticeOption>),
    Refused(Error, Vec<PracticeOption>),
}

/// Step 2: which practice. Refusals are audited for the practice (one event per patient, so
/// the practice sees them in each patient's trail).
pub(super) async fn choose(
    state: &AppState,
    account: &account::Model,
    mut practices: Vec<AtPractice>,
    requested: Option<&str>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Chosen> {
    let keyed: Vec<(usize, &str, Option<PracticeStanding>)> = practices
        .iter()
        .enumerate()
        .map(|(i, p)| (i, p.slug.as_str(), p.standing()))
        .collect();
    let choice = choose_practice(requested, &keyed);
    match choice {
        PracticeChoice::Use(i) => Ok(Chosen::One(practices.swap_remove(i))),
        PracticeChoice::Choose(indexes) => {
            audit::record(
                &state.db,
                meta,
                Event::new("login.practice_required", Actor::Account(account.id))
                    .account(account.id),
                now,
            )
            .await?;
            Ok(Chosen::Several(
                indexes
                    .into_iter()
                    .filter_map(|i| {
                        let p = &practices[i];
                        p.standing().map(|standing| PracticeOption::of(p, standing))
                    })
                    .collect(),
            ))
        }
        PracticeChoice::Refuse(i, standing) => {
            let at = &practices[i];
            let reason = match standing {
                PracticeStanding::Blocked => "access_blocked",
                PracticeStanding::Revoked => "access_revoked",
                PracticeStanding::ConsentPending => "consent_pending",
                PracticeStanding::ConsentExpired => "consent_expired",
                PracticeStanding::EmailUnconfirmed => "email_unconfirmed",
                PracticeStanding::Active => "no_access",
            };
            let txn = state.db.begin().await?;
            let refused = at.rows.iter().filter(|r| {
                matches!(
                    r.status,
                    AccessStatus::Blocked
                        | AccessStatus::Revoked
                        | AccessStatus::PendingConsent
                        | AccessStatus::ConsentExpired
                        | AccessStatus::PendingVerification
                )
            });
            for row in refused {
                audit::record(
                    &txn,
                    meta,
                    Event::new("login.refused", Actor::Account(account.id))
                        .practice(at.practice_id)
                        .patient(row.patient_id)
                        .account(account.id)
                        .access(row.access_id)
                        .detail(json!({"reason": reason, "access_status": row.status})),
                    now,
                )
                .await?;
            }
            txn.commit().await?;
            let others = practices
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .filter_map(|(_, p)| p.standing().map(|s| PracticeOption::of(p, s)))
                .collect();
            Ok(Chosen::Refused(refusal(at, Some(standing)), others))
        }
        PracticeChoice::NoAccess => {
            audit::record(
                &state.db,
                meta,
                Event::new("login.refused", Actor::Account(account.id))
                    .account(account.id)
                    .detail(json!({"reason": "no_access", "practice": requested})),
                now,
            )
            .await?;
            Err(Error::NoAccess)
        }
    }
}

/// Step 3: what remains between this account and a session at the chosen practice.
pub(super) async fn advance(
    state: &AppState,
    account: account::Model,
    at: AtPractice,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Step> {
    match pending(&account, &at) {
        Some(step @ (Pending::Mfa | Pending::MfaEnrolment)) => {
            let (purpose, ttl, kind) = if step == Pending::Mfa {
                (MFA_PURPOSE, MFA_TTL, "login.mfa_required")
            } else {
                (
                    MFA_ENROLMENT_PURPOSE,
                    MFA_ENROLMENT_TTL,
                    "login.mfa_enrolment_required",
                )
            };
            let txn = state.db.begin().await?;
            let token = account_tokens::issue(
                &txn,
                account.id,
                purpose,
                Some(json!({"practice_id": at.practice_id})),
                ttl,
                now,
            )
            .await?;
            audit::record(
                &txn,
                meta,
                Event::new(kind, Actor::Account(account.id))
                    .practice(at.practice_id)
                    .account(account.id),
                now,
            )
            .await?;
            txn.commit().await?;
            let expires_in = ttl.num_seconds();
            Ok(if step == Pending::Mfa {
                Step::Mfa { token, expires_in }
            } else {
                Step::MfaEnrolment { token, expires_in }
            })
        }
        Some(Pending::PasswordChange) => {
            let txn = state.db.begin().await?;
            let token = account_tokens::issue(
                &txn,
                account.id,
                PASSWORD_CHANGE_PURPOSE,
                Some(json!({"practice_id": at.practice_id})),
                PASSWORD_CHANGE_TTL,
                now,
            )
            .await?;
            audit::record(
                &txn,
                meta,
                Event::new("login.password_change_required", Actor::Account(account.id))
                    .practice(at.practice_id)
                    .account(account.id),
                now,
            )
            .await?;
            txn.commit().await?;
            Ok(Step::PasswordChange {
                token,
                expires_in: PASSWORD_CHANGE_TTL.num_seconds(),
                practice: at.slug.clone(),
            })
        }
        None => Ok(Step::Ready {
            account,
            at,
            amr: AMR_PASSWORD,
        }),
    }
}
