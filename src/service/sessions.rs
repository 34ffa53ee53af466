//! Sessions and their tokens. A session is one refresh-token family for one account at one
//! practice: a login starts one; each refresh consumes the presented token and issues the next
//! (RFC 9700 §4.14.2); presenting a spent token revokes the whole family; logout, a block, a
//! revoke or a password change end it. Every refresh re-checks the account's access at the
//! practice, so a blocked or revoked patient loses it at once.
//!
//! Refresh tokens are 256-bit opaque strings, stored as SHA-256, with an idle lifetime
//! (`PORTICO_REFRESH_IDLE_TTL_SECS`) and the session's absolute one
//! (`PORTICO_REFRESH_ABSOLUTE_TTL_SECS`).

use crate::auth::keys::{KeyAlg, Keyset};
use crate::auth::secrets;
use crate::auth::tokens::{
    self, ACCESS_TOKEN_TYP, AccessClaims, FIRST_PARTY_CLIENT_ID, PORTAL_SCOPE, PatientClaim,
    PracticeClaim,
};
use crate::domain::access::Relation;
use crate::domain::acting::{self, Held};
use crate::domain::login::PracticeStanding;
use crate::domain::oauth::{SCOPE_FHIR_USER, parse_scope};
use crate::domain::representation::{self, Band};
use crate::error::{Error, Result};
use crate::service::{practitioners, representation as bands_of, time_limits, web_sessions};
use crate::state::AppState;
use crate::store::access_rows::AtPractice;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::direct::sessions as direct_sessions;
use crate::store::sessions as store_sessions;
use crate::store::{access_rows, refresh_token, session};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Why sessions end; stored in `sessions.revoked_reason`.
pub mod ended {
    pub const LOGOUT: &str = "logout";
    pub const REFRESH_TOKEN_REUSE: &str = "refresh_token_reuse";
    pub const ACCESS_BLOCKED: &str = "access_blocked";
    pub const ACCESS_REVOKED: &str = "access_revoked";
    /// A parent's or guardian's access ended: the patient came of age or was emancipated.
    pub const ACCESS_EXPIRED: &str = "access_expired";
    pub const PASSWORD_CHANGED: &str = "password_changed";
    /// OpenID Connect: the client's refresh or access token was revoked (RFC 7009).
    pub const TOKEN_REVOKED: &str = "token_revoked";
    /// OpenID Connect: an authorization code was used a second time.
    pub const CODE_REUSE: &str = "authorization_code_reuse";
    /// OpenID Connect: the practice deleted the client.
    pub const CLIENT_DELETED: &str = "client_deleted";
}

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

/// The refusal for a practice that is not active: its name and phone for the patient.
pub fn refusal(at: &AtPractice, standing: Option<PracticeStanding>) -> Error {
    match standing {
        Some(PracticeStanding::Blocked) => Error::AccessBlocked {
            practice: at.name.clone(),
            slug: at.slug.clone(),
            phone: at.phone.clone(),
        },
        Some(PracticeStanding::Revoked) => Error::AccessRevoked {
            practice: at.name.clone(),
            slug: at.slug.clone(),
            phone: at.phone.clone(),
        },
        Some(PracticeStanding::ConsentPending) => Error::ConsentPending {
            practice: at.name.clone(),
            slug: at.slug.clone(),
            phone: at.phone.clone(),
        },
        Some(PracticeStanding::ConsentExpired) => Error::ConsentExpired {
            practice: at.name.clone(),
            slug: at.slug.clone(),
            phone: at.phone.clone(),
        },
        Some(PracticeStanding::Active) | None => Error::NoAccess,
    }
}

