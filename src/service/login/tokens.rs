//! Issuing tokens: the one place a login (Portico's own API, its pages' OpenID Connect code
//! exchange) starts a session and signs the access token listing the patients the account may
//! act for, with what each one's age band allows (issue 11: representative policy as data).

use crate::auth::keys::{KeyAlg, Keyset};
use crate::auth::tokens::{
    self, ACCESS_TOKEN_TYP, AccessClaims, FIRST_PARTY_CLIENT_ID, PORTAL_SCOPE, PatientClaim,
    PracticeClaim,
};
use crate::crypto::secrets;
use crate::domain::access::Relation;
use crate::domain::acting::{self, Held};
use crate::domain::oauth::{SCOPE_FHIR_USER, parse_scope};
use crate::domain::representation::{self, Band};
use crate::error::{Error, Result};
use crate::service::patients::practitioners;
use crate::service::representation::bands as bands_of;
use crate::service::sessions::standing::refusal;
use crate::state::AppState;
use crate::store::access_rows::AtPractice;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::sessions as store_sessions;
use crate::store::{access_rows, session};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The practice a token is for.
#[derive(Debug, Clone)]
pub struct PracticeRef {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
}

/// A patient the account may act for, as the login response lists them.
#[derive(Debug, Clone)]
pub struct Grant {
    pub access_id: Uuid,
    pub patient_id: Uuid,
    pub first_name: String,
    pub relation: Relation,
    /// The record scopes the age bands leave for this patient (`None`: no restriction).
    pub scopes: Option<Vec<String>>,
}

/// What a successful login or refresh hands out.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: String,
    pub practice: PracticeRef,
    pub patients: Vec<Grant>,
}

/// The patients a token lists: the active accesses, less those whose band has ended, each
/// with what its band allows (issue 11: representative policy as data).
pub(super) async fn grants<C: ConnectionTrait>(
    conn: &C,
    at: &AtPractice,
    now: DateTime<Utc>,
) -> Result<Vec<Grant>, DbErr> {
    if let Some(granted) = grants_without_bands(at) {
        return Ok(granted);
    }
    let bands = bands_of::bands(conn, at, now.date_naive()).await?;
    Ok(at
        .active()
        .filter_map(|r| {
            let band = bands.get(&r.access_id).cloned().unwrap_or(Band::Full);
            (band != Band::Ended).then(|| grant(r, band))
        })
        .collect())
}

/// [`grants`] when no active access is a minor's representative's: every band is full, and
/// nothing more needs reading. `None` otherwise.
pub(super) fn grants_without_bands(at: &AtPractice) -> Option<Vec<Grant>> {
    if at.active().any(|r| r.relation.is_minor_representative()) {
        return None;
    }
    Some(at.active().map(|r| grant(r, Band::Full)).collect())
}

pub(super) fn grant(r: &access_rows::AccessRow, band: Band) -> Grant {
    Grant {
        access_id: r.access_id,
        patient_id: r.patient_id,
        first_name: r.patient_first_name.clone(),
        relation: r.relation,
        scopes: band.allowed(),
    }
}

/// The grants as `domain::acting` reads them.
pub fn held(patients: &[Grant]) -> Vec<Held> {
    patients
        .iter()
        .map(|g| Held {
            access_id: g.access_id,
            patient_id: g.patient_id,
            relation: g.relation,
        })
        .collect()
}

/// The `practitioners` claim from practitioners read with the accesses: every granted patient,
/// with an empty list when none is linked.
pub(super) fn of_patients(
    loaded: &BTreeMap<Uuid, Vec<Uuid>>,
    patients: &[Grant],
) -> BTreeMap<Uuid, Vec<Uuid>> {
    patients
        .iter()
        .map(|g| {
            (
                g.patient_id,
                loaded.get(&g.patient_id).cloned().unwrap_or_default(),
            )
        })
        .collect()
}

pub(super) fn patient_ids(patients: &[Grant]) -> Vec<Uuid> {
    patients.iter().map(|g| g.patient_id).collect()
}

pub(super) fn practice_ref(at: &AtPractice) -> PracticeRef {
    PracticeRef {
        id: at.practice_id,
        slug: at.slug.clone(),
        name: at.name.clone(),
    }
}

