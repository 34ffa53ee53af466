//! Asking a patient to consent to an adult representative (issue 11): a spouse, caregiver or
//! other representative of an adult patient gets access `pending_consent` when they redeem
//! their link, and the patient is emailed a link (and a code to type on the consent page)
//! to approve or decline. Approval makes the access active for the practice's
//! `adult_representative_consent_months`.
//!
//! Requests reuse the token machinery: 256-bit link tokens and 12-character codes (about 69
//! bits), only their SHA-256 stored; single use, 14 days, and a new request replaces the
//! previous one. The decision consumes the request with one conditional UPDATE in the
//! transaction that changes the access, so a link used twice (or raced) decides once.

use crate::crypto::secrets;
use crate::domain::access::{AccessStatus, ConsentDecision, Relation, consent_transition};
use crate::domain::role::Permission;
use crate::error::{Error, Result};
use crate::mail::consent::{self, ConsentLink, Who};
use crate::mail::onboarding::Sender;
use crate::service::access::listing::AccessRecord;
use crate::service::practice::api_keys::Staff;
use crate::service::representation::consent_periods::{activate_with_consent, end_by_patient};
use crate::state::AppState;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::representation::{self as requests, ConsentSecret};
use crate::store::{
    access, accounts, invitations, outbox, patient, patients, portal_access, practice,
    representative_consent,
};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

/// How long a consent link and code work.
pub const LINK_TTL: TimeDelta = TimeDelta::days(14);
/// Characters in the code the patient can type instead of following the link.
pub const CODE_LEN: usize = 12;
/// Where the code can be typed.
pub const CODE_PAGE: &str = "/representative-consent";

/// Whether a presented code is shaped like one of ours (see [`secrets::human_code`]).
fn looks_like_code(raw: &str) -> bool {
    raw.len() == CODE_LEN && raw.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The name a patient knows the representative by: the name they gave when they redeemed
/// their link, else the name the practice invited them by, else their username.
pub async fn representative_name<C: ConnectionTrait>(
    conn: &C,
    access: &portal_access::Model,
) -> Result<String> {
    let holder = match access.account_id {
        Some(id) => accounts::find(conn, id).await?,
        None => None,
    };
    let named = |f: Option<&String>, l: Option<&String>| match (f, l) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (Some(f), None) => Some(f.clone()),
        _ => None,
    };
    if let Some(n) = holder
        .as_ref()
        .and_then(|a| named(a.first_name.as_ref(), a.last_name.as_ref()))
    {
        return Ok(n);
    }
    let invited = invitations::latest_for_access(conn, access.id).await?;
    if let Some(n) = invited.and_then(|i| {
        named(
            i.recipient_first_name.as_ref(),
            i.recipient_last_name.as_ref(),
        )
    }) {
        return Ok(n);
    }
    Ok(holder.map_or_else(|| "Your representative".to_owned(), |a| a.username))
}

fn relation_of(access: &portal_access::Model) -> Relation {
    access.relation
}

fn sender(p: &practice::Model) -> Sender<'_> {
    Sender {
        name: &p.name,
        phone: &p.contact_phone,
    }
}

/// The patient's account page, linked from the notices.
pub fn account_url(issuer: &str) -> String {
    format!("{issuer}/account")
}

/// Sends the patient a consent request for a pending access, replacing any earlier one, in
/// the caller's transaction. Returns `false` (and sends nothing) when the patient has no
/// email on file: the practice sees the access pending and can send it once there is one.
pub async fn issue<C: ConnectionTrait>(
    conn: &C,
    issuer: &str,
    access: &portal_access::Model,
    patient: &patient::Model,
    practice: &practice::Model,
    now: DateTime<Utc>,
) -> Result<bool> {
    let Some(to) = patient.email.clone() else {
        return Ok(false);
    };
    requests::supersede_open_consents(conn, access.id, now).await?;
    let token = secrets::new_token();
    let code = secrets::human_code(CODE_LEN);
    let expires_at = now + LINK_TTL;
    requests::insert_consent_request(
        conn,
        representative_consent::Model {
            id: Uuid::now_v7(),
            practice_id: practice.id,
            patient_id: patient.id,
            access_id: access.id,
            token_hash: secrets::hash_token(&token),
            code_hash: secrets::hash_token(&code),
            created_at: now,
            expires_at,
            used_at: None,
            superseded_at: None,
            decision: None,
        },
    )
    .await?;
    let name = representative_name(conn, access).await?;
    let link = format!("{issuer}/representative-consent/{token}");
    let code_page = format!("{issuer}{CODE_PAGE}");
    let message = consent::consent_request(
        &to,
        sender(practice),
        Who {
            representative_name: &name,
            relation: relation_of(access),
            patient_first_name: &patient.first_name,
        },
        ConsentLink {
            link: &link,
            code: &code,
            code_page: &code_page,
            expires_at,
        },
    );
    outbox::enqueue(conn, Some(practice.id), message, now).await?;
    Ok(true)
}

