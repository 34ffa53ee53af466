//! Guarded changes that hand back the row they changed in the same statement: `UPDATE` or
//! `DELETE ... RETURNING *`, which SQLite and PostgreSQL both run. sea-orm's
//! `exec_with_returning` refuses SQLite without a feature flag, so the statement is sent as
//! built.

use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, StatementBuilder};

/// Runs a statement built with `.returning_all()` and reads the row it returned, `None` when
/// its guard matched nothing. Meant for statements that match at most one row (by key).
pub async fn one<M: FromQueryResult, C: ConnectionTrait, S: StatementBuilder>(
    conn: &C,
    stmt: &S,
) -> Result<Option<M>, DbErr> {
    match conn.query_one(stmt).await? {
        Some(row) => Ok(Some(M::from_query_result(&row, "")?)),
        None => Ok(None),
    }
}
