//! Refreshing a session. A session is one refresh-token family for one account at one
//! practice: a login starts one; each refresh consumes the presented token and issues the next
//! (RFC 9700 §4.14.2); presenting a spent token revokes the whole family; logout, a block, a
//! revoke or a password change end it. Every refresh re-checks the account's access at the
//! practice, so a blocked or revoked patient loses it at once.
//!
//! Refresh tokens are 256-bit opaque strings, stored as SHA-256, with an idle lifetime
//! (`PORTICO_REFRESH_IDLE_TTL_SECS`) and the session's absolute one
//! (`PORTICO_REFRESH_ABSOLUTE_TTL_SECS`).

use crate::auth::keys::Keyset;
use crate::crypto::secrets;
use crate::domain::login::PracticeStanding;
use crate::error::{Error, Result};
use crate::service::login::tokens::{
    Grant, IssuedTokens, access_token, grants, grants_without_bands, insert_refresh_token,
    of_patients, practice_ref,
};
use crate::service::representation::time_limits;
use crate::service::sessions::ending::{end_one, ended, find};
use crate::service::sessions::standing::refusal;
use crate::state::AppState;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::direct::sessions as direct_sessions;
use crate::store::session;
use crate::store::sessions as store_sessions;
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

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
