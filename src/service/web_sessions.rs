//! Browser sessions of Portico's own pages: started at login (issue 5's pages), found from the
//! `portico_session` cookie, ended at logout, and revoked per account by block, revoke,
//! password change and reset.
//!
//! The cookie holds a 256-bit random token; only its SHA-256 is stored. A session ends after
//! [`IDLE_TIMEOUT_SECS`] without activity (HIPAA 164.312(a)(2)(iii) automatic logoff; ASVS
//! 7.3.1) and [`ABSOLUTE_TIMEOUT_SECS`] after it started (ASVS 7.3.2), whichever comes first.

use crate::auth::secrets;
use crate::error::Result;
use crate::service::sessions::refusal;
use crate::store::access_rows::AtPractice;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::{portal_access, web_session};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

/// A session ends after this long without a request.
pub const IDLE_TIMEOUT_SECS: i64 = 30 * 60;
/// A session ends this long after login, however active.
pub const ABSOLUTE_TIMEOUT_SECS: i64 = 12 * 3600;
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
    now: DateTime<Utc>,
) -> Result<Started> {
    let token = secrets::new_token();
    let session = web_session::ActiveModel {
        id: Set(Uuid::now_v7()),
        token_hash: Set(secrets::hash_token(&token)),
        account_id: Set(account_id),
        practice_id: Set(practice_id),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + TimeDelta::seconds(ABSOLUTE_TIMEOUT_SECS)),
        revoked_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(Started { session, token })
}

/// Logs an account in on the pages at a practice, after every step of the login
/// (`service::page_login`): a new session bound to the practice, `last_login_at` on the
/// accesses it may use there, and `login.succeeded` for each of their patients, as the API's
/// login records them. Refused when nothing is active there any more.
pub async fn log_in(
    db: &sea_orm::DatabaseConnection,
    account_id: Uuid,
    at: &AtPractice,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> Result<Started> {
    let active: Vec<_> = at.active().collect();
    if active.is_empty() {
        return Err(refusal(at, at.standing()));
    }
    let txn = db.begin().await?;
    let started = start(&txn, account_id, Some(at.practice_id), now).await?;
    portal_access::Entity::update_many()
        .col_expr(portal_access::Column::LastLoginAt, Expr::value(now))
        .filter(portal_access::Column::Id.is_in(active.iter().map(|r| r.access_id)))
        .exec(&txn)
        .await?;
    for row in &active {
        audit::record(
            &txn,
            meta,
            Event::new("login.succeeded", Actor::Account(account_id))
                .practice(at.practice_id)
                .patient(row.patient_id)
                .account(account_id)
                .access(row.access_id)
                .detail(json!({"web_session_id": started.session.id, "amr": ["pwd"]})),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(started)
}

/// Whether a session may still be used at `now`.
pub fn is_live(s: &web_session::Model, now: DateTime<Utc>) -> bool {
    s.revoked_at.is_none()
        && now < s.expires_at
        && now < s.last_seen_at + TimeDelta::seconds(IDLE_TIMEOUT_SECS)
}

/// The live session behind a cookie's token, with its activity recorded; `None` when the
/// token is unknown, revoked, idle too long or past its absolute end.
pub async fn find_live<C: ConnectionTrait>(
    conn: &C,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<web_session::Model>> {
    if !secrets::looks_like_token(token) {
        return Ok(None);
    }
    let hash = secrets::hash_token(token);
    let Some(found) = web_session::Entity::find()
        .filter(web_session::Column::TokenHash.eq(hash.as_str()))
        .one(conn)
        .await?
        .filter(|s| secrets::constant_time_eq(s.token_hash.as_bytes(), hash.as_bytes()))
    else {
        return Ok(None);
    };
    if !is_live(&found, now) {
        return Ok(None);
    }
    if now - found.last_seen_at >= TimeDelta::seconds(TOUCH_EVERY_SECS) {
        web_session::Entity::update_many()
            .col_expr(web_session::Column::LastSeenAt, Expr::value(now))
            .filter(web_session::Column::Id.eq(found.id))
            .exec(conn)
            .await?;
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
    web_session::Entity::update_many()
        .col_expr(
            web_session::Column::PracticeId,
            Expr::value(Some(practice_id)),
        )
        .col_expr(web_session::Column::LastSeenAt, Expr::value(now))
        .filter(web_session::Column::Id.eq(session_id))
        .filter(web_session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Ends the session behind a cookie's token (logout). Returns whether one was live.
pub async fn end<C: ConnectionTrait>(conn: &C, token: &str, now: DateTime<Utc>) -> Result<bool> {
    if !secrets::looks_like_token(token) {
        return Ok(false);
    }
    let res = web_session::Entity::update_many()
        .col_expr(web_session::Column::RevokedAt, Expr::value(Some(now)))
        .filter(web_session::Column::TokenHash.eq(secrets::hash_token(token)))
        .filter(web_session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Revokes every live web session of an account: all of them (`practice_id: None`; password
/// change and reset, ASVS 7.4.3), or only those at one practice (block and revoke there, so
/// that other practices keep working: seeds 000, 001). Call it inside the transaction that
/// makes the change. `service::sessions::end_all` (block, revoke, password change) calls it.
/// Returns how many sessions were ended.
pub async fn revoke_web_sessions<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    practice_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut update = web_session::Entity::update_many()
        .col_expr(web_session::Column::RevokedAt, Expr::value(Some(now)))
        .filter(web_session::Column::AccountId.eq(account_id))
        .filter(web_session::Column::RevokedAt.is_null());
    if let Some(p) = practice_id {
        update = update.filter(web_session::Column::PracticeId.eq(p));
    }
    Ok(update.exec(conn).await?.rows_affected)
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
            expires_at: now + TimeDelta::seconds(ABSOLUTE_TIMEOUT_SECS),
            revoked_at: None,
        }
    }

    #[test]
    fn sessions_end_when_idle_revoked_or_too_old() {
        let t = Utc::now();
        let s = session(t);
        assert!(is_live(&s, t + TimeDelta::seconds(IDLE_TIMEOUT_SECS - 1)));
        assert!(!is_live(&s, t + TimeDelta::seconds(IDLE_TIMEOUT_SECS)));
        let busy = web_session::Model {
            last_seen_at: t + TimeDelta::seconds(ABSOLUTE_TIMEOUT_SECS - 10),
            ..s.clone()
        };
        assert!(!is_live(
            &busy,
            t + TimeDelta::seconds(ABSOLUTE_TIMEOUT_SECS)
        ));
        let revoked = web_session::Model {
            revoked_at: Some(t),
            ..s
        };
        assert!(!is_live(&revoked, t));
    }
}
