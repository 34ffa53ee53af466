//! Every way a session ends: logout, a spent token presented again, a block or revoke, a
//! password change, consent running out, coming of age, a client deleted. Ending a session
//! ends its refresh tokens and the browser sessions of Portico's own pages with it, so that a
//! block takes effect on the next request whatever the entry point.

use crate::crypto::secrets;
use crate::error::Result;
use crate::service::sessions::browser;
use crate::state::AppState;
use crate::store::audit::{self, Actor, Event, RequestMeta};
use crate::store::sessions::{self as store_sessions, Live};
use crate::store::{refresh_token, session};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};
use serde_json::json;
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

/// Ends every live session of an account, at one practice or (with `None`) everywhere: token
/// sessions and the web sessions of Portico's pages. Returns how many ended.
pub async fn end_all<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    practice_id: Option<Uuid>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let which = Live::OfAccount {
        account_id,
        practice_id,
    };
    let tokens = store_sessions::end_live(conn, which, reason, now).await?;
    // The browser sessions of Portico's own pages end with them.
    let pages = browser::revoke_web_sessions(conn, account_id, practice_id, now).await?;
    Ok(tokens + pages)
}

/// Ends one session (OpenID Connect revocation, code reuse, logout). Returns whether it was live.
pub async fn end_one<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(store_sessions::end_live(conn, Live::One(session_id), reason, now).await? == 1)
}

/// The session a password change keeps.
#[derive(Debug, Clone, Copy)]
pub enum Keep {
    /// An API session (tokens): every page session ends.
    Tokens(Uuid),
    /// A page session: every API session ends.
    Page(Uuid),
}

/// After a password change: ends the account's sessions and page sessions other than `keep`.
pub async fn end_others<C: ConnectionTrait>(
    conn: &C,
    account_id: Uuid,
    keep: Keep,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let keep_tokens = match keep {
        Keep::Tokens(id) => Some(id),
        Keep::Page(_) => None,
    };
    let tokens = store_sessions::end_live(
        conn,
        Live::OfAccountBut {
            account_id,
            keep: keep_tokens,
        },
        ended::PASSWORD_CHANGED,
        now,
    )
    .await?;
    let pages = match keep {
        Keep::Tokens(_) => browser::revoke_web_sessions(conn, account_id, None, now).await?,
        Keep::Page(id) => browser::revoke_other_web_sessions(conn, account_id, id, now).await?,
    };
    Ok(tokens + pages)
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
