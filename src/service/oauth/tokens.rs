//! The OpenID Connect token endpoint's work: exchanging an authorization code (single use,
//! PKCE S256, bound to the client and redirect URI) and refreshing (rotation and reuse
//! detection from `sessions`), and signing ID tokens (RS256 by default, EdDSA per client).
//!
//! Failures are [`OAuthError`]s, which the endpoint renders in RFC 6749 §5.2 form.

use crate::auth::keys::Keyset;
use crate::crypto::secrets;
use crate::domain::acting;
use crate::domain::login::PracticeStanding;
use crate::domain::oauth::{
    SCOPE_FHIR_USER, SCOPE_OFFLINE_ACCESS, SCOPE_OPENID, parse_scope, pkce_matches,
};
use crate::error::Error;
use crate::service::login::refresh;
use crate::service::login::tokens::{self as issuing, ClientGrant, IssuedTokens};
use crate::service::oauth::clients::Client;
use crate::service::oauth::errors::OAuthError;
use crate::service::oauth::id_tokens::id_token;
use crate::service::sessions::ending;
use crate::service::sessions::ending::ended;
use crate::state::AppState;
use crate::store::access_rows;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::oauth_codes::{self, Spend};
use crate::store::{oauth_code, session};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// How long an authorization code may wait for its exchange (RFC 6749 §4.1.2: short).
pub const CODE_TTL_SECS: i64 = 120;

/// A successful token response (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3, SMART).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub scope: String,
    /// SMART App Launch: the patient in context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patient: Option<Uuid>,
    /// SMART EHR launch: the encounter in context (code exchange only, not on refresh).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encounter: Option<String>,
}

