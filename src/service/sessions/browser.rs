//! Browser sessions of Portico's own pages: started at login (issue 5's pages), found from the
//! `portico_session` cookie, ended at logout, and revoked per account by block, revoke,
//! password change and reset.
//!
//! The cookie holds a 256-bit random token; only its SHA-256 is stored. A session ends after
//! `PORTICO_WEB_SESSION_IDLE_SECS` (30 minutes) without activity (HIPAA 164.312(a)(2)(iii)
//! automatic logoff; ASVS 7.3.1) and `PORTICO_WEB_SESSION_MAX_SECS` (12 hours) after it
//! started (ASVS 7.3.2), whichever comes first: [`Limits`].

use crate::config::Settings;
use crate::crypto::secrets;
use crate::domain::login::AMR_PASSWORD;
use crate::error::Result;
use crate::service::sessions::standing::refusal;
use crate::store::access_rows::AtPractice;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{access_rows, web_session, web_sessions};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

/// A page session's record.
pub use crate::store::web_session::Model as PageSession;

/// How long a session may last: idle, and in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A session ends after this long without a request.
    pub idle: TimeDelta,
    /// A session ends this long after login, however active.
    pub max: TimeDelta,
}

impl Limits {
    /// The limits the settings give (`PORTICO_WEB_SESSION_IDLE_SECS`, `_MAX_SECS`).
    pub fn of(settings: &Settings) -> Self {
        Self {
            idle: TimeDelta::seconds(settings.web_session_idle_secs),
            max: TimeDelta::seconds(settings.web_session_max_secs),
        }
    }
}
/// `last_seen_at` is written at most this often, so reading pages does not write on each one.
const TOUCH_EVERY_SECS: i64 = 60;

/// A new session and the token for its cookie (shown once, never stored).
#[derive(Debug, Clone)]
pub struct Started {
    pub session: web_session::Model,
    pub token: String,
}

/// Starts a session for an account that has just authenticated. Every login gets a new one;
/// a pre-login state is never upgraded into a session (ASVS 7.2.4).
pub async fn start<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    practice_id: Option<Uuid>,
    limits: Limits,
    now: DateTime<Utc>,
) -> Result<Started> {
    start_with(conn, account_id, practice_id, AMR_PASSWORD, limits, now).await
}

/// [`start`], recording how the person authenticated (`amr`, RFC 8176).
pub async fn start_with<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    practice_id: Option<Uuid>,
    amr: &[&str],
    limits: Limits,
    now: DateTime<Utc>,
) -> Result<Started> {
    let token = secrets::new_token();
    let session = web_sessions::insert(
        conn,
        &web_session::Model {
            id: Uuid::now_v7(),
            token_hash: secrets::hash_token(&token),
            account_id,
            practice_id,
            created_at: now,
            last_seen_at: now,
            expires_at: now + limits.max,
            revoked_at: None,
            amr: amr.join(" "),
        },
    )
    .await?;
    Ok(Started { session, token })
}

