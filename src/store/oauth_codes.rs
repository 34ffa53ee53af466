//! Authorization codes: spending one exactly once, and finding what a replayed one issued.

use crate::store::oauth_code;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

/// What spending a code found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spend {
    /// This exchange spent it; it may now start a session.
    Won,
    /// Another exchange spent it first; `session_id` is the session that one started, as
    /// committed (none if it was refused).
    AlreadySpent { session_id: Option<Uuid> },
}

/// Spends the code with one guarded `UPDATE ... WHERE used_at IS NULL`, so of any number of
/// concurrent exchanges exactly one wins.
///
/// A loser re-reads the row after its update rather than trusting what it read before: on
/// PostgreSQL (READ COMMITTED) its update waited for the winner's row lock, and only a new
/// statement sees the session the winner started in the same transaction. Trusting the
/// earlier read would leave the winner's tokens alive after a replay.
pub async fn spend<C: ConnectionTrait>(
    conn: &C,
    code_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Spend, DbErr> {
    let won = oauth_code::Entity::update_many()
        .col_expr(oauth_code::Column::UsedAt, Expr::value(now))
        .filter(oauth_code::Column::Id.eq(code_id))
        .filter(oauth_code::Column::UsedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected
        == 1;
    if won {
        return Ok(Spend::Won);
    }
    let fresh = oauth_code::Entity::find_by_id(code_id).one(conn).await?;
    Ok(Spend::AlreadySpent {
        session_id: fresh.and_then(|c| c.session_id),
    })
}

/// Records the session a code started, for a later replay to end.
pub async fn attach_session<C: ConnectionTrait>(
    conn: &C,
    code_id: Uuid,
    session_id: Uuid,
) -> Result<(), DbErr> {
    oauth_code::Entity::update_many()
        .col_expr(oauth_code::Column::SessionId, Expr::value(session_id))
        .filter(oauth_code::Column::Id.eq(code_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// The code whose secret hashes to `code_hash`, whatever its state.
pub async fn find_by_hash<C: ConnectionTrait>(
    conn: &C,
    code_hash: &str,
) -> Result<Option<oauth_code::Model>, DbErr> {
    oauth_code::Entity::find()
        .filter(oauth_code::Column::CodeHash.eq(code_hash))
        .one(conn)
        .await
}

/// Inserts a new, unspent code.
pub async fn insert<C: ConnectionTrait>(conn: &C, code: &oauth_code::Model) -> Result<(), DbErr> {
    oauth_code::Entity::insert(oauth_code::ActiveModel::from(code.clone()).reset_all())
        .exec_without_returning(conn)
        .await
        .map(drop)
}