/// Tells the patient that someone gained access to their record (any relation), when the
/// patient has an email on file. Returns whether a message was queued.
pub async fn notify_access_gained<C: ConnectionTrait>(
    conn: &C,
    issuer: &str,
    access: &portal_access::Model,
    patient: &patient::Model,
    practice: &practice::Model,
    consent_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let Some(to) = patient.email.as_deref() else {
        return Ok(false);
    };
    let name = representative_name(conn, access).await?;
    let message = consent::access_gained(
        to,
        sender(practice),
        Who {
            representative_name: &name,
            relation: relation_of(access),
            patient_first_name: &patient.first_name,
        },
        &account_url(issuer),
        consent_until,
    );
    outbox::enqueue(conn, Some(practice.id), message, now).await?;
    Ok(true)
}

/// A presented link token or typed code, hashed; anything shaped as neither is
/// `token_invalid`.
fn presented(raw: &str) -> Result<ConsentSecret> {
    let raw = raw.trim();
    if secrets::looks_like_token(raw) {
        Ok(ConsentSecret::Link(secrets::hash_token(raw)))
    } else if looks_like_code(raw) {
        Ok(ConsentSecret::Code(secrets::hash_token(raw)))
    } else {
        Err(Error::TokenInvalid)
    }
}

/// The access a request is for, while it waits for consent; else `token_invalid`.
async fn pending_access<C: ConnectionTrait>(
    conn: &C,
    request: &representative_consent::Model,
) -> Result<portal_access::Model> {
    access::find(conn, request.access_id)
        .await?
        .filter(|a| a.status == AccessStatus::PendingConsent)
        .ok_or(Error::TokenInvalid)
}

/// The usable request behind a link token or a typed code, with its access (still pending).
/// Anything else (unknown, used, replaced, expired, access no longer pending) is
/// `token_invalid`.
async fn find_usable<C: ConnectionTrait>(
    conn: &C,
    raw: &str,
    now: DateTime<Utc>,
) -> Result<(representative_consent::Model, portal_access::Model)> {
    let found = requests::find_consent_request(conn, &presented(raw)?)
        .await?
        .filter(|r| r.used_at.is_none() && r.superseded_at.is_none() && r.expires_at > now)
        .ok_or(Error::TokenInvalid)?;
    let access = pending_access(conn, &found).await?;
    Ok((found, access))
}

/// Who asks: nothing about the patient's record.
#[derive(Debug, Clone)]
pub struct ConsentPreview {
    pub representative_name: String,
    pub relation: Relation,
    pub practice: practice::Model,
    pub expires_at: DateTime<Utc>,
}

/// What a consent link or code is for.
pub async fn preview(
    db: &DatabaseConnection,
    raw: &str,
    now: DateTime<Utc>,
) -> Result<ConsentPreview> {
    let (request, access) = find_usable(db, raw, now).await?;
    let practice = crate::service::practice::practices::get(db, access.practice_id).await?;
    Ok(ConsentPreview {
        representative_name: representative_name(db, &access).await?,
        relation: relation_of(&access),
        practice,
        expires_at: request.expires_at,
    })
}

/// The access after a decision, and its practice.
#[derive(Debug, Clone)]
pub struct Decided {
    pub access: portal_access::Model,
    pub practice: practice::Model,
}