/// Logs an account in on the pages at a practice, after every step of the login
/// (`service::login::page`): a new session bound to the practice, `last_login_at` on the
/// accesses it may use there, and `login.succeeded` for each of their patients, as the API's
/// login records them. Refused when nothing is active there any more.
pub async fn log_in(
    db: &sea_orm::DatabaseConnection,
    account_id: Uuid,
    at: &AtPractice,
    amr: &[&str],
    limits: Limits,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Started> {
    let active: Vec<_> = at.active().collect();
    if active.is_empty() {
        return Err(refusal(at, at.standing()));
    }
    let txn = db.begin().await?;
    let started = start_with(&txn, account_id, Some(at.practice_id), amr, limits, now).await?;
    access_rows::record_login(&txn, active.iter().map(|r| r.access_id), now).await?;
    for row in &active {
        audit::record(
            &txn,
            meta,
            Event::new("login.succeeded", Actor::Account(account_id))
                .practice(at.practice_id)
                .patient(row.patient_id)
                .account(account_id)
                .access(row.access_id)
                .detail(json!({"web_session_id": started.session.id, "amr": amr})),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(started)
}

/// Whether a session may still be used at `now`: not revoked, not idle for `limits.idle`, and
/// not older than `limits.max` (nor past the end set when it started).
pub fn is_live(s: &web_session::Model, limits: Limits, now: DateTime<Utc>) -> bool {
    s.revoked_at.is_none()
        && now < s.expires_at
        && now < s.created_at + limits.max
        && now < s.last_seen_at + limits.idle
}

/// The live session behind a cookie's token, with its activity recorded; `None` when the
/// token is unknown, revoked, idle too long or past its absolute end.
pub async fn find_live<C: ConnectionTrait>(
    conn: &C,
    token: &str,
    limits: Limits,
    now: DateTime<Utc>,
) -> Result<Option<web_session::Model>> {
    if !secrets::looks_like_token(token) {
        return Ok(None);
    }
    let hash = secrets::hash_token(token);
    let Some(found) = web_sessions::find_by_token_hash(conn, &hash)
        .await?
        .filter(|s| secrets::constant_time_eq(s.token_hash.as_bytes(), hash.as_bytes()))
    else {
        return Ok(None);
    };
    if !is_live(&found, limits, now) {
        return Ok(None);
    }
    if now - found.last_seen_at >= TimeDelta::seconds(TOUCH_EVERY_SECS) {
        web_sessions::touch(conn, found.id, now).await?;
        return Ok(Some(web_session::Model {
            last_seen_at: now,
            ..found
        }));
    }
    Ok(Some(found))
}

/// Records the practice the person chose (the login page's practice chooser).
pub async fn choose_practice<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    practice_id: Uuid,
    now: DateTime<Utc>,
) -> Result<()> {
    Ok(web_sessions::choose_practice(conn, session_id, practice_id, now).await?)
}

/// Ends the session behind a cookie's token (logout). Returns whether one was live.
pub async fn end<C: ConnectionTrait>(conn: &C, token: &str, now: DateTime<Utc>) -> Result<bool> {
    if !secrets::looks_like_token(token) {
        return Ok(false);
    }
    Ok(web_sessions::end_by_token_hash(conn, &secrets::hash_token(token), now).await?)
}

/// Revokes every live web session of an account: all of them (`practice_id: None`; password
/// change and reset, ASVS 7.4.3), or only those at one practice (block and revoke there, so
/// that other practices keep working: seeds 000, 001). Call it inside the transaction that
/// makes the change. `service::sessions::ending::end_all` (block, revoke, password change) calls it.
/// Returns how many sessions were ended.
pub async fn revoke_web_sessions<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    practice_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    web_sessions::end_all(conn, account_id, practice_id, now).await
}

/// Ends the account's page sessions except `keep` (a password changed on the account page).
pub async fn revoke_other_web_sessions<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    keep: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    web_sessions::end_all_but(conn, account_id, keep, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(now: DateTime<Utc>) -> web_session::Model {
        web_session::Model {
            id: Uuid::now_v7(),
            token_hash: String::new(),
            account_id: Uuid::now_v7(),
            practice_id: None,
            created_at: now,
            last_seen_at: now,
            expires_at: now + DEFAULT.max,
            revoked_at: None,
            amr: "pwd".into(),
        }
    }

    const DEFAULT: Limits = Limits {
        idle: TimeDelta::minutes(30),
        max: TimeDelta::hours(12),
    };

    #[test]
    fn the_default_limits_are_30_idle_minutes_and_12_hours() {
        assert_eq!(Limits::of(&Settings::default()), DEFAULT);
    }

    #[test]
    fn sessions_end_when_idle_revoked_or_too_old() {
        let t = Utc::now();
        let s = session(t);
        let second = TimeDelta::seconds(1);
        assert!(is_live(&s, DEFAULT, t + DEFAULT.idle - second));
        assert!(!is_live(&s, DEFAULT, t + DEFAULT.idle));
        let busy = web_session::Model {
            last_seen_at: t + DEFAULT.max - TimeDelta::seconds(10),
            ..s.clone()
        };
        assert!(!is_live(&busy, DEFAULT, t + DEFAULT.max));
        // A shorter maximum set later applies to sessions already running.
        let shorter = Limits {
            max: TimeDelta::hours(1),
            ..DEFAULT
        };
        let busy_early = web_session::Model {
            last_seen_at: t + TimeDelta::minutes(59),
            ..s.clone()
        };
        assert!(!is_live(&busy_early, shorter, t + TimeDelta::hours(1)));
        let revoked = web_session::Model {
            revoked_at: Some(t),
            ..s
        };
        assert!(!is_live(&revoked, DEFAULT, t));
    }
}
