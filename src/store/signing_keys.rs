//! Token signing keys: sealed private keys, rotation and retirement.

use crate::store::signing_key;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder,
};

/// Every key not retired at `now` (the keys a server publishes and verifies with).
pub async fn unretired<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
) -> Result<Vec<signing_key::Model>, DbErr> {
    signing_key::Entity::find()
        .filter(
            Condition::any()
                .add(signing_key::Column::RetiresAt.is_null())
                .add(signing_key::Column::RetiresAt.gt(now)),
        )
        .all(conn)
        .await
}

/// Inserts a key row (a generation another instance inserted first is a unique violation of
/// the (alg, generation) index).
pub async fn insert<C: ConnectionTrait>(conn: &C, key: &signing_key::Model) -> Result<(), DbErr> {
    signing_key::Entity::insert(signing_key::ActiveModel::from(key.clone()))
        .exec_without_returning(conn)
        .await
        .map(drop)
}

/// Sets `retires_at` on every unretired key of `alg` older than `generation`, in one guarded
/// statement; returns their kids.
pub async fn retire_older<C: ConnectionTrait>(
    conn: &C,
    alg: &str,
    generation: i64,
    at: DateTime<Utc>,
) -> Result<Vec<String>, DbErr> {
    #[derive(FromQueryResult)]
    struct Kid {
        kid: String,
    }
    let stmt = Query::update()
        .table(signing_key::Entity)
        .value(signing_key::Column::RetiresAt, at)
        .and_where(Expr::col(signing_key::Column::Alg).eq(alg))
        .and_where(Expr::col(signing_key::Column::Generation).lt(generation))
        .and_where(Expr::col(signing_key::Column::RetiresAt).is_null())
        .returning_col(signing_key::Column::Kid)
        .to_owned();
    let mut kids = Vec::new();
    for row in conn.query_all(&stmt).await? {
        kids.push(Kid::from_query_result(&row, "")?.kid);
    }
    kids.sort();
    Ok(kids)
}

/// The newest generation of `alg`, retired or not.
pub async fn newest<C: ConnectionTrait>(
    conn: &C,
    alg: &str,
) -> Result<Option<signing_key::Model>, DbErr> {
    signing_key::Entity::find()
        .filter(signing_key::Column::Alg.eq(alg))
        .order_by_desc(signing_key::Column::Generation)
        .one(conn)
        .await
}
