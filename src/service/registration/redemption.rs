//! Following an invitation link: what it is for, and redeeming it as the patient or as a
//! representative, with a new account or one the person already has (seed 004).
//!
//! The patient's date of birth is asked as a confirmation of identity before any access is
//! granted (HIPAA 164.514(h)); a mismatch says nothing about the record. The link is consumed
//! by one conditional UPDATE in the transaction that creates the account and activates the
//! access, so of any number of parallel redemptions exactly one succeeds and the others
//! create nothing.

use crate::auth::password::Verification;
use crate::domain::access::{AccessStatus, Relation, needs_patient_consent};
use crate::domain::contact::PersonName;
use crate::domain::invitation::{AccountMode, Channel};
use crate::domain::password_policy::{self, PasswordContext};
use crate::domain::representation::check_self_service_age;
use crate::domain::username::Username;
use crate::error::{Error, Result};
use crate::service::accounts::logins::{self, NewAccount};
use crate::service::practice::practices::{self, PracticeSettings};
use crate::service::{login::mfa, representation::consent_requests, sessions::throttle};
use crate::state::AppState;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::invitations as store;
use crate::store::{access as accesses, account, portal_access, practice};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::json;

use crate::service::registration::link_checks::{
    Check, consume, count_check, find, find_redeemable, patient_of, record_failure, uncount_check,
};
/// What a link is for, and nothing more: no last name, no date of birth, no contact details.
#[derive(Debug, Clone)]
pub struct Preview {
    pub practice: practice::Model,
    pub patient_first_name: String,
    pub relation: Relation,
    /// The representative's first name, for a representative invitation.
    pub recipient_first_name: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// A representative's own details (seed 004: "They will select Representative").
#[derive(Debug, Clone)]
pub struct Representative {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub date_of_birth: NaiveDate,
}

/// What the person following the link gives.
pub struct Redemption {
    pub account: AccountMode,
    pub username: String,
    pub password: String,
    /// The patient's date of birth, as a confirmation.
    pub date_of_birth: NaiveDate,
    pub representative: Option<Representative>,
    /// A two-step code (TOTP or recovery), for an existing account that has it on.
    pub code: Option<String>,
}

/// A redeemed invitation: the account now holding access to the patient's record (active, or
/// `pending_consent` for an adult patient's spouse, caregiver or other representative).
#[derive(Debug, Clone)]
pub struct Redeemed {
    pub account: account::Model,
    pub access: portal_access::Model,
    pub practice: practice::Model,
    pub patient_first_name: String,
    /// A new account was created (as opposed to an existing one linked).
    pub created: bool,
}

/// What a link is for: 404 `invitation_invalid` if unknown, 410 `invitation_expired` or
/// `invitation_used` if it no longer works.
pub async fn preview(db: &DatabaseConnection, token: &str, now: DateTime<Utc>) -> Result<Preview> {
    let (inv, _) = find_redeemable(db, token, now).await?;
    let patient = patient_of(db, &inv).await?;
    let practice = practices::get(db, inv.practice_id).await?;
    Ok(Preview {
        practice,
        patient_first_name: patient.first_name,
        relation: inv.relation,
        recipient_first_name: inv.recipient_first_name,
        expires_at: inv.expires_at,
    })
}

/// The practice that sent a link, whatever state the link is in (`None` for an unknown one):
/// the page for an expired or used link tells the person whom to call.
pub async fn practice_of_link(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Option<practice::Model>> {
    match find(db, token).await {
        Ok(inv) => Ok(Some(practices::get(db, inv.practice_id).await?)),
        Err(Error::InvitationInvalid) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Who will hold the access: an account to create (password already hashed) or one that
/// proved its password.
enum Holder {
    New {
        username: Username,
        password_hash: String,
    },
    Existing(Box<account::Model>),
}

/// Redeems an invitation. Slow work (argon2) happens before the transaction; the transaction
/// consumes the link, creates or links the account, activates the access and audits it. An
/// existing account signs in as at login: the same throttle, and its second factor when it
/// has one.
pub async fn redeem(
    state: &AppState,
    token: &str,
    r: Redemption,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Redeemed> {
    let db = &state.db;
    let hasher = &state.hasher;
    let issuer = state.settings.issuer();
    let (inv, invited) = find_redeemable(db, token, now).await?;
    let relation = inv.relation;
    match (relation.is_representative(), &r.representative) {
        (true, None) => {
            return Err(Error::invalid(
                "representative",
                "is required: your own first name, last name and date of birth",
            ));
        }
        (false, Some(_)) => {
            return Err(Error::invalid(
                "representative",
                "is only for a representative's invitation",
            ));
        }
        _ => {}
    }
    let patient = patient_of(db, &inv).await?;
    let practice = practices::get(db, inv.practice_id).await?;
    // The date of birth is judged in one guarded statement that also counts it when wrong:
    // however many arrive at once, each is judged as if it came after the ones before it, and
    // none is accepted once the link has had its tries.
    let wrong_date = patient.date_of_birth != r.date_of_birth;
    let check = count_check(db, &inv, Check::DateOfBirth { wrong: wrong_date }, now).await?;
    if wrong_date {
        record_failure(db, &inv, check, "date_of_birth_mismatch", meta, now).await?;
        return Err(Error::invalid(
            "date_of_birth",
            "The details given do not match our records. Please check them and try again.",
        ));
    }
    if relation == Relation::Own {
        check_self_service_age(
            patient.date_of_birth,
            now.date_naive(),
            PracticeSettings::from(&practice).min_self_service_age,
        )?;
    }

    // The account's email: the address the link went to for a representative, the patient's
    // own for the patient.
    let email = match relation {
        Relation::Own => patient.email.clone(),
        _ => inv.recipient_email.clone(),
    };
    // A texted link proves the number: it becomes the account's contact (issue 22).
    let texted_to = match inv.channel {
        Channel::Sms => inv.recipient_mobile.clone(),
        Channel::Email => None,
    };
    let holder = match r.account {
        AccountMode::New => {
            let username = Username::parse(&r.username)?;
            password_policy::check(
                &r.password,
                &PasswordContext {
                    username: Some(username.as_str()),
                    email: email.as_deref(),
                    practice_name: Some(&practice.name),
                    mfa: false,
                },
            )?;
            if logins::find_by_username(db, username.as_str())
                .await?
                .is_some()
            {
                return Err(Error::UsernameTaken);
            }
            Holder::New {
                username,
                password_hash: hasher.hash(&r.password).await?,
            }
        }
        AccountMode::Existing => {
            // Counted before argon2 runs, on the login throttle (per account and per address)
            // and on the link; taken back if the password is right.
            let attempt = throttle::attempt(state, &r.username, meta, now).await?;
            let check = match count_check(db, &inv, Check::Password, now).await {
                Ok(check) => check,
                Err(e) => {
                    attempt.succeeded(state, now).await?;
                    return Err(e);
                }
            };
            let found = logins::find_by_username(db, &r.username).await?;
            let checked = hasher
                .verify(
                    &r.password,
                    found.as_ref().map(|a| a.password_hash.as_str()),
                )
                .await?;
            match (checked, found) {
                (Verification::Valid { .. }, Some(a)) => {
                    attempt.succeeded(state, now).await?;
                    uncount_check(db, &inv).await?;
                    second_factor(state, &a, r.code.as_deref(), meta, now).await?;
                    Holder::Existing(Box::new(a))
                }
                _ => {
                    attempt.failed(state, meta, now).await?;
                    record_failure(db, &inv, check, "invalid_credentials", meta, now).await?;
                    return Err(Error::InvalidCredentials);
                }
            }
        }
    };

    let txn = db.begin().await?;
    consume(&txn, &inv, now).await?;
    let (account, created) = match holder {
        Holder::New {
            username,
            password_hash,
        } => {
            // Following an emailed link proves the address, when it is the account's.
            let email_verified =
                inv.channel == Channel::Email && email.is_some() && email == inv.recipient_email;
            let (first_name, last_name, date_of_birth) = match &r.representative {
                Some(rep) => (
                    rep.first_name.as_str().to_owned(),
                    rep.last_name.as_str().to_owned(),
                    rep.date_of_birth,
                ),
                None => (
                    patient.first_name.clone(),
                    patient.last_name.clone(),
                    patient.date_of_birth,
                ),
            };
            let email = email
                .as_deref()
                .map(|e| crate::domain::contact::EmailAddress::parse("email", e))
                .transpose()?;
            let account = logins::insert(
                &txn,
                NewAccount {
                    username,
                    email,
                    email_verified,
                    mobile: texted_to
                        .as_deref()
                        .map(|m| crate::domain::contact::MobileNumber::parse("mobile", m))
                        .transpose()?,
                    password_hash,
                    must_change_password: false,
                    first_name: Some(first_name),
                    last_name: Some(last_name),
                    date_of_birth: Some(date_of_birth),
                },
                now,
            )
            .await?;
            (account, true)
        }
        Holder::Existing(account) => {
            if let Some(m) = &texted_to {
                crate::store::accounts::set_mobile_if_none(&txn, account.id, m, now).await?;
            }
            (*account, false)
        }
    };
    store::record_redeemer(&txn, inv.id, account.id).await?;
    // An adult decides who sees their record: a spouse, caregiver or other representative
    // waits for the patient's consent.
    let pending = needs_patient_consent(
        relation,
        patient.date_of_birth,
        now.date_naive(),
        practice.age_of_majority,
    );
    let status = if pending {
        AccessStatus::PendingConsent
    } else {
        AccessStatus::Active
    };
    // The account the access held before, as read when the link was checked: only a
    // redemption of the access's one live link (consumed above) changes it.
    let previous_account = invited.account_id;
    // Guarded on `invited`: a revoke or block that landed since the link was read wins.
    let access = accesses::redeem_invited(&txn, inv.access_id, account.id, status, now)
        .await
        .map_err(|e| {
            if crate::db::is_unique_violation(&e) {
                Error::Conflict(
                    "This account already has portal access to this patient's record.".into(),
                )
            } else {
                e.into()
            }
        })?
        .ok_or(Error::InvitationUsed)?;
    audit::record(
        &txn,
        meta,
        Event::new("invitation.redeemed", Actor::Account(account.id))
            .practice(inv.practice_id)
            .patient(inv.patient_id)
            .account(account.id)
            .access(access.id)
            .detail(json!({
                "invitation_id": inv.id,
                "relation": relation.as_str(),
                "account": if created { "new" } else { "existing" },
                "relinked": previous_account.is_some_and(|p| p != account.id),
                "status": status.as_str(),
                "representative": r.representative.as_ref().map(|rep| json!({
                    "first_name": rep.first_name.as_str(),
                    "last_name": rep.last_name.as_str(),
                })),
            })),
        now,
    )
    .await?;
    if pending {
        consent_requests::issue(&txn, issuer, &access, &patient, &practice, now).await?;
    } else if relation.is_representative() {
        consent_requests::notify_access_gained(
            &txn, issuer, &access, &patient, &practice, None, now,
        )
        .await?;
    }
    txn.commit().await?;
    if !created {
        // A complete sign-in, as a complete login: the account's failures are cleared.
        throttle::forget_account(db, &account.username).await?;
    }
    Ok(Redeemed {
        account,
        access,
        practice,
        patient_first_name: patient.first_name,
        created,
    })
}

/// An existing account with two-step verification on gives a code as well, checked as at
/// login: throttled on the account (one counter with its passwords), spent on use. Without
/// one the answer is `mfa_required`, and nothing is linked.
async fn second_factor(
    state: &AppState,
    account: &account::Model,
    code: Option<&str>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    if account.totp_enabled_at.is_none() {
        return Ok(());
    }
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Err(Error::MfaRequired);
    };
    let attempt = throttle::attempt(state, &account.username, meta, now).await?;
    match mfa::verify(state, account, code, meta, now).await {
        Ok(_) => attempt.succeeded(state, now).await,
        Err(Error::InvalidMfaCode) => {
            attempt.failed(state, meta, now).await?;
            Err(Error::InvalidMfaCode)
        }
        Err(e) => Err(e),
    }
}
