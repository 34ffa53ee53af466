//! Tablet intake sessions (seed 001: "When they arrive at the clinic you can personally log
//! them in and give them a tablet to complete their forms. By accessing the portal for them
//! to fill in the forms you block them having access to any other patient or clinic
//! information").
//!
//! Staff start a session for one patient and get a one-time code (and a link with it), valid
//! for [`CODE_TTL`]; only its SHA-256 is stored. Redeeming the code (once) gives an access
//! token with scope `intake` for that patient at that practice, valid for [`SESSION_TTL`],
//! with no refresh token. The token is accepted only by the intake endpoints
//! ([`authenticate`]), never by the patient API, and stops working when the session is
//! finished or its time is up.

use crate::auth::keys::KeyAlg;
use crate::auth::tokens::{
    self, ACCESS_TOKEN_TYP, AccessClaims, FIRST_PARTY_CLIENT_ID, PatientClaim, PracticeClaim,
};
use crate::crypto::secrets;
use crate::domain::access::Relation;
use crate::domain::role::Permission;
use crate::domain::throttle as domain_throttle;
use crate::error::{Error, Result};
use crate::service::practice::api_keys::Staff;
use crate::service::{patients::records, practice::practices, sessions::throttle};
use crate::state::AppState;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::intake_sessions as store;
use crate::store::{intake_session, patient, practice};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

pub use crate::domain::oauth::{INTAKE_SCOPE, is_intake_scope};
/// How long the code handed to the tablet works.
pub const CODE_TTL: TimeDelta = TimeDelta::minutes(10);
/// How long an intake session lasts once the code is redeemed.
pub const SESSION_TTL: TimeDelta = TimeDelta::minutes(30);

/// A started session: the code is shown once.
#[derive(Debug, Clone)]
pub struct StartedIntake {
    pub session: intake_session::Model,
    pub code: String,
    pub url: String,
}

