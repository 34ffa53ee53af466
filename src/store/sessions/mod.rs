//! Sessions and their refresh tokens: the statements of the refresh path (issue 18's budget
//! is three: spend the presented token, read everything the new tokens need, insert the next
//! token).
//!
//! Spending is one guarded statement (`UPDATE ... WHERE used_at IS NULL RETURNING`), so of any
//! number of concurrent refreshes with one token exactly one spends it; the caller's
//! transaction rolls the spend back when the refresh is then refused.
//! The two joined reads of the hot paths are in their own files: [`refresh_context`] (what a
//! refresh needs) and [`principal`] (who an access token speaks for).

mod joins;
mod principal;
mod refresh_context;

pub use principal::{Principal, principal};
pub(crate) use principal::{PrincipalRow, principal_from_rows, principal_statement};
pub(crate) use refresh_context::{ContextRow, context_from_rows, refresh_context_statement};
pub use refresh_context::{RefreshContext, refresh_context};

use crate::store::{oauth_code, refresh_token, session};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, InsertStatement, Query, UpdateStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryTrait, Set,
};
use uuid::Uuid;

/// A refresh token this request spent.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Spent {
    pub id: Uuid,
    pub session_id: Uuid,
    pub idle_expires_at: DateTime<Utc>,
}

/// The guarded spend of [`spend_refresh_token`], as a statement ([`crate::store::direct`]
/// runs it too).
pub(crate) fn spend_statement(token_hash: &str, now: DateTime<Utc>) -> UpdateStatement {
    Query::update()
        .table(refresh_token::Entity)
        .value(refresh_token::Column::UsedAt, now)
        .and_where(refresh_token::Column::TokenHash.eq(token_hash))
        .and_where(refresh_token::Column::UsedAt.is_null())
        .returning(Query::returning().columns([
            refresh_token::Column::Id,
            refresh_token::Column::SessionId,
            refresh_token::Column::IdleExpiresAt,
        ]))
        .to_owned()
}

/// Marks the unspent token with this hash as used and returns it; `None` when no unspent
/// token has the hash (unknown, or spent already: the caller tells the two apart).
pub async fn spend_refresh_token<C: ConnectionTrait>(
    conn: &C,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Spent>, DbErr> {
    match conn.query_one(&spend_statement(token_hash, now)).await? {
        Some(row) => Ok(Some(Spent::from_query_result(&row, "")?)),
        None => Ok(None),
    }
}

/// Inserts a session row.
pub async fn insert_session<C: ConnectionTrait>(
    conn: &C,
    session: &session::Model,
) -> Result<(), DbErr> {
    session::Entity::insert(session::ActiveModel::from(session.clone()).reset_all())
        .exec_without_returning(conn)
        .await
        .map(drop)
}

/// Inserts a session's next refresh token (its secret's hash).
pub async fn insert_refresh_token<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    token_hash: &str,
    idle_expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let stmt = insert_refresh_token_statement(session_id, token_hash, idle_expires_at, now);
    conn.execute(&stmt).await.map(drop)
}

/// The insert of [`insert_refresh_token`].
pub(crate) fn insert_refresh_token_statement(
    session_id: Uuid,
    token_hash: &str,
    idle_expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> InsertStatement {
    refresh_token::Entity::insert(refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(session_id),
        token_hash: Set(token_hash.to_owned()),
        created_at: Set(now),
        idle_expires_at: Set(idle_expires_at),
        used_at: Set(None),
    })
    .into_query()
}

/// The refresh token with this hash and its session, whatever their state.
pub async fn find_by_refresh_token<C: ConnectionTrait>(
    conn: &C,
    token_hash: &str,
) -> Result<Option<(refresh_token::Model, session::Model)>, DbErr> {
    let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(token_hash))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let session = session::Entity::find_by_id(token.session_id)
        .one(conn)
        .await?;
    Ok(session.map(|s| (token, s)))
}

/// The patient a SMART launch chose for a session (kept on its authorization code).
pub async fn launch_patient<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
) -> Result<Option<Uuid>, DbErr> {
    Ok(oauth_code::Entity::find()
        .filter(oauth_code::Column::SessionId.eq(session_id))
        .one(conn)
        .await?
        .and_then(|c| c.patient_id))
}

/// Which live sessions to end.
#[derive(Debug, Clone, Copy)]
pub enum Live<'a> {
    /// One session.
    One(Uuid),
    /// One session, only while it is `owner`'s.
    Owned(Uuid, Owner<'a>),
    /// An account's, at one practice or (with `None`) everywhere.
    OfAccount {
        account_id: Uuid,
        practice_id: Option<Uuid>,
    },
    /// An account's everywhere except `keep` (the one changing the password), if any.
    OfAccountBut {
        account_id: Uuid,
        keep: Option<Uuid>,
    },
    /// A client's (the client is being deleted).
    OfClient(&'a str),
}

/// Whose session, by which client, at which practice: all must match for it to end.
#[derive(Debug, Clone, Copy)]
pub struct Owner<'a> {
    pub account_id: Uuid,
    pub client_id: &'a str,
    pub practice_id: Uuid,
}

/// Ends the `which` sessions that are still live with `reason`, in one guarded update;
/// returns how many ended now (a session ended already is not counted again).
pub async fn end_live<C: ConnectionTrait>(
    conn: &C,
    which: Live<'_>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    use session::Column as C;
    let q = session::Entity::update_many()
        .col_expr(C::RevokedAt, Expr::value(now))
        .col_expr(C::RevokedReason, Expr::value(reason))
        .filter(C::RevokedAt.is_null());
    let q = match which {
        Live::One(id) => q.filter(C::Id.eq(id)),
        Live::Owned(id, owner) => q
            .filter(C::Id.eq(id))
            .filter(C::AccountId.eq(owner.account_id))
            .filter(C::ClientId.eq(owner.client_id))
            .filter(C::PracticeId.eq(owner.practice_id)),
        Live::OfAccount {
            account_id,
            practice_id,
        } => q
            .filter(C::AccountId.eq(account_id))
            .apply_if(practice_id, |q, p| q.filter(C::PracticeId.eq(p))),
        Live::OfAccountBut { account_id, keep } => q
            .filter(C::AccountId.eq(account_id))
            .apply_if(keep, |q, id| q.filter(C::Id.ne(id))),
        Live::OfClient(client_id) => q.filter(C::ClientId.eq(client_id)),
    };
    Ok(q.exec(conn).await?.rows_affected)
}
