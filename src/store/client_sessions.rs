//! Sessions (grants) that an OpenID Connect client started: the queries about them that
//! logout needs.

use crate::store::session;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

/// Whose session, by which client, at which practice: all must match for it to end.
#[derive(Debug, Clone, Copy)]
pub struct Owner<'a> {
    pub account_id: Uuid,
    pub client_id: &'a str,
    pub practice_id: Uuid,
}

/// Ends session `id` with `reason`, in one guarded update, only while it is live and it is
/// `owner`'s. Returns whether it ended now.
pub async fn end_if_owned<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    owner: Owner<'_>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .col_expr(session::Column::RevokedReason, Expr::value(reason))
        .filter(session::Column::Id.eq(id))
        .filter(session::Column::AccountId.eq(owner.account_id))
        .filter(session::Column::ClientId.eq(owner.client_id))
        .filter(session::Column::PracticeId.eq(owner.practice_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}