#[allow(
    clippy::too_many_arguments,
    reason = "the ID token's claims, each from a different source"
)]
fn response(
    state: &AppState,
    keyset: &Keyset,
    client: &Client,
    session: &session::Model,
    issued: IssuedTokens,
    nonce: Option<&str>,
    patient: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<TokenResponse, Error> {
    let scopes = parse_scope(&session.scope);
    let fhir_user = scopes
        .iter()
        .any(|s| s == SCOPE_FHIR_USER)
        .then(|| {
            acting::acting(
                session.account_id,
                &issuing::held(&issued.patients),
                patient,
            )
            .fhir_user
        })
        .flatten();
    let id_token = scopes
        .iter()
        .any(|s| s == SCOPE_OPENID)
        .then(|| {
            id_token(
                state,
                keyset,
                client,
                session,
                nonce,
                &issued.access_token,
                fhir_user,
                now,
            )
        })
        .transpose()?;
    Ok(TokenResponse {
        // A refresh token only with offline_access; without it the session's first refresh
        // token is never handed out, so it can never be used.
        refresh_token: scopes
            .iter()
            .any(|s| s == SCOPE_OFFLINE_ACCESS)
            .then_some(issued.refresh_token),
        access_token: issued.access_token,
        token_type: "Bearer",
        expires_in: issued.expires_in,
        id_token,
        scope: session.scope.clone(),
        patient,
        encounter: None,
    })
}

/// `grant_type=authorization_code`. The code is spent by the first attempt, whatever its
/// outcome; a second use ends the session the first one started (RFC 6749 §4.1.2).
pub async fn exchange_code(
    state: &AppState,
    client: &Client,
    code: &str,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<TokenResponse, OAuthError> {
    let bad = |d: &str| OAuthError::InvalidGrant(d.to_owned());
    if !secrets::looks_like_token(code) {
        return Err(bad("The authorization code is not valid."));
    }
    let keyset = state.keys.current(now).await;
    let txn = state.db.begin().await?;
    let hash = secrets::hash_token(code);
    let Some(row) = oauth_codes::find_by_hash(&txn, &hash)
        .await?
        .filter(|c| secrets::constant_time_eq(c.code_hash.as_bytes(), hash.as_bytes()))
    else {
        return Err(bad("The authorization code is not valid."));
    };
    if row.client_pk != client.model.id {
        return Err(bad("The authorization code was issued to another client."));
    }
    // Exactly one of any number of concurrent exchanges gets past here; the others end the
    // session it started, read after their guarded update (store::oauth_codes).
    if let Spend::AlreadySpent { session_id } = oauth_codes::spend(&txn, row.id, now).await? {
        code_reused(&txn, &row, session_id, meta, now).await?;
        txn.commit().await?;
        return Err(bad("The authorization code has already been used."));
    }
    let checked = check_code(&row, redirect_uri, code_verifier, now);
    if let Err(e) = checked {
        // The code stays spent: a wrong verifier must not leave it open to guessing.
        txn.commit().await?;
        return Err(e);
    }
    let at = access_rows::at_practice(&txn, row.account_id, row.practice_id).await?;
    let Some(at) = at.filter(|a| a.standing() == Some(PracticeStanding::Active)) else {
        txn.commit().await?;
        return Err(bad(
            "The patient's portal access at this practice is not active.",
        ));
    };
    let amr: Vec<&str> = row.amr.split_whitespace().collect();
    let (session, issued) = issuing::start_in(
        &txn,
        state,
        &keyset,
        row.account_id,
        &at,
        &amr,
        Some(ClientGrant {
            client_id: &client.model.client_id,
            scope: &row.scope,
            auth_time: row.auth_time,
            patient: row.patient_id,
        }),
        meta,
        now,
    )
    .await?;
    oauth_codes::attach_session(&txn, row.id, session.id).await?;
    txn.commit().await?;
    let mut answer = response(
        state,
        &keyset,
        client,
        &session,
        issued,
        row.nonce.as_deref(),
        row.patient_id,
        now,
    )?;
    answer.encounter = row.encounter;
    Ok(answer)
}

fn check_code(
    row: &oauth_code::Model,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), OAuthError> {
    if row.expires_at <= now {
        return Err(OAuthError::InvalidGrant(
            "The authorization code has expired.".into(),
        ));
    }
    if redirect_uri != Some(row.redirect_uri.as_str()) {
        return Err(OAuthError::InvalidGrant(
            "redirect_uri does not match the authorization request.".into(),
        ));
    }
    let Some(verifier) = code_verifier else {
        return Err(OAuthError::InvalidRequest(
            "code_verifier is required (PKCE).".into(),
        ));
    };
    if !pkce_matches(verifier, &row.code_challenge) {
        return Err(OAuthError::InvalidGrant(
            "code_verifier does not match the code_challenge.".into(),
        ));
    }
    Ok(())
}

async fn code_reused<C: ConnectionTrait>(
    conn: &C,
    row: &oauth_code::Model,
    session_id: Option<Uuid>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<(), OAuthError> {
    let mut ended_session = false;
    if let Some(sid) = session_id {
        ended_session = ending::end_one(conn, sid, ended::CODE_REUSE, now).await?;
    }
    audit::record(
        conn,
        meta,
        Event::new("oauth.code_reuse_detected", Actor::Anonymous)
            .practice(row.practice_id)
            .account(row.account_id)
            .detail(json!({"session_id": session_id, "session_ended": ended_session})),
        now,
    )
    .await?;
    Ok(())
}

/// `grant_type=refresh_token`: rotation and reuse detection as at `/api/v1/token/refresh`,
/// for this client's sessions only. `scope`, when given, may narrow nothing and widen
/// nothing: it must be within what was granted (SECURITY G4), and the grant stays as it was.
pub async fn refresh(
    state: &AppState,
    client: &Client,
    refresh_token: &str,
    scope: Option<&str>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<TokenResponse, OAuthError> {
    let refresh::Refreshed {
        issued,
        session,
        launch_patient: patient,
    } = refresh::refresh_for(
        state,
        refresh_token,
        Some(&client.model.client_id),
        meta,
        now,
    )
    .await?;
    if let Some(asked) = scope {
        let granted = parse_scope(&session.scope);
        if parse_scope(asked).iter().any(|s| !granted.contains(s)) {
            return Err(OAuthError::InvalidScope(
                "A refresh cannot add scopes to the grant.".into(),
            ));
        }
    }
    let keyset = state.keys.current(now).await;
    // No nonce on refreshed ID tokens (OpenID Connect Core §12.2).
    Ok(response(
        state, &keyset, client, &session, issued, None, patient, now,
    )?)
}

/// What an authorization code is issued for.
#[derive(Debug, Clone)]
pub struct CodeGrant {
    pub redirect_uri: String,
    pub code_challenge: String,
    pub nonce: Option<String>,
    pub account_id: Uuid,
    pub practice_id: Uuid,
    pub patient_id: Option<Uuid>,
    /// SMART EHR launch: the encounter in context.
    pub encounter: Option<String>,
    pub scope: String,
    pub auth_time: DateTime<Utc>,
    pub amr: Vec<String>,
}

/// Stores a new code for the client and returns it (shown once, stored as SHA-256).
pub async fn issue_code(
    state: &AppState,
    client: &Client,
    grant: CodeGrant,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<String, Error> {
    let code = secrets::new_token();
    let txn = state.db.begin().await?;
    oauth_codes::insert(
        &txn,
        &oauth_code::Model {
            id: Uuid::now_v7(),
            code_hash: secrets::hash_token(&code),
            client_pk: client.model.id,
            redirect_uri: grant.redirect_uri,
            code_challenge: grant.code_challenge,
            nonce: grant.nonce,
            account_id: grant.account_id,
            practice_id: grant.practice_id,
            patient_id: grant.patient_id,
            scope: grant.scope,
            auth_time: grant.auth_time,
            amr: grant.amr.join(" "),
            created_at: now,
            expires_at: now + TimeDelta::seconds(CODE_TTL_SECS),
            used_at: None,
            session_id: None,
            encounter: grant.encounter,
        },
    )
    .await?;
    audit::record(
        &txn,
        meta,
        Event::new("oauth.code_issued", Actor::Account(grant.account_id))
            .practice(grant.practice_id)
            .account(grant.account_id)
            .detail(json!({"client_id": client.model.client_id, "patient_id": grant.patient_id})),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(code)
}