/// Starts an intake session for a patient of the caller's practice.
pub async fn start(
    db: &DatabaseConnection,
    staff: &Staff,
    issuer: &str,
    patient_id: Uuid,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<StartedIntake> {
    staff.require(Permission::StartIntake)?;
    let txn = db.begin().await?;
    records::find_in_practice(&txn, staff.practice_id, patient_id).await?;
    let code = secrets::new_token();
    let session = store::insert(
        &txn,
        staff.practice_id,
        patient_id,
        secrets::hash_token(&code),
        format!("api_key:{}", staff.key_id),
        now + CODE_TTL,
        now,
    )
    .await?;
    audit::record(
        &txn,
        meta,
        Event::new("intake.started", staff.actor())
            .practice(staff.practice_id)
            .patient(patient_id)
            .detail(json!({"intake_session_id": session.id})),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(StartedIntake {
        url: format!("{issuer}/intake/{code}"),
        session,
        code,
    })
}

/// The audit kinds of guessed intake codes.
const GUESS_KINDS: throttle::Kinds = throttle::Kinds {
    refused: "intake.throttled",
    imposed: "intake.throttle_imposed",
};

/// What redeeming a code hands to the tablet.
#[derive(Debug, Clone)]
pub struct IntakeTokens {
    pub access_token: String,
    pub expires_in: i64,
    pub session: intake_session::Model,
    pub patient: patient::Model,
    pub practice: practice::Model,
}

/// Redeems a code, once: an unknown, used, finished or expired code is `invalid_grant`.
pub async fn redeem(
    state: &AppState,
    code: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<IntakeTokens> {
    // Counted on the client's address before the code is looked up (one statement returning
    // the count, so guesses sent at once are judged as the same guesses in a row).
    let keys = throttle::Key::client("intake", meta, domain_throttle::LINK_GUESSES)
        .into_iter()
        .collect();
    let attempt = throttle::attempt_guess(state, keys, GUESS_KINDS, meta, now).await?;
    let hash = secrets::hash_token(code);
    let found = if secrets::looks_like_token(code) {
        store::find_by_code_hash(&state.db, &hash)
            .await?
            .filter(|s| secrets::constant_time_eq(s.code_hash.as_bytes(), hash.as_bytes()))
    } else {
        None
    };
    let Some(session) = found else {
        attempt.failed(state, meta, now).await?;
        return Err(Error::InvalidGrant);
    };
    // A real code (even a spent one) is no guess.
    attempt.succeeded(state, now).await?;
    let keyset = state.keys.current(now).await;
    let txn = state.db.begin().await?;
    let expires_at = now + SESSION_TTL;
    // One guarded UPDATE: of concurrent redemptions, exactly one gets past here.
    let session = store::redeem(&txn, session.id, expires_at, now)
        .await?
        .ok_or(Error::InvalidGrant)?;
    let patient = records::find_in_practice(&txn, session.practice_id, session.patient_id).await?;
    let practice = practices::get(&txn, session.practice_id).await?;
    audit::record(
        &txn,
        meta,
        Event::new("intake.redeemed", Actor::Anonymous)
            .practice(practice.id)
            .patient(patient.id)
            .detail(json!({"intake_session_id": session.id, "expires_at": expires_at})),
        now,
    )
    .await?;
    txn.commit().await?;

    let key = keyset
        .signing_key(KeyAlg::EdDsa)
        .ok_or_else(|| Error::internal(anyhow::anyhow!("no EdDSA signing key is loaded")))?;
    let issuer = state.settings.issuer();
    let claims = AccessClaims {
        iss: issuer.to_owned(),
        // The patient is the subject: there is no account behind an intake session.
        sub: patient.id.to_string(),
        aud: tokens::audience(issuer, &practice.slug),
        exp: expires_at.timestamp(),
        iat: now.timestamp(),
        nbf: None,
        jti: Uuid::now_v7().to_string(),
        client_id: FIRST_PARTY_CLIENT_ID.to_owned(),
        scope: INTAKE_SCOPE.to_owned(),
        sid: session.id,
        practice: PracticeClaim {
            id: practice.id,
            slug: practice.slug.clone(),
        },
        patients: vec![PatientClaim {
            scopes: None,
            id: patient.id,
            relation: Relation::Own,
        }],
        practitioners: BTreeMap::new(),
        amr: vec!["intake_code".to_owned()],
        patient: Some(patient.id),
        act: None,
        fhir_user: None,
    };
    let access_token = tokens::sign(key, ACCESS_TOKEN_TYP, &claims)?;
    Ok(IntakeTokens {
        access_token,
        expires_in: SESSION_TTL.num_seconds(),
        session,
        patient,
        practice,
    })
}

/// A live intake session, from its token.
#[derive(Debug, Clone)]
pub struct IntakePrincipal {
    pub session: intake_session::Model,
    pub claims: AccessClaims,
}

/// Checks an intake token: signature, issuer, audience and expiry, scope `intake`, and that
/// its session is redeemed, not finished and not past its end, for the patient and practice
/// the token names. Anything else is `unauthorized`.
pub async fn authenticate(
    state: &AppState,
    token: &str,
    now: DateTime<Utc>,
) -> Result<IntakePrincipal> {
    let claims =
        tokens::verify_access_token(&state.keys, token, state.settings.issuer(), now).await?;
    if claims.scope != INTAKE_SCOPE {
        return Err(Error::Unauthorized);
    }
    let session = store::find(&state.db, claims.sid)
        .await?
        .filter(|s| {
            s.practice_id == claims.practice.id
                && claims.patients.iter().all(|p| p.id == s.patient_id)
                && s.redeemed_at.is_some()
                && s.finished_at.is_none()
                && s.expires_at.is_some_and(|e| e > now)
        })
        .ok_or(Error::Unauthorized)?;
    Ok(IntakePrincipal { session, claims })
}

/// The patient's record, for the tablet to prefill the forms.
pub async fn patient(db: &DatabaseConnection, who: &IntakePrincipal) -> Result<patient::Model> {
    records::find_in_practice(db, who.session.practice_id, who.session.patient_id).await
}

/// Ends the session from the tablet: its token stops working at once.
pub async fn finish(
    db: &DatabaseConnection,
    who: &IntakePrincipal,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    end(db, &who.session, Actor::Anonymous, meta, now).await
}

/// Ends a session from the front desk (the patient walked away with the tablet, say); a code
/// not yet redeemed stops working too.
pub async fn finish_by_staff(
    db: &DatabaseConnection,
    staff: &Staff,
    id: Uuid,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    staff.require(Permission::StartIntake)?;
    let session = store::find(db, id)
        .await?
        .filter(|s| s.practice_id == staff.practice_id)
        .ok_or(Error::NotFound)?;
    end(db, &session, staff.actor(), meta, now).await
}

async fn end(
    db: &DatabaseConnection,
    session: &intake_session::Model,
    by: Actor,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    let txn = db.begin().await?;
    if store::finish(&txn, session.id, now).await? {
        audit::record(
            &txn,
            meta,
            Event::new("intake.finished", by)
                .practice(session.practice_id)
                .patient(session.patient_id)
                .detail(json!({"intake_session_id": session.id})),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}