/// The patient approves or declines with the link or code. The request is used up either way.
pub async fn decide(
    state: &AppState,
    raw: &str,
    decision: ConsentDecision,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Decided> {
    let issuer = state.settings.issuer();
    let secret = presented(raw)?;
    let (word, kind) = match decision {
        ConsentDecision::Approve => ("approved", "access.consent_approved"),
        _ => ("declined", "access.consent_declined"),
    };
    let txn = state.db.begin().await?;
    // Spent first, by one guarded UPDATE: of concurrent decisions on one request exactly one
    // gets it; anything refused below rolls the spend back with the transaction.
    let request = requests::spend_consent_request(&txn, &secret, word, now)
        .await?
        .ok_or(Error::TokenInvalid)?;
    let access = pending_access(&txn, &request).await?;
    let from = access.status;
    consent_transition(from, decision)?;
    let practice = crate::service::practice::practices::get(&txn, access.practice_id).await?;
    let patient = patients::find(&txn, access.patient_id)
        .await?
        .ok_or(Error::NotFound)?;
    let rep_email = accounts::email_of(&txn, access.account_id).await?;
    let updated = if decision == ConsentDecision::Approve {
        let updated = activate_with_consent(&txn, &access, &practice, now).await?;
        notify_access_gained(
            &txn,
            issuer,
            &updated,
            &patient,
            &practice,
            updated.consent_expires_at,
            now,
        )
        .await?;
        if let Some(to) = &rep_email {
            let m = consent::consent_given(to, sender(&practice), &patient.first_name);
            outbox::enqueue(&txn, Some(practice.id), m, now).await?;
        }
        updated
    } else {
        let ended = end_by_patient(&txn, &access, "Declined by the patient", now).await?;
        if let Some(to) = &rep_email {
            let m = consent::consent_declined(to, sender(&practice), &patient.first_name);
            outbox::enqueue(&txn, Some(practice.id), m, now).await?;
        }
        ended
    };
    let mut event = Event::new(kind, Actor::Anonymous)
        .practice(practice.id)
        .patient(patient.id)
        .access(access.id)
        .detail(json!({
            "consent_request_id": request.id,
            "relation": access.relation,
            "consent_expires_at": updated.consent_expires_at,
            "via": "consent_link",
        }));
    if let Some(a) = access.account_id {
        event = event.account(a);
    }
    audit::record(&txn, meta, event, now).await?;
    txn.commit().await?;
    state.outbox_wakeup.notify_one();
    Ok(Decided {
        access: updated,
        practice,
    })
}

/// Staff send the consent request again (a new link; the old one stops working), e.g. after
/// adding the patient's email. Only for an access waiting for consent.
pub async fn resend(
    state: &AppState,
    staff: &Staff,
    access_id: Uuid,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<AccessRecord> {
    staff.require(Permission::Invite)?;
    let txn = state.db.begin().await?;
    let access = access::find(&txn, access_id)
        .await?
        .filter(|a| a.practice_id == staff.practice_id)
        .ok_or(Error::NotFound)?;
    if access.status != AccessStatus::PendingConsent {
        return Err(Error::Conflict(
            "This access is not waiting for the patient's consent.".into(),
        ));
    }
    let patient = patients::find(&txn, access.patient_id)
        .await?
        .ok_or(Error::NotFound)?;
    let practice = crate::service::practice::practices::get(&txn, access.practice_id).await?;
    if !issue(
        &txn,
        state.settings.issuer(),
        &access,
        &patient,
        &practice,
        now,
    )
    .await?
    {
        return Err(Error::Conflict(
            "The patient has no email address on file. Add one to the patient's record, then send the consent request again.".into(),
        ));
    }
    let mut event = Event::new("access.consent_requested", staff.actor())
        .practice(practice.id)
        .patient(patient.id)
        .access(access.id)
        .detail(json!({"resent": true}));
    if let Some(a) = access.account_id {
        event = event.account(a);
    }
    audit::record(&txn, meta, event, now).await?;
    let username = match access.account_id {
        Some(id) => accounts::find(&txn, id).await?.map(|a| a.username),
        None => None,
    };
    txn.commit().await?;
    state.outbox_wakeup.notify_one();
    Ok(AccessRecord { access, username })
}