/// Signs an access token for the session's account at the practice, listing `patients`, with
/// `chosen` (a SMART launch's patient) as the patient in context if there is one.
#[allow(clippy::too_many_arguments)]
pub(super) fn access_token(
    state: &AppState,
    keyset: &Keyset,
    session: &session::Model,
    at: &AtPractice,
    patients: &[Grant],
    chosen: Option<Uuid>,
    practitioners: BTreeMap<Uuid, Vec<Uuid>>,
    now: DateTime<Utc>,
) -> Result<String> {
    let acting = acting::acting(session.account_id, &held(patients), chosen);
    let fhir_scope = parse_scope(&session.scope)
        .iter()
        .any(|s| s == SCOPE_FHIR_USER);
    let key = keyset
        .signing_key(KeyAlg::EdDsa)
        .ok_or_else(|| Error::internal(anyhow::anyhow!("no EdDSA signing key is loaded")))?;
    let issuer = state.settings.issuer();
    let claims = AccessClaims {
        iss: issuer.to_owned(),
        sub: session.account_id.to_string(),
        aud: tokens::audience(issuer, &at.slug),
        exp: now.timestamp() + state.settings.access_token_ttl_secs,
        iat: now.timestamp(),
        nbf: None,
        jti: Uuid::now_v7().to_string(),
        client_id: session
            .client_id
            .clone()
            .unwrap_or_else(|| FIRST_PARTY_CLIENT_ID.to_owned()),
        scope: representation::token_scope(
            &session.scope,
            &patients
                .iter()
                .map(|g| g.scopes.clone())
                .collect::<Vec<_>>(),
        ),
        sid: session.id,
        practice: PracticeClaim {
            id: at.practice_id,
            slug: at.slug.clone(),
        },
        patients: patients
            .iter()
            .map(|g| PatientClaim {
                id: g.patient_id,
                relation: g.relation,
                scopes: representation::patient_scopes(&session.scope, g.scopes.as_deref()),
            })
            .collect(),
        practitioners,
        amr: session.amr.split_whitespace().map(str::to_owned).collect(),
        patient: acting.patient,
        act: acting.act,
        fhir_user: acting.fhir_user.filter(|_| fhir_scope),
    };
    tokens::sign(key, ACCESS_TOKEN_TYP, &claims)
}

/// Inserts the next refresh token of a session; returns the secret.
pub(super) async fn insert_refresh_token<C: ConnectionTrait>(
    conn: &C,
    session: &session::Model,
    idle_ttl: TimeDelta,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let token = secrets::new_token();
    let idle_expires_at = Ord::min(now + idle_ttl, session.expires_at);
    store_sessions::insert_refresh_token(
        conn,
        session.id,
        &secrets::hash_token(&token),
        idle_expires_at,
        now,
    )
    .await?;
    Ok(token)
}

/// Starts a session after a complete login: session, first refresh token, `last_login_at` on
/// the accesses used, and one `login.succeeded` event per patient, in one transaction.
/// `keyset` comes from `state.keys.current(now)`, read before any transaction.
pub async fn start(
    state: &AppState,
    keyset: &Keyset,
    account_id: Uuid,
    at: &AtPractice,
    amr: &[&str],
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<IssuedTokens> {
    let txn = state.db.begin().await?;
    let (_, issued) = start_in(&txn, state, keyset, account_id, at, amr, None, meta, now).await?;
    txn.commit().await?;
    Ok(issued)
}

/// A session started for an OpenID Connect client: its `client_id`, the scopes granted and
/// when the person authenticated.
#[derive(Debug, Clone)]
pub struct ClientGrant<'a> {
    pub client_id: &'a str,
    pub scope: &'a str,
    pub auth_time: DateTime<Utc>,
    /// The patient a SMART launch chose (`launch/patient`), if any.
    pub patient: Option<Uuid>,
}

/// [`start`] inside the caller's transaction, for Portico's own login (`client: None`) or an
/// OpenID Connect client's code exchange. Returns the session too.
#[allow(clippy::too_many_arguments)]
pub async fn start_in<C: ConnectionTrait>(
    txn: &C,
    state: &AppState,
    keyset: &Keyset,
    account_id: Uuid,
    at: &AtPractice,
    amr: &[&str],
    client: Option<ClientGrant<'_>>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<(session::Model, IssuedTokens)> {
    let patients = grants(txn, at, now).await?;
    if patients.is_empty() {
        return Err(refusal(at, at.standing()));
    }
    let settings = &state.settings;
    let session = session::Model {
        id: Uuid::now_v7(),
        account_id,
        practice_id: at.practice_id,
        client_id: client.as_ref().map(|c| c.client_id.to_owned()),
        scope: client.as_ref().map_or(PORTAL_SCOPE, |c| c.scope).to_owned(),
        amr: amr.join(" "),
        auth_time: client.as_ref().map_or(now, |c| c.auth_time),
        created_at: now,
        expires_at: now + TimeDelta::seconds(settings.refresh_absolute_ttl_secs),
        revoked_at: None,
        revoked_reason: None,
    };
    let practitioners = match &at.practitioners {
        Some(loaded) => of_patients(loaded, &patients),
        None => practitioners::claim(txn, &patient_ids(&patients)).await?,
    };
    let chosen = client.as_ref().and_then(|c| c.patient);
    let access_token = access_token(
        state,
        keyset,
        &session,
        at,
        &patients,
        chosen,
        practitioners,
        now,
    )?;

    store_sessions::insert_session(txn, &session).await?;
    let refresh_token = insert_refresh_token(
        txn,
        &session,
        TimeDelta::seconds(settings.refresh_idle_ttl_secs),
        now,
    )
    .await?;
    access_rows::record_login(txn, patients.iter().map(|g| g.access_id), now).await?;
    for g in &patients {
        audit::record(
            txn,
            meta,
            Event::new("login.succeeded", Actor::Account(account_id))
                .practice(at.practice_id)
                .patient(g.patient_id)
                .account(account_id)
                .access(g.access_id)
                .detail(json!({
                    "session_id": session.id,
                    "amr": amr,
                    "client_id": session.client_id,
                })),
            now,
        )
        .await?;
    }
    let issued = IssuedTokens {
        access_token,
        expires_in: settings.access_token_ttl_secs,
        refresh_token,
        practice: practice_ref(at),
        patients,
    };
    Ok((session, issued))
}