/// The patients a token lists: the active accesses, less those whose band has ended, each
/// with what its band allows (issue 11: representative policy as data).
async fn grants<C: ConnectionTrait>(
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
fn grants_without_bands(at: &AtPractice) -> Option<Vec<Grant>> {
    if at.active().any(|r| r.relation.is_minor_representative()) {
        return None;
    }
    Some(at.active().map(|r| grant(r, Band::Full)).collect())
}

fn grant(r: &access_rows::AccessRow, band: Band) -> Grant {
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
fn of_patients(
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

fn patient_ids(patients: &[Grant]) -> Vec<Uuid> {
    patients.iter().map(|g| g.patient_id).collect()
}

fn practice_ref(at: &AtPractice) -> PracticeRef {
    PracticeRef {
        id: at.practice_id,
        slug: at.slug.clone(),
        name: at.name.clone(),
    }
}

/// Signs an access token for the session's account at the practice, listing `patients`, with
/// `chosen` (a SMART launch's patient) as the patient in context if there is one.
#[allow(clippy::too_many_arguments)]
fn access_token(
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
async fn insert_refresh_token<C: ConnectionTrait>(
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

/// Ends every live session of an account, at one practice or (with `None`) everywhere: token
/// sessions and the web sessions of Portico's pages. Returns how many ended.
pub async fn end_all<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    practice_id: Option<Uuid>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let tokens = store_sessions::end_all(conn, account_id, practice_id, reason, now).await?;
    // The browser sessions of Portico's own pages end with them.
    let pages = web_sessions::revoke_web_sessions(conn, account_id, practice_id, now).await?;
    Ok(tokens + pages)
}

/// Ends one session (OpenID Connect revocation, code reuse, logout). Returns whether it was live.
pub async fn end_one<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    store_sessions::end_one(conn, session_id, reason, now).await
}

/// A spent refresh token came back: someone holds a copy. The whole family ends.
async fn reuse_detected<C: ConnectionTrait>(
    conn: &C,
    session: &session::Model,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let ended = end_one(conn, session.id, ended::REFRESH_TOKEN_REUSE, now).await?;
    audit::record(
        conn,
        meta,
        Event::new("refresh.reuse_detected", Actor::Anonymous)
            .practice(session.practice_id)
            .account(session.account_id)
            .detail(json!({"session_id": session.id, "session_ended": ended})),
        now,
    )
    .await
}

/// The refresh token's row and its session, whatever their state (introspection and
/// revocation check it themselves).
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    raw: &str,
) -> Result<Option<(refresh_token::Model, session::Model)>, DbErr> {
    if !secrets::looks_like_token(raw) {
        return Ok(None);
    }
    let hash = secrets::hash_token(raw);
    Ok(store_sessions::find_by_refresh_token(conn, &hash)
        .await?
        .filter(|(t, _)| secrets::constant_time_eq(t.token_hash.as_bytes(), hash.as_bytes())))
}

/// Exchanges a refresh token for a new pair. A spent token ends its family (`invalid_grant`);
/// a blocked or revoked access answers `access_blocked` / `access_revoked` with the practice's
/// phone, as at login.
pub async fn refresh(
    state: &AppState,
    raw: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<IssuedTokens> {
    Ok(refresh_for(state, raw, None, meta, now).await?.issued)
}

/// A refresh's result: the new tokens, the session, and the SMART launch patient.
pub struct Refreshed {
    pub issued: IssuedTokens,
    pub session: session::Model,
    pub launch_patient: Option<Uuid>,
}

/// [`refresh`] for the sessions of one client: Portico's own login API (`None`) or an OpenID
/// Connect client. Another client's token is `invalid_grant` (SECURITY G1) and spends nothing.
///
/// Three statements in one transaction (issue 18): spend the token (one guarded update), read
/// the session, account, practice, accesses, practitioners and launch patient (one query),
/// insert the next token. Every refusal rolls the spend back. An access that time has ended
/// (a patient come of age, an adult's consent run out) is ended first, in its own
/// transaction, and the refresh then runs again against the changed rows.
pub async fn refresh_for(
    state: &AppState,
    raw: &str,
    client_id: Option<&str>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Refreshed> {
    if !secrets::looks_like_token(raw) {
        return Err(Error::InvalidGrant);
    }
    let keyset = state.keys.current(now).await;
    match refresh_once(state, &keyset, raw, client_id, meta, now, true).await? {
        Attempt::Done(refreshed) => Ok(*refreshed),
        Attempt::TimeLimitsDue(account_id) => {
            time_limits::apply_for_account(&state.db, state.settings.issuer(), account_id, now)
                .await?;
            // The rules have ended what they end (a practice's own age of majority may be
            // later than the minimum the first look used); what remains stands.
            match refresh_once(state, &keyset, raw, client_id, meta, now, false).await? {
                Attempt::Done(refreshed) => Ok(*refreshed),
                Attempt::TimeLimitsDue(_) => Err(Error::NoAccess),
            }
        }
    }
}

enum Attempt {
    Done(Box<Refreshed>),
    /// An access at the practice has run out with time and must be ended first.
    TimeLimitsDue(Uuid),
}

#[allow(clippy::too_many_arguments)]
async fn refresh_once(
    state: &AppState,
    keyset: &Keyset,
    raw: &str,
    client_id: Option<&str>,
    meta: &RequestMeta,
    now: DateTime<Utc>,
    check_time_limits: bool,
) -> Result<Attempt> {
    let hash = secrets::hash_token(raw);
    let idle_ttl = TimeDelta::seconds(state.settings.refresh_idle_ttl_secs);
    // SQLite on disk: the common refresh in one transaction without a thread hop per
    // statement. Anything it does not carry through (a refusal, a spent token, a band to
    // read, a time limit to apply) is rolled back and decided below, as on PostgreSQL.
    if let Some(direct) = &state.direct {
        let refresh_token = secrets::new_token();
        let next = direct_sessions::NextToken {
            hash: &secrets::hash_token(&refresh_token),
            idle_ttl,
        };
        let done =
            direct_sessions::refresh(direct, &state.db, &hash, next, now, |spent, context| {
                match verdict(spent, context, client_id, now, check_time_limits) {
                    Ok(None) => grants_without_bands(&context.at).filter(|g| !g.is_empty()),
                    _ => None,
                }
            })
            .await?;
        if let Some((context, patients)) = done {
            return issue(state, keyset, context, patients, refresh_token, now).map(Attempt::Done);
        }
    }
    let txn = state.db.begin().await?;
    // Exactly one of any number of concurrent refreshes with this token gets a row here.
    let Some(spent) = store_sessions::spend_refresh_token(&txn, &hash, now).await? else {
        // Unknown, or spent already: a spent token coming back ends its family.
        if let Some((rt, session)) = find(&txn, raw).await?
            && rt.used_at.is_some()
            && session.client_id.as_deref() == client_id
        {
            reuse_detected(&txn, &session, meta, now).await?;
            txn.commit().await?;
        }
        return Err(Error::InvalidGrant);
    };
    let context = store_sessions::refresh_context(&txn, spent.session_id)
        .await?
        .ok_or(Error::InvalidGrant)?;
    if let Some(due) = verdict(&spent, &context, client_id, now, check_time_limits)? {
        return Ok(due);
    }
    let patients = grants(&txn, &context.at, now).await?;
    if patients.is_empty() {
        return Err(Error::NoAccess);
    }
    let refresh_token = insert_refresh_token(&txn, &context.session, idle_ttl, now).await?;
    txn.commit().await?;
    issue(state, keyset, context, patients, refresh_token, now).map(Attempt::Done)
}

/// What a refresh decides from the spent token and what it read, before any band is read:
/// `Ok(None)` to go on; an error to refuse (the transaction rolls the spend back); an
/// [`Attempt::TimeLimitsDue`] when time may have ended an access and the rules must run first.
fn verdict(
    spent: &store_sessions::Spent,
    context: &store_sessions::RefreshContext,
    client_id: Option<&str>,
    now: DateTime<Utc>,
    check_time_limits: bool,
) -> Result<Option<Attempt>> {
    let session = &context.session;
    if session.client_id.as_deref() != client_id {
        return Err(Error::InvalidGrant);
    }
    let at = &context.at;
    if at.rows.is_empty() {
        return Err(Error::NoAccess);
    }
    if check_time_limits && at.time_limits_may_apply(now) {
        return Ok(Some(Attempt::TimeLimitsDue(session.account_id)));
    }
    // The practice's decision comes first: a block ends the session too, and the patient
    // must hear about the block, not about an ended session.
    let standing = at.standing();
    if standing != Some(PracticeStanding::Active) {
        return Err(refusal(at, standing));
    }
    let ended = session.revoked_at.is_some()
        || session.expires_at <= now
        || spent.idle_expires_at <= now
        || context
            .sessions_valid_after
            .is_some_and(|t| session.created_at < t);
    if ended {
        return Err(Error::InvalidGrant);
    }
    Ok(None)
}

/// The tokens of a refresh that has committed: the access token is signed after the commit,
/// outside the transaction.
fn issue(
    state: &AppState,
    keyset: &Keyset,
    context: store_sessions::RefreshContext,
    patients: Vec<Grant>,
    refresh_token: String,
    now: DateTime<Utc>,
) -> Result<Box<Refreshed>> {
    let session = &context.session;
    let at = &context.at;
    let practitioners = of_patients(
        at.practitioners.as_ref().unwrap_or(&BTreeMap::new()),
        &patients,
    );
    let launch_patient = session.client_id.as_ref().and(context.launch_patient);
    let issued = IssuedTokens {
        access_token: access_token(
            state,
            keyset,
            session,
            at,
            &patients,
            launch_patient,
            practitioners,
            now,
        )?,
        expires_in: state.settings.access_token_ttl_secs,
        refresh_token,
        practice: practice_ref(at),
        patients,
    };
    Ok(Box::new(Refreshed {
        issued,
        session: context.session,
        launch_patient,
    }))
}

/// The patient a SMART launch chose for an OpenID Connect session (kept on its code).
pub async fn launch_patient<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
) -> Result<Option<Uuid>, DbErr> {
    store_sessions::launch_patient(conn, session_id).await
}

/// Ends the session of a refresh token. Unknown or spent tokens end nothing and are not an
/// error: the caller wanted the session gone, and it is.
pub async fn logout(
    state: &AppState,
    raw: &str,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<()> {
    let txn = state.db.begin().await?;
    let Some((_, session)) = find(&txn, raw).await? else {
        return Ok(());
    };
    if end_one(&txn, session.id, ended::LOGOUT, now).await? {
        audit::record(
            &txn,
            meta,
            Event::new("logout", Actor::Account(session.account_id))
                .practice(session.practice_id)
                .account(session.account_id)
                .detail(json!({"session_id": session.id})),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}
